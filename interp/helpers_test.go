package interp

import (
	"bytes"
	"testing"

	"github.com/bpf2native/bpf2native/assembler"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/cilium/ebpf/asm"
)

// assemble assembles conformance-syntax text or fails the test.
func assemble(t testing.TB, src string) []byte {
	t.Helper()
	code, err := assembler.Assemble(src)
	if err != nil {
		t.Fatalf("assembling:\n%s\n%v", src, err)
	}
	return code
}

// program builds an ir.Program from cilium/ebpf instructions. Map loads name
// their map by index in the fd field, which the test convention resolves
// against Module.Maps.
func program(t testing.TB, name string, insns asm.Instructions) *ir.Program {
	t.Helper()
	var buf bytes.Buffer
	if err := insns.Marshal(&buf, le); err != nil {
		t.Fatalf("program %s: marshal: %v", name, err)
	}
	decoded, err := ir.Decode(buf.Bytes())
	if err != nil {
		t.Fatalf("program %s: %v", name, err)
	}
	for i := range decoded {
		if decoded[i].IsLoadFromMap() {
			decoded[i].Map = int(uint32(decoded[i].Constant))
		}
	}
	p, err := ir.NewProgram(name, decoded, nil)
	if err != nil {
		t.Fatalf("program %s: %v", name, err)
	}
	return p
}

// newVM builds a runtime and VM for mod on the named platform.
func newVM(t testing.TB, mod *ir.Module, plat string, opts Options) *VM {
	t.Helper()
	var p *platform.Platform
	if plat != "" {
		var err error
		if p, err = platform.Get(plat); err != nil {
			t.Fatal(err)
		}
		mod.Platform = plat
	}
	rt, err := host.New(mod, p)
	if err != nil {
		t.Fatal(err)
	}
	vm, err := NewVM(rt, opts)
	if err != nil {
		t.Fatal(err)
	}
	return vm
}

// context builds a context of the named program type.
func context(t testing.TB, plat, typ string, packet, init []byte) *host.Context {
	t.Helper()
	p, err := platform.Get(plat)
	if err != nil {
		t.Fatal(err)
	}
	pt := p.ProgramType(typ)
	if pt == nil {
		t.Fatalf("%s has no program type %s", plat, typ)
	}
	c, err := host.NewContext(pt, packet, init)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
