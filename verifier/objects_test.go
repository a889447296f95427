package verifier_test

import (
	"path/filepath"
	"testing"

	"github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/verifier"
)

// TestTestdataAccepted verifies every clang-built object of ../testdata on
// ebpf-for-windows: all of them are safe programs and must be accepted.
func TestTestdataAccepted(t *testing.T) {
	objs, _ := filepath.Glob("../testdata/*.o")
	if len(objs) == 0 {
		t.Fatal("no objects in ../testdata")
	}
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range objs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			mod, err := elf.LoadFile(path, plat)
			if err != nil {
				t.Fatal(err)
			}
			res, err := verifier.Verify(mod, plat, verifier.Options{CheckTermination: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range res.Diagnostics() {
				t.Errorf("%v\n    state: %s", d, d.State)
			}
		})
	}
}
