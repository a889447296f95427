package ssa

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/bpf2native/bpf2native/conformance"
)

const conformanceDir = "../../shared/conformance/tests"

// runConformance lifts a conformance program, optionally runs the pipeline,
// and evaluates it on a private copy of the test's memory.
func runConformance(t *testing.T, test *conformance.Test, optimize bool) (Result, []byte, error) {
	t.Helper()
	fs, err := Build(nil, program(t, test.Program))
	if err != nil {
		return Result{}, nil, err
	}
	for _, f := range fs {
		if err := Check(f); err != nil {
			t.Fatalf("after Build: %v\n%s", err, f)
		}
		if optimize {
			if err := Compile(f, Options{Check: true}); err != nil {
				t.Fatalf("%v\n%s", err, f)
			}
		}
	}
	memory := append([]byte(nil), test.Memory...)
	region := &Region{Name: "memory", Data: memory}
	env := &Env{
		Funcs:   fs,
		Args:    [5]uint64{region.Addr(), uint64(len(memory))},
		Regions: []*Region{region},
		// The suite's only helper call (call_unwind_fail) ignores the result.
		Helper: func(int32, [5]uint64, *Memory) (uint64, error) { return 0, nil },
	}
	r, err := Eval(fs[0], env)
	return r, memory, err
}

// TestConformance runs the conformance suite through Build and Eval, before
// and after the pipeline: both must give the expected r0 and the same
// memory.
func TestConformance(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(conformanceDir, "*.data"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no conformance tests in %s", conformanceDir)
	}
	var passed int
	for _, path := range paths {
		test, err := conformance.ParseFile(path)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		t.Run(test.Name, func(t *testing.T) {
			before, memBefore, err := runConformance(t, test, false)
			if err != nil {
				t.Fatalf("unoptimized: %v", err)
			}
			if before.R0 != test.Result {
				t.Errorf("unoptimized: r0 = %#x, want %#x", before.R0, test.Result)
			}
			after, memAfter, err := runConformance(t, test, true)
			if err != nil {
				t.Fatalf("optimized: %v", err)
			}
			if after.R0 != test.Result {
				t.Errorf("optimized: r0 = %#x, want %#x", after.R0, test.Result)
			}
			if !bytes.Equal(memBefore, memAfter) {
				t.Errorf("memory differs:\nunoptimized %x\noptimized   %x", memBefore, memAfter)
			}
			if !t.Failed() {
				passed++
			}
		})
	}
	t.Logf("%d of %d conformance programs pass Build+Eval before and after the pipeline", passed, len(paths))
}
