package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// writeFileAtomic writes data to path so that path either keeps its old
// contents or has all of the new ones, and a failed or interrupted write
// leaves nothing behind: make and its readers never see a half-written
// driver. The bytes go to a file with no name (Linux's O_TMPFILE) that is
// named only when complete, or, where that is not available, to a uniquely
// named temporary file in the same directory that is removed on error;
// either is then renamed over path. Unique names keep parallel builds
// (make -j) from colliding.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := writeUnnamed(path, data)
	if err == errNoUnnamedFiles {
		tmp, err = writeNamed(dir, filepath.Base(path), data)
	}
	if err != nil || tmp == "" {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// writeNamed writes data to a new temporary file in dir and returns its
// name.
func writeNamed(dir, base string, data []byte) (name string, err error) {
	f, err := os.CreateTemp(dir, "."+base+".tmp*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return "", err
	}
	if err = f.Chmod(0o644); err != nil {
		return "", err
	}
	if err = f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

var errNoUnnamedFiles = fmt.Errorf("unnamed temporary files are not supported here")
