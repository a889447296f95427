package main

import (
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/interp"
	"github.com/bpf2native/bpf2native/loader"
	"github.com/bpf2native/bpf2native/platform"
)

// TestGeneratedPrograms checks that the compile-speed programs are what
// they claim: valid eBPF that runs to completion, with the same result in
// the interpreter and as native code, and deterministic in their seed.
func TestGeneratedPrograms(t *testing.T) {
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	pt := plat.ProgramType("sample")
	if pt == nil {
		t.Fatal("no sample program type")
	}
	for seed := int64(1); seed <= 4; seed++ {
		code := genProgram(3000, seed)
		if again := genProgram(3000, seed); string(again) != string(code) {
			t.Fatalf("seed %d: two generations differ", seed)
		}
		if n := len(code) / 8; n < 3000 || n > 3100 {
			t.Errorf("seed %d: %d instructions, want about 3000", seed, n)
		}
		mod, err := moduleOf(code)
		if err != nil {
			t.Fatal(err)
		}
		mod.Programs[0].Type = pt.Name
		rt, err := host.New(mod, plat)
		if err != nil {
			t.Fatal(err)
		}
		vm, err := interp.NewVM(rt, interp.Options{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, err := host.NewContext(pt, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := vm.Run(0, ctx)
		if err != nil {
			t.Fatalf("seed %d: interpreter: %v", seed, err)
		}
		obj, err := backend.Compile(mod, target, backend.Options{})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		img, err := loader.Load(obj, mod, rt)
		if err != nil {
			t.Fatal(err)
		}
		got, err := img.Run(0, ctx)
		img.Close()
		if err != nil {
			t.Fatalf("seed %d: native: %v", seed, err)
		}
		if got != want {
			t.Errorf("seed %d: native r0 %#x, interpreter %#x", seed, got, want)
		}
	}
}
