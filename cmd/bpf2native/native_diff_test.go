package main

import (
	"math/rand"
	"path/filepath"
	"testing"

	elffront "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/inputs"
	"github.com/bpf2native/bpf2native/platform"
)

// TestNativeMatchesInterpreterOnTestdata is `bpf2native test` on every
// program of every testdata object with 1000 generated inputs: native code
// must equal the interpreter on result, packet, context and every map after
// each input, maps carrying over from input to input. It calls the differ
// directly, without the verifier, so that a program the verifier cannot
// yet prove safe (the testdata are safe: each also runs under ASan as C)
// is still compared.
func TestNativeMatchesInterpreterOnTestdata(t *testing.T) {
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	objects, _ := filepath.Glob("../../testdata/*.o")
	if len(objects) == 0 {
		t.Fatal("no testdata objects")
	}
	packets := inputs.Packets(rand.New(rand.NewSource(7)), 64, 126, 810)
	if len(packets) < 1000 {
		t.Fatalf("only %d inputs", len(packets))
	}
	for _, obj := range objects {
		mod, err := elffront.LoadFile(obj, plat)
		if err != nil {
			t.Fatal(err)
		}
		d := &differ{mod: mod, plat: plat, native: func(rt *host.Runtime) (engine, error) {
			return newEngine("native", "", mod, rt)
		}}
		for prog, p := range mod.Programs {
			t.Run(filepath.Base(obj)+"/"+p.Name, func(t *testing.T) {
				report, err := d.program(prog, packets)
				if err != nil {
					t.Fatal(err)
				}
				if report != "" {
					t.Errorf("native differs from the interpreter:\n%s", report)
				}
			})
		}
	}
}
