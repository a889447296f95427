package conformance_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/bpf2native/bpf2native/conformance"
)

// TestRunSuiteWithOracle runs the whole suite with an engine that knows every answer,
// which checks that Run finds, parses and passes all 313 files.
func TestRunSuiteWithOracle(t *testing.T) {
	answers := map[string]uint64{}
	for _, test := range parseSuite(t) {
		key := string(test.Program) + "|" + string(test.Memory)
		if r, ok := answers[key]; ok && r != test.Result {
			t.Fatalf("%s: same program and memory as another test, different result", test.Name)
		}
		answers[key] = test.Result
	}
	oracle := func(program, memory []byte) (uint64, error) {
		r, ok := answers[string(program)+"|"+string(memory)]
		if !ok {
			return 0, errors.New("unknown program")
		}
		return r, nil
	}
	var out bytes.Buffer
	passed, failed, err := conformance.Run(oracle, []string{suiteDir}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if passed != 313 || failed != 0 || out.String() != "313 passed, 0 failed\n" {
		t.Errorf("passed %d, failed %d, output:\n%s", passed, failed, out.String())
	}
}

// commandEngine treats the imm of the program's first slot as an instruction to the fake
// engine, so each test file can ask for one behaviour.
func commandEngine(program, memory []byte) (uint64, error) {
	switch cmd := binary.LittleEndian.Uint32(program[4:8]); cmd {
	case 1:
		return 1, nil
	case 2:
		return 0, errors.New("boom")
	case 3:
		panic("kaboom")
	case 4:
		return 0, errors.New("out of bounds\r\nmore detail")
	case 5:
		return 0, errors.New("other")
	case 6:
		return 0, nil
	case 8:
		// The engine gets the memory and may write to it.
		if !bytes.Equal(memory, []byte{0xde, 0xad}) {
			return 0, fmt.Errorf("memory %x", memory)
		}
		memory[0] = 0
		return uint64(len(memory)), nil
	default:
		return 0, fmt.Errorf("unknown command %d", cmd)
	}
}

func TestRunReportsFailures(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a_pass.data":             "-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n",
		"b_wrong.data":            "-- asm\nmov %r0, 1\nexit\n-- result\n0x2\n",
		"c_error.data":            "-- asm\nmov %r0, 2\nexit\n-- result\n0x0\n",
		"d_panic.data":            "-- asm\nmov %r0, 3\nexit\n-- result\n0x0\n",
		"e_expect_error.data":     "-- asm\nmov %r0, 4\nexit\n-- error\nout of bounds\n",
		"f_other_error.data":      "-- asm\nmov %r0, 5\nexit\n-- error\nout of bounds\n",
		"g_no_error.data":         "-- asm\nmov %r0, 6\nexit\n-- error\nout of bounds\n",
		"h_bad.data":              "-- asm\nbogus\n-- result\n0x0\n",
		"i_panic_expecting.data":  "-- asm\nmov %r0, 3\nexit\n-- error\nkaboom\n",
		"j_memory.data":           "-- asm\nmov %r0, 8\nexit\n-- mem\nde ad\n-- result\n0x2\n",
		"notes.txt":               "not a test",
		"sub/ignored.data":        "-- asm\nmov %r0, 2\nexit\n-- result\n0x0\n",
		"sub/not_in_the_dir.data": "",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	// A file named directly runs after the directory listing, in argument order.
	passed, failed, err := conformance.Run(commandEngine, []string{dir, filepath.Join(dir, "b_wrong.data")}, &out)
	if err != nil {
		t.Fatal(err)
	}
	want := `b_wrong.data: expected 0x2, got 0x1
c_error.data: error: boom
d_panic.data: error: engine panicked: kaboom
f_other_error.data: expected error "out of bounds", got error "other"
g_no_error.data: expected error "out of bounds", got 0x0
h_bad.data: line 2: unknown mnemonic "bogus"
i_panic_expecting.data: error: engine panicked: kaboom
b_wrong.data: expected 0x2, got 0x1
3 passed, 8 failed
`
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
	if passed != 3 || failed != 8 {
		t.Errorf("passed %d, failed %d; want 3, 8", passed, failed)
	}
}

func TestRunMissingPath(t *testing.T) {
	var out bytes.Buffer
	_, _, err := conformance.Run(commandEngine, []string{filepath.Join(t.TempDir(), "nope")}, &out)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want not-exist", err)
	}
	if out.Len() != 0 {
		t.Errorf("output %q for a run that did not start", out.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRunReportsWriteError(t *testing.T) {
	path := filepath.Join(suiteDir, "add.data")
	_, _, err := conformance.Run(commandEngine, []string{path}, failingWriter{})
	if err == nil || err.Error() != "writing report: disk full" {
		t.Errorf("err = %v, want a wrapped disk full", err)
	}
}
