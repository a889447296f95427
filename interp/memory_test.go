package interp

import (
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/cilium/ebpf/asm"
)

// Maps of the memory tests, by index: a hash of 8-byte values and a global.
var memMaps = []*ir.Map{
	{Name: "h", Kind: ir.MapHash, KeySize: 4, ValueSize: 8, MaxEntries: 4},
	{Name: ".data", Kind: ir.MapArray, KeySize: 4, ValueSize: 12, MaxEntries: 1, Section: ".data", Init: []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}},
	{Name: ".rodata", Kind: ir.MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 1, Section: ".rodata", ReadOnly: true, Init: []byte{42, 0, 0, 0}},
}

// lookup0 leaves in r0 the value of key 0 of map h, inserting it first when
// insert is set (windows helper ids: 1 lookup, 2 update, 3 delete).
func lookup0(insert bool) asm.Instructions {
	var ins asm.Instructions
	ins = append(ins, asm.StoreImm(asm.R10, -4, 0, asm.Word), storeDW(asm.R10, -16, 0))
	if insert {
		ins = append(ins,
			asm.LoadMapPtr(asm.R1, 0), asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -4),
			asm.Mov.Reg(asm.R3, asm.R10), asm.Add.Imm(asm.R3, -16), asm.Mov.Imm(asm.R4, 0),
			asm.FnMapUpdateElem.Call())
	}
	return append(ins, asm.LoadMapPtr(asm.R1, 0), asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -4), asm.FnMapLookupElem.Call())
}

func TestMemoryViolations(t *testing.T) {
	deleteKey0 := asm.Instructions{asm.Mov.Reg(asm.R6, asm.R0), asm.LoadMapPtr(asm.R1, 0), asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -4), asm.FnMapDeleteElem.Call()}
	for _, tc := range []struct {
		name string
		ins  asm.Instructions
		want string // in the error
	}{
		{"stack below frame", asm.Instructions{asm.LoadMem(asm.R0, asm.R10, -520, asm.DWord), asm.Return()}, "invalid read of 8 bytes"},
		{"stack above top", asm.Instructions{asm.LoadMem(asm.R0, asm.R10, 0, asm.Word), asm.Return()}, "above the top of the stack"},
		{"stack straddling top", asm.Instructions{asm.LoadMem(asm.R0, asm.R10, -4, asm.DWord), asm.Return()}, "crosses the top of the stack"},
		{"null deref", asm.Instructions{asm.Mov.Imm(asm.R1, 0), asm.LoadMem(asm.R0, asm.R1, 8, asm.Word), asm.Return()}, "null pointer"},
		{"wild pointer", asm.Instructions{asm.LoadImm(asm.R1, 0x7fff12345678, asm.DWord), asm.StoreImm(asm.R1, 0, 1, asm.Byte), asm.Return()}, "invalid write of 1 bytes"},
		{"ctx read-only field", asm.Instructions{asm.StoreImm(asm.R1, 24, 1, asm.Word), asm.Return()}, "ctx field ingress_ifindex is read-only"},
		{"ctx outside fields", asm.Instructions{asm.LoadMem(asm.R0, asm.R1, 28, asm.Word), asm.Return()}, "not in any field"},
		{"ctx partial pointer", asm.Instructions{asm.LoadMem(asm.R0, asm.R1, 0, asm.Word), asm.Return()}, "loaded whole"},
		{"packet overrun", asm.Instructions{asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord), asm.LoadMem(asm.R0, asm.R2, 60, asm.Word), asm.Return()}, "past the end of packet"},
		{"map value overrun into next element", append(lookup0(true), asm.LoadMem(asm.R0, asm.R0, 4, asm.DWord), asm.Return()), "crosses the end of map h element 0"},
		{"freed hash element", append(append(lookup0(true), deleteKey0...), asm.LoadMem(asm.R0, asm.R6, 0, asm.DWord), asm.Return()), "map h element 0 has been deleted"},
		{"misaligned atomic", asm.Instructions{storeDW(asm.R10, -8, 0), asm.Mov.Imm(asm.R1, 1), withOffset(asm.StoreXAdd(asm.R10, asm.R1, asm.Word), -6), asm.Return()}, "misaligned"},
		{"global overrun", asm.Instructions{asm.LoadMapValue(asm.R1, 1, 8), asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord), asm.Return()}, "outside map .data"},
		{"rodata write", asm.Instructions{asm.LoadMapValue(asm.R1, 2, 0), asm.StoreImm(asm.R1, 0, 1, asm.Byte), asm.Return()}, "map .rodata is read-only"},
		{"helper key outside stack", asm.Instructions{asm.LoadMapPtr(asm.R1, 0), asm.Mov.Reg(asm.R2, asm.R10), asm.FnMapLookupElem.Call(), asm.Return()}, "key of map h"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := &ir.Module{Maps: memMaps, Programs: []*ir.Program{program(t, "xdp_prog", tc.ins)}}
			vm := newVM(t, mod, "windows", Options{})
			ctx := context(t, "windows", "xdp", make([]byte, 60), nil)
			r0, err := vm.Run(0, ctx)
			if err == nil {
				t.Fatalf("program returned %#x, want an error containing %q", r0, tc.want)
			}
			var f *Fault
			if !errors.As(err, &f) || !strings.HasPrefix(err.Error(), "program xdp_prog: instruction ") {
				t.Errorf("error %q is not a located fault", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestFaultNamesSourcePosition(t *testing.T) {
	p := program(t, "xdp_prog", asm.Instructions{asm.Mov.Imm(asm.R1, 0), asm.LoadMem(asm.R0, asm.R1, 0, asm.Word), asm.Return()})
	p.Insns[1].Pos = ir.Position{File: "xdp.c", Line: 42, Col: 7}
	vm := newVM(t, &ir.Module{Programs: []*ir.Program{p}}, "", Options{})
	_, err := vm.Run(0, host.NewMemoryContext(nil))
	want := "program xdp_prog: instruction 1 (xdp.c:42:7): invalid read of 4 bytes at 0x0: null pointer dereference"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

func TestAllowedAccesses(t *testing.T) {
	// Reads every kind of memory the program may touch and sums what it read.
	ins := append(lookup0(true),
		asm.JEq.Imm(asm.R0, 0, "fail"),
		storeDW(asm.R0, 0, 5), // map value is writable
		asm.LoadMem(asm.R6, asm.R0, 0, asm.DWord),
		asm.LoadMapValue(asm.R1, 1, 4), asm.LoadMem(asm.R2, asm.R1, 0, asm.Byte), // .data[4] = 5
		asm.Add.Reg(asm.R6, asm.R2),
		asm.LoadMapValue(asm.R1, 2, 0), asm.LoadMem(asm.R2, asm.R1, 0, asm.Word), // .rodata = 42
		asm.Add.Reg(asm.R6, asm.R2),
		asm.Mov.Reg(asm.R0, asm.R6),
		asm.Return(),
		asm.Mov.Imm(asm.R0, -1).WithSymbol("fail"),
		asm.Return(),
	)
	mod := &ir.Module{Maps: memMaps, Programs: []*ir.Program{program(t, "p", ins)}}
	vm := newVM(t, mod, "windows", Options{})
	got, err := vm.Run(0, context(t, "windows", "xdp", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if got != 5+5+42 {
		t.Errorf("r0 = %d, want 52", got)
	}
	v, ok := vm.RT.Maps[0].Lookup([]byte{0, 0, 0, 0})
	if !ok || binary.LittleEndian.Uint64(v) != 5 {
		t.Errorf("map h[0] = %x, %v; want 5", v, ok)
	}
}

// TestPacketAccess walks an XDP packet through data/data_end on both
// platforms: Windows' 64-bit fields and Linux's 32-bit virtual ones.
func TestPacketAccess(t *testing.T) {
	for _, plat := range []string{"windows", "linux"} {
		t.Run(plat, func(t *testing.T) {
			size := asm.DWord
			endOff := int16(8)
			if plat == "linux" {
				size, endOff = asm.Word, 4
			}
			ins := asm.Instructions{
				asm.LoadMem(asm.R2, asm.R1, 0, size),
				asm.LoadMem(asm.R3, asm.R1, endOff, size),
				asm.Mov.Reg(asm.R0, asm.R3),
				asm.Sub.Reg(asm.R0, asm.R2), // length
				asm.LoadMem(asm.R4, asm.R2, 2, asm.Byte),
				asm.StoreImm(asm.R2, 3, 0x77, asm.Byte),
				asm.LSh.Imm(asm.R4, 8),
				asm.Add.Reg(asm.R0, asm.R4),
				asm.Return(),
			}
			mod := &ir.Module{Programs: []*ir.Program{program(t, "p", ins)}}
			vm := newVM(t, mod, plat, Options{})
			ctx := context(t, plat, "xdp", []byte{1, 2, 3, 4, 5}, nil)
			got, err := vm.Run(0, ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got != 3<<8+5 {
				t.Errorf("r0 = %#x, want %#x", got, 3<<8+5)
			}
			if pkt := ctx.Packet(); pkt[3] != 0x77 {
				t.Errorf("packet after run = %x, want byte 3 = 0x77", pkt)
			}
		})
	}
}

func withOffset(ins asm.Instruction, off int16) asm.Instruction {
	ins.Offset = off
	return ins
}

// storeDW is stdw, which cilium/ebpf's StoreImm refuses to build.
func storeDW(dst asm.Register, off int16, v int64) asm.Instruction {
	return asm.Instruction{OpCode: asm.StoreImmOp(asm.DWord), Dst: dst, Offset: off, Constant: v}
}
