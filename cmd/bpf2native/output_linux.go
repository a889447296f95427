package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// writeUnnamed writes data to an O_TMPFILE file in path's directory, which
// has no name and vanishes with the process until it is linked. If path
// does not exist yet the file is linked as path itself and "" is returned;
// otherwise it is linked under a unique temporary name, returned for the
// caller to rename over path. A build killed before the link, even by
// SIGKILL, leaves nothing behind; only between that link and the rename,
// when replacing an existing file, could a kill leave the temporary name.
func writeUnnamed(path string, data []byte) (string, error) {
	dir, base := filepath.Dir(path), filepath.Base(path)
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o644)
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EISDIR) || errors.Is(err, unix.EINVAL) {
		return "", errNoUnnamedFiles
	}
	if err != nil {
		return "", &os.PathError{Op: "create", Path: filepath.Join(dir, base), Err: err}
	}
	f := os.NewFile(uintptr(fd), base)
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		return "", err
	}
	// The mode given to open is masked by the umask; set it as a normal
	// file's would be.
	if err := f.Chmod(0o644 &^ umask()); err != nil {
		return "", err
	}
	proc := fmt.Sprintf("/proc/self/fd/%d", fd)
	err = unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if err == nil {
		return "", nil
	}
	if !errors.Is(err, unix.EEXIST) {
		return "", &os.PathError{Op: "link", Path: path, Err: err}
	}
	for try := 0; ; try++ {
		name := filepath.Join(dir, fmt.Sprintf(".%s.tmp%08x", base, rand.Uint32()))
		err := unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, name, unix.AT_SYMLINK_FOLLOW)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, unix.EEXIST) || try > 100 {
			return "", &os.PathError{Op: "link", Path: name, Err: err}
		}
	}
}

// umask returns the process's file mode creation mask.
func umask() os.FileMode {
	m := unix.Umask(0)
	unix.Umask(m)
	return os.FileMode(m)
}
