package ssa

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/platform"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGoldenObjects lifts and compiles every program of the clang-built
// objects in ../testdata, checking the SSA after every pass, and compares
// the dumps with testdata/golden/<object>.ssa.
func TestGoldenObjects(t *testing.T) {
	objs, err := filepath.Glob("../testdata/*.o")
	if err != nil || len(objs) == 0 {
		t.Fatal("no objects in ../testdata")
	}
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range objs {
		name := filepath.Base(obj)
		t.Run(name, func(t *testing.T) {
			mod, err := elf.LoadFile(obj, plat)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			for _, p := range mod.Programs {
				fs, err := Build(mod, p)
				if err != nil {
					out.WriteString("# program " + p.Name + ": " + err.Error() + "\n")
					continue
				}
				for _, f := range fs {
					if err := Check(f); err != nil {
						t.Fatalf("after Build: %v\n%s", err, f)
					}
					out.WriteString("# program " + p.Name + " lifted\n" + f.String())
					if err := Compile(f, Options{Check: true}); err != nil {
						t.Fatalf("%v\n%s", err, f)
					}
					out.WriteString("# program " + p.Name + " optimized\n" + f.String())
				}
			}
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(name, ".o")+".ssa")
			compareGolden(t, golden, out.String())
		})
	}
}

func compareGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./ssa -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the output; run go test ./ssa -update and review the diff.\n%s", path, firstDiff(string(want), got))
	}
}

// firstDiff shows the first differing line with some context.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant: %s\ngot:  %s", i+1, wl, gl)
		}
	}
	return ""
}
