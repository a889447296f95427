package interp

import (
	"bytes"
	"testing"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/cilium/ebpf/asm"
)

// Windows numbers bpf_tail_call 5 and bpf_trace_printk3 13.
const (
	winTailCall    = asm.BuiltinFunc(5)
	winTracePrintk = asm.BuiltinFunc(13)
)

func tailCallModule(t *testing.T) *ir.Module {
	count := asm.Instructions{
		asm.Mov.Reg(asm.R7, asm.R1),
		asm.LoadMapValue(asm.R6, 1, 0),
		asm.LoadMem(asm.R0, asm.R6, 0, asm.DWord),
		asm.Add.Imm(asm.R0, 1),
		asm.StoreMem(asm.R6, 0, asm.R0, asm.DWord),
	}
	tail := func(idx int32) asm.Instructions {
		return asm.Instructions{
			asm.Mov.Reg(asm.R1, asm.R7), asm.LoadMapPtr(asm.R2, 0), asm.Mov.Imm(asm.R3, idx),
			winTailCall.Call(),
			asm.Mov.Reg(asm.R8, asm.R0),
			asm.LoadMem(asm.R0, asm.R6, 0, asm.DWord),
			asm.Return(),
		}
	}
	entry := append(append(asm.Instructions{}, count...), tail(0)...)
	self := append(append(asm.Instructions{}, count...), tail(1)...)
	empty := append(append(asm.Instructions{}, count...), tail(2)...)
	target := asm.Instructions{storeDW(asm.R10, -8, 1), asm.Mov.Imm(asm.R0, 42), asm.Return()}
	return &ir.Module{
		Maps: []*ir.Map{
			{Name: "jmp", Kind: ir.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 4,
				Entries: []ir.MapEntry{{Key: 0, Value: "target"}, {Key: 1, Value: "self"}}},
			{Name: ".bss", Kind: ir.MapArray, KeySize: 4, ValueSize: 8, MaxEntries: 1, Section: ".bss"},
		},
		Programs: []*ir.Program{program(t, "entry", entry), program(t, "self", self), program(t, "empty", empty), program(t, "target", target)},
	}
}

func TestTailCall(t *testing.T) {
	for _, tc := range []struct {
		prog  string
		want  uint64
		count uint64
	}{
		{"entry", 42, 1},  // the target's result, not entry's
		{"self", 34, 34},  // the first run and 33 tail calls; the 34th call fails
		{"empty", 1, 1},   // empty slot: the call fails and the program goes on
		{"target", 42, 0}, // run directly
	} {
		t.Run(tc.prog, func(t *testing.T) {
			vm := newVM(t, tailCallModule(t), "windows", Options{})
			got, err := vm.Run(vm.Program(tc.prog), context(t, "windows", "xdp", nil, nil))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("r0 = %d, want %d", got, tc.want)
			}
			v, _ := vm.RT.Map(".bss").Lookup([]byte{0, 0, 0, 0})
			if le.Uint64(v) != tc.count {
				t.Errorf("counter = %d, want %d", le.Uint64(v), tc.count)
			}
		})
	}
}

func TestSetProgram(t *testing.T) {
	vm := newVM(t, tailCallModule(t), "windows", Options{})
	if err := vm.RT.Map("jmp").SetProgram(2, vm.Program("target")); err != nil {
		t.Fatal(err)
	}
	got, err := vm.Run(vm.Program("empty"), context(t, "windows", "xdp", nil, nil))
	if err != nil || got != 42 {
		t.Errorf("got %d, %v; want 42", got, err)
	}
}

func TestHelpersThroughInterpreter(t *testing.T) {
	// "n=%d x=%x\n" on the stack, then bpf_trace_printk3(fmt, 11, 7, 255)
	// -- Windows' three-argument variant takes one value, so 255 is ignored
	// by the format but still passed.
	fmt := []byte("n=%d x=%x\n\x00")
	var ins asm.Instructions
	for i := 0; i < len(fmt); i++ {
		ins = append(ins, asm.StoreImm(asm.R10, int16(i-16), int64(fmt[i]), asm.Byte))
	}
	ins = append(ins,
		asm.Mov.Reg(asm.R1, asm.R10), asm.Add.Imm(asm.R1, -16), asm.Mov.Imm(asm.R2, int32(len(fmt))),
		asm.Mov.Imm(asm.R3, -7), asm.Mov.Imm(asm.R4, 255),
		winTracePrintk.Call(),
		asm.Return(),
	)
	vm := newVM(t, &ir.Module{Programs: []*ir.Program{program(t, "p", ins)}}, "windows", Options{})
	var out bytes.Buffer
	vm.RT.Trace = &out
	got, err := vm.Run(0, context(t, "windows", "xdp", nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != "n=-7 x=ff\n" || got != uint64(out.Len()) {
		t.Errorf("trace %q, r0 %d; want %q and its length", out.String(), got, "n=-7 x=ff\n")
	}
}
