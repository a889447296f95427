//go:build linux && (amd64 || arm64) && cgo

package loader

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
)

// TestCallx runs callx natively, loaded directly and from an ELF file: the
// id in memory selects the helper through the helper-id table, and an id
// without a helper (zero, unbound, beyond the table, beyond 32 bits) stops
// the run with an error naming it instead of crashing.
func TestCallx(t *testing.T) {
	var code bytes.Buffer
	insns := asm.Instructions{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
		asm.Mov.Imm(asm.R1, 41),
		{OpCode: asm.Call.Op(asm.RegSource), Dst: asm.R2},
		asm.Return(),
	}
	if err := insns.Marshal(&code, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	decoded, err := ir.Decode(code.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	p, err := ir.NewProgram("callx", decoded, nil)
	if err != nil {
		t.Fatal(err)
	}
	mod := &ir.Module{Source: "callx", Platform: platform.Linux, Programs: []*ir.Program{p}}
	obj, err := backend.Compile(mod, hostCompileTarget(), backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	elfBytes, err := elflink.Link(obj, metadata.FromModule(mod, obj, code.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func(rt *host.Runtime) (*Image, error){
		"object": func(rt *host.Runtime) (*Image, error) { return Load(obj, mod, rt) },
		"elf":    func(rt *host.Runtime) (*Image, error) { return LoadELF(elfBytes, mod, rt) },
	} {
		t.Run(name, func(t *testing.T) {
			rt, err := host.New(mod, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []int32{5, 255} {
				if err := rt.Bind(id, "plus_one", func(c *host.Call) (uint64, error) { return c.Args[0] + 1 + uint64(c.ID), nil }); err != nil {
					t.Fatal(err)
				}
			}
			img, err := load(rt)
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			for id, want := range map[uint64]string{
				5: "", 255: "", 0: "no helper with id 0", 6: "no helper with id 6", 254: "no helper with id 254",
				256: "no helper with id 256", 1 << 40: "no helper with id 0x10000000000", ^uint64(0): "no helper with id 0xffffffffffffffff",
			} {
				r0, err := img.Run(0, host.NewMemoryContext(binary.LittleEndian.AppendUint64(nil, id)))
				switch {
				case want == "" && (err != nil || r0 != 42+id):
					t.Errorf("id %d: r0 = %d, %v; want %d", id, r0, err, 42+id)
				case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
					t.Errorf("id %#x: r0 = %d, err = %v; want an error containing %q", id, r0, err, want)
				}
			}
			// The image still works after a trap.
			if r0, err := img.Run(0, host.NewMemoryContext(binary.LittleEndian.AppendUint64(nil, 5))); err != nil || r0 != 47 {
				t.Errorf("after the traps: r0 = %d, %v; want 47", r0, err)
			}
		})
	}
}
