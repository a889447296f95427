package ssa

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/platform"
)

// TestCompactChangesNothing packs every function's values, whatever its
// size, and checks that the pipeline's result prints the same as without
// packing (the values keep their IDs, so the dumps compare as text) and
// that generated programs still run as before.
func TestCompactChangesNothing(t *testing.T) {
	objs, err := filepath.Glob("../testdata/*.o")
	if err != nil || len(objs) == 0 {
		t.Fatal("no objects in ../testdata")
	}
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	compileAll := func(obj string, above int) string {
		t.Helper()
		defer func(saved int) { compactAbove = saved }(compactAbove)
		compactAbove = above
		mod, err := elf.LoadFile(obj, plat)
		if err != nil {
			t.Fatal(err)
		}
		out := ""
		for _, p := range mod.Programs {
			fs, err := Build(mod, p)
			if err != nil {
				continue
			}
			for _, f := range fs {
				if err := Compile(f, Options{Check: true}); err != nil {
					t.Fatalf("%s: %v\n%s", obj, err, f)
				}
				out += f.String()
			}
		}
		return out
	}
	for _, obj := range objs {
		if packed, unpacked := compileAll(obj, 0), compileAll(obj, math.MaxInt); packed != unpacked {
			t.Errorf("%s: packing the values changed the result:\n%s", obj, firstDiff(unpacked, packed))
		}
	}

	defer func(saved int) { compactAbove = saved }(compactAbove)
	compactAbove = 0
	for seed := 0; seed < 200; seed++ {
		checkGenerated(t, seed, Options{Check: true})
	}
}
