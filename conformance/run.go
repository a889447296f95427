package conformance

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// Engine runs program, raw bytecode (8 little-endian bytes per slot), with r1 pointing to
// memory and r2 = len(memory), and returns the final r0. Both slices are the engine's to
// modify (each test is parsed afresh); memory is nil for tests without -- mem, which never read r1 or r2. An
// error means the program did not complete; its message is what -- error sections match.
type Engine func(program []byte, memory []byte) (uint64, error)

// Run runs the tests in paths, each a .data file or a directory whose *.data files run in
// name order. It writes one line per failing test and a final "N passed, M failed" line to
// out. err reports only problems outside the tests: unlistable paths or a failing out.
func Run(engine Engine, paths []string, out io.Writer) (passed, failed int, err error) {
	files, err := testFiles(paths)
	if err != nil {
		return 0, 0, err
	}
	w := &lineWriter{w: out}
	for _, path := range files {
		if problem := runFile(engine, path); problem != "" {
			failed++
			w.println(problem)
		} else {
			passed++
		}
	}
	w.println(fmt.Sprintf("%d passed, %d failed", passed, failed))
	if w.err != nil {
		return passed, failed, fmt.Errorf("writing report: %w", w.err)
	}
	return passed, failed, nil
}

func testFiles(paths []string) ([]string, error) {
	var files []string
	for _, p := range paths {
		info, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("listing tests: %w", err)
		}
		if !info.IsDir() {
			files = append(files, p)
			continue
		}
		entries, err := os.ReadDir(p) // sorted by name
		if err != nil {
			return nil, fmt.Errorf("listing tests: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(e.Name(), ".data") {
				files = append(files, filepath.Join(p, e.Name()))
			}
		}
	}
	return files, nil
}

// runFile returns why the test at path failed, or "" if it passed.
func runFile(engine Engine, path string) string {
	t, err := ParseFile(path)
	if err != nil {
		return err.Error()
	}
	r0, err := call(engine, t.Program, t.Memory)
	var panicked panicError
	switch {
	case errors.As(err, &panicked):
		return fmt.Sprintf("%s: error: %v", t.Name, err)
	case t.ExpectError != "" && err == nil:
		return fmt.Sprintf("%s: expected error %q, got %#x", t.Name, t.ExpectError, r0)
	case t.ExpectError != "":
		if got := errorText(err); got != t.ExpectError {
			return fmt.Sprintf("%s: expected error %q, got error %q", t.Name, t.ExpectError, got)
		}
	case err != nil:
		return fmt.Sprintf("%s: error: %v", t.Name, err)
	case r0 != t.Result:
		return fmt.Sprintf("%s: expected %#x, got %#x", t.Name, t.Result, r0)
	}
	return ""
}

// errorText normalizes an engine's error message as the upstream runner does a plugin's
// output: cut at the first carriage return, trailing whitespace removed.
func errorText(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\r")
	return strings.TrimRightFunc(msg, unicode.IsSpace)
}

// panicError is a panic inside an engine, caught so that one broken test cannot stop the
// run (or kill a plugin without a message).
type panicError struct{ value any }

func (e panicError) Error() string { return fmt.Sprintf("engine panicked: %v", e.value) }

// call runs engine, turning a panic into an error.
func call(engine Engine, program, memory []byte) (r0 uint64, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicError{v}
		}
	}()
	return engine(program, memory)
}

// lineWriter keeps the first write error so that Run can report it once at the end.
type lineWriter struct {
	w   io.Writer
	err error
}

func (l *lineWriter) println(s string) {
	if l.err == nil {
		_, l.err = fmt.Fprintln(l.w, s)
	}
}
