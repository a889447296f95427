package interp

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/bpf2native/bpf2native/conformance"
)

// FuzzRun feeds random bytecode and memory to the interpreter: every input
// must end in a result or an error, never a panic or a hang.
func FuzzRun(f *testing.F) {
	f.Add(assemble(f, "mov %r0, 1\nexit"), []byte{})
	f.Add(assemble(f, "ldxdw %r0, [%r1]\nexit"), []byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Fuzz(func(t *testing.T, code, mem []byte) {
		vm, ctx, err := NewBytecodeVM(code, mem, Options{MaxInstructions: 1 << 16})
		if err != nil {
			return
		}
		_, err = vm.Run(0, ctx)
		var fault *Fault
		if err != nil && !errors.As(err, &fault) {
			t.Fatalf("run error is not a located fault: %v", err)
		}
		if vm.Executed() > 1<<16+1<<10 {
			t.Fatalf("ran %d instructions past a budget of %d", vm.Executed(), 1<<16)
		}
	})
}

// TestWriteFuzzCorpus regenerates testdata/fuzz/FuzzRun from the conformance
// suite when BPF2NATIVE_WRITE_CORPUS is set; the committed corpus is its
// output.
func TestWriteFuzzCorpus(t *testing.T) {
	if os.Getenv("BPF2NATIVE_WRITE_CORPUS") == "" {
		t.Skip("set BPF2NATIVE_WRITE_CORPUS=1 to regenerate the seed corpus")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzRun")
	names, err := filepath.Glob(filepath.Join(conformanceDir, "*.data"))
	if err != nil {
		t.Fatal(err)
	}
	// Every eighth test, plus the ones with calls and memory, keeps the
	// corpus small but covering each instruction class.
	pick := map[string]bool{"call_local.data": true, "callx.data": true, "call_unwind_fail.data": true, "subnet.data": true, "prime.data": true, "lock_fetch_add.data": true}
	n := 0
	for i, name := range names {
		base := filepath.Base(name)
		if i%8 != 0 && !pick[base] {
			continue
		}
		tc, err := conformance.ParseFile(name)
		if err != nil {
			t.Fatal(err)
		}
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n[]byte(%q)\n", tc.Program, tc.Memory)
		if err := os.WriteFile(filepath.Join(dir, base[:len(base)-len(".data")]), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		n++
	}
	t.Logf("wrote %d seeds", n)
}
