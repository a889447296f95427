package interp

import (
	"errors"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/cilium/ebpf/asm"
)

// Tests of the run loop's fast paths: superinstructions, unchecked stack
// forms, region windows and the budget accounting.

// TestFusedPairs runs each kind of superinstruction, also entering at its
// second half through a jump, and checks results and exact counts.
func TestFusedPairs(t *testing.T) {
	for _, tc := range []struct {
		name  string
		src   string
		want  uint64
		count uint64
	}{
		// mov+alu, 64- and 32-bit, imm and reg.
		{"mov add imm", "mov %r1, 5\nmov %r0, %r1\nadd %r0, 3\nexit", 8, 4},
		{"mov sub reg", "mov %r1, 5\nmov %r2, 7\nmov %r0, %r1\nsub %r0, %r2\nexit", 0xfffffffffffffffe, 5},
		{"mov32 rsh32", "lddw %r1, 0x1ffffffff\nmov32 %r0, %r1\nrsh32 %r0, 4\nexit", 0x0fffffff, 4},
		{"mov64 lsh32", "lddw %r1, 0x1ffffffff\nmov %r0, %r1\nlsh32 %r0, 4\nexit", 0xfffffff0, 4},
		// A 32-bit mov followed by a 64-bit operation is not fused: the
		// operand must be zero-extended first.
		{"mov32 add64", "lddw %r1, 0x1ffffffff\nmov32 %r0, %r1\nadd %r0, 1\nexit", 0x100000000, 4},
		// The register operand is dst itself: it must read the moved value.
		{"mov add self", "mov %r1, 3\nmov %r0, %r1\nadd %r0, %r0\nexit", 6, 4},
		{"mov arsh", "mov %r1, -16\nmov %r0, %r1\narsh %r0, 2\nexit", 0xfffffffffffffffc, 4},
		// add+jump: a loop counter.
		{"add jlt loop", "mov %r0, 0\nl:\nadd %r0, 1\njlt %r0, 10, l\nexit", 10, 22},
		// mov+add+jump: a bounds check taken and not taken.
		{"mov add jgt taken", "mov %r1, 10\nmov %r2, %r1\nadd %r2, 4\njgt %r2, 12, +1\nexit\nmov %r0, %r2\nexit", 14, 6},
		{"mov add jgt not taken", "mov %r1, 10\nmov %r0, %r1\nadd %r0, 4\njgt %r0, 20, +1\nexit\nmov %r0, 1\nexit", 14, 5},
		// A jump into the second half of a fused pair runs just that half.
		{"jump into mov+add", "mov %r0, 100\nmov %r1, 1\nja +2\nmov %r0, %r1\nmov %r0, %r1\nadd %r0, 5\nexit", 105, 5},
		{"jump into add+jump", "mov %r0, 7\nja +1\nadd %r0, 1\njeq %r0, 7, +1\nexit\nmov %r0, 42\nexit", 42, 5},
		{"jump into mov+add+jump", "mov %r0, 7\nmov %r1, 100\nja +1\nmov %r0, %r1\nadd %r0, 1\njne %r0, 8, +1\nexit\nmov %r0, 42\nexit", 8, 6},
		// mov+add followed by mov+add+jump: the indexed bounds check.
		{"mov add mov add jgt taken", "mov %r1, 10\nmov %r3, 2\nmov %r2, %r1\nadd %r2, %r3\nmov %r4, %r2\nadd %r4, 4\njgt %r4, 12, +1\nexit\nmov %r0, %r4\nexit", 16, 9},
		{"mov add mov add jgt not taken", "mov %r1, 10\nmov %r3, 2\nmov %r0, %r1\nadd %r0, %r3\nmov %r4, %r0\nadd %r4, 4\njgt %r4, 20, +1\nexit\nmov %r0, 1\nexit", 12, 8},
		{"jump into mov add mov add jgt", "mov %r0, 5\nmov %r1, 10\nja +1\nmov %r0, %r1\nadd %r0, %r1\nmov %r4, %r0\nadd %r4, 4\njgt %r4, 20, +1\nexit\nmov %r0, 1\nexit", 15, 8},
		// ldx+ALU: the loaded register operated on, as an operand, moved.
		{"ldx add imm", stackPtr + "stdw [%r1], 5\nldxdw %r2, [%r1]\nadd %r2, 3\nmov %r0, %r2\nexit", 8, 7},
		{"ldx add32 imm", stackPtr + "stdw [%r1], -1\nldxdw %r0, [%r1]\nadd32 %r0, 2\nexit", 1, 6},
		{"ldx xor reg", stackPtr + "stb [%r1], 0x0f\nmov %r0, 0xf0\nldxb %r2, [%r1]\nxor %r0, %r2\nexit", 0xff, 7},
		{"ldx xor32 reg", stackPtr + "sth [%r1], 0x0f\nlddw %r3, 0x1000000f0\nldxh %r0, [%r1]\nxor32 %r0, %r3\nexit", 0xff, 7},
		{"ldx add self", stackPtr + "stw [%r1], 3\nldxw %r0, [%r1]\nadd %r0, %r0\nexit", 6, 6},
		{"ldx mov32", stackPtr + "stdw [%r1], -1\nldxdw %r2, [%r1]\nmov32 %r0, %r2\nexit", 0xffffffff, 6},
		{"ldx add other", stackPtr + "stw [%r1], 3\nmov %r0, 1\nldxw %r2, [%r1]\nadd %r0, %r3\nexit", 1, 7},
		{"jump into ldx add", stackPtr + "stdw [%r1], 5\nmov %r0, 1\nja +1\nldxdw %r0, [%r1]\nadd %r0, 3\nexit", 4, 7},
		// Two ALU operations with immediates on one register.
		{"and lsh", "mov %r0, 0x1ff\nand %r0, 0xff\nlsh %r0, 2\nexit", 0x3fc, 4},
		{"mov32 and32 lsh32", "lddw %r1, 0x1ffffffff\nmov32 %r0, %r1\nand32 %r0, -1\nlsh32 %r0, 4\nexit", 0xfffffff0, 5},
		{"mul32 add32 wraps", "mov %r0, 0x10000\nmul32 %r0, 0x10000\nadd32 %r0, -1\nexit", 0xffffffff, 4},
		{"add sign-extends", "mov %r0, 1\nadd %r0, 1\nadd %r0, -3\nexit", 0xffffffffffffffff, 4},
		{"xor rsh64", "lddw %r0, 0xff00000000000000\nxor %r0, -1\nrsh %r0, 60\nexit", 0, 4},
		{"or rsh32", "mov %r0, 0\nor32 %r0, -1\nrsh32 %r0, 28\nexit", 0xf, 4},
		{"mov64 mul32 rsh32", "lddw %r1, 0x100000003\nmov %r0, %r1\nmul32 %r0, 0x55555556\nrsh32 %r0, 31\nexit", 0, 5},
		{"zext lsh", "lddw %r1, 0x1ffffffff\nmov %r0, %r1\nlsh %r0, 32\nrsh %r0, 32\nlsh %r0, 2\nexit", 0x3fffffffc, 6},
		{"lsh rsh not zext", "lddw %r0, 0x1ffffffff\nlsh %r0, 32\nrsh %r0, 32\nexit", 0xffffffff, 4},
		{"jump into pair", "mov %r0, 0xf0\nja +1\nand %r0, 0xf\nlsh %r0, 4\nexit", 0xf00, 4},
		{"jump into zext", "lddw %r0, 0x1ffffffff\nja +1\nlsh %r0, 32\nrsh %r0, 32\nlsh %r0, 1\nexit", 2, 5},
		// Rotates: mov t, a; rsh32 t, k; [mov d, a;] lsh32 d, 32-k; or32 d, t.
		{"rotate in place", "mov %r1, 0x12345678\nmov %r2, %r1\nrsh32 %r2, 8\nlsh32 %r1, 24\nor32 %r1, %r2\nmov %r0, %r1\nlsh %r0, 32\nor %r0, %r2\nexit", 0x7812345600123456, 9},
		{"rotate to another", "lddw %r1, 0xff12345678\nmov %r2, %r1\nrsh32 %r2, 4\nmov32 %r0, %r1\nlsh32 %r0, 28\nor32 %r0, %r2\nlsh %r0, 32\nor %r0, %r2\nexit", 0x8123456701234567, 9},
		{"jump into rotate", "mov %r1, 0x12345678\nmov %r2, 1\nja +2\nmov %r2, %r1\nrsh32 %r2, 8\nlsh32 %r1, 24\nor32 %r1, %r2\nmov %r0, %r1\nexit", 0x78000001, 7},
		// add, mov, conditional jump: a loop's tail.
		{"add mov jlt loop", "mov %r0, 0\nmov %r3, 7\nl:\nadd %r0, 1\nmov32 %r2, %r3\njlt %r0, 10, l\nadd %r0, %r2\nexit", 17, 34},
		{"add mov32 truncates", "lddw %r3, 0x1ffffffff\nmov %r1, 0\nadd %r1, 1\nmov32 %r0, %r3\njeq %r1, 1, +1\nexit\nadd %r0, 1\nexit", 0x100000000, 7},
		{"add mov64 not taken", "lddw %r3, 0x1ffffffff\nmov %r1, 0\nadd %r1, 1\nmov %r0, %r3\njne %r1, 1, +1\nexit\nmov %r0, 0\nexit", 0x1ffffffff, 6},
		{"jump into add mov jump", "mov %r1, 5\nmov %r0, 3\nja +1\nadd %r1, 1\nmov %r0, %r1\njeq %r1, 5, +1\nexit\nmov %r0, 42\nexit", 42, 7},
		{"add mov reads the sum", "mov %r1, 5\nadd %r1, 1\nmov %r0, %r1\njeq %r1, 6, +1\nexit\nadd %r0, 1\nexit", 7, 6},
		// mov imm, then another mov imm or a store of it to the frame.
		{"mov imm pairs", "mov %r1, 1\nmov32 %r2, -1\nmov %r3, -2\nmov %r0, %r2\nadd %r0, %r3\nadd %r0, %r1\nexit", 0xfffffffe, 7},
		{"mov imm stores", "mov %r1, -1\nstxdw [%r10-8], %r1\nmov32 %r2, 0x1234\nstxb [%r10-9], %r2\nmov %r3, 0x5678\nstxh [%r10-12], %r3\nmov32 %r4, -2\nstxw [%r10-16], %r4\n" +
			"ldxdw %r0, [%r10-8]\nldxb %r1, [%r10-9]\nadd %r0, %r1\nldxh %r1, [%r10-12]\nadd %r0, %r1\nldxw %r1, [%r10-16]\nadd %r0, %r1\nadd %r0, %r4\nexit", 0x1fffffffc + 0x34 + 0x5678 - 1, 17},
		{"jump into mov imm pair", "mov %r0, 1\nja +1\nmov %r0, 2\nmov %r1, 3\nadd %r0, %r1\nexit", 4, 5},
		{"jump into mov imm store", "mov %r1, 1\nja +1\nmov %r1, 2\nstxdw [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit", 1, 5},
		// add d, s; ldx t, [d+off]: an indexed load.
		{"add ldx", stackPtr + "stw [%r1], 0x12345678\nmov %r2, -8\nmov %r3, %r10\nadd %r3, %r2\nldxh %r0, [%r3+2]\nadd %r0, %r3\nsub %r0, %r1\nexit", 0x1234, 10},
		{"add ldx into the base", stackPtr + "stdw [%r1], 7\nmov %r2, -8\nmov %r3, %r10\nadd %r3, %r2\nldxdw %r3, [%r3]\nmov %r0, %r3\nexit", 7, 9},
		{"jump into add ldx", stackPtr + "stb [%r1], 9\nmov %r2, 100\nja +1\nadd %r1, %r2\nldxb %r0, [%r1]\nexit", 9, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm, ctx, err := NewBytecodeVM(assemble(t, tc.src), nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := vm.Run(0, ctx)
			if err != nil || got != tc.want {
				t.Errorf("got %#x, %v; want %#x", got, err, tc.want)
			}
			if vm.Executed() != tc.count {
				t.Errorf("executed %d instructions, want %d", vm.Executed(), tc.count)
			}
		})
	}
}

// stackPtr points r1 at r10-8 through a register, so that accesses through
// it take the checked forms.
const stackPtr = "mov %r1, %r10\nadd %r1, -8\n"

// TestFusedLoadFault checks that a fault in the load of a fused load+ALU
// pair names the load.
func TestFusedLoadFault(t *testing.T) {
	vm, ctx, err := NewBytecodeVM(assemble(t, "mov %r0, 1\nmov %r1, 0\nldxw %r0, [%r1+8]\nadd %r0, 1\nexit"), nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = vm.Run(0, ctx)
	var f *Fault
	if !errors.As(err, &f) || f.Slot != 2 || !strings.Contains(err.Error(), "null pointer") {
		t.Fatalf("got %v, want a null pointer fault at instruction 2", err)
	}
	if vm.Executed() != 3 {
		t.Errorf("executed %d, want 3", vm.Executed())
	}
}

// TestFusedFaults checks that a fault in the second half of a fused form
// names that half, with exact counts.
func TestFusedFaults(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		slot      int
		count     uint64
		want      string
	}{
		{"add ldx", "mov %r1, 0\nmov %r2, 8\nadd %r1, %r2\nldxw %r0, [%r1]\nexit", 3, 4, "null pointer"},
		{"add ldx past the frame", "mov %r1, %r10\nmov %r2, 8\nadd %r1, %r2\nldxdw %r0, [%r1-8]\nexit", 3, 4, "above the top of the stack"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vm, ctx, err := NewBytecodeVM(assemble(t, tc.src), nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = vm.Run(0, ctx)
			var f *Fault
			if !errors.As(err, &f) || f.Slot != tc.slot || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q at instruction %d", err, tc.want, tc.slot)
			}
			if vm.Executed() != tc.count {
				t.Errorf("executed %d, want %d", vm.Executed(), tc.count)
			}
		})
	}
}

// TestBudgetExact checks that the budget fault comes at the first taken jump
// past the budget, also when that jump is the tail of a superinstruction.
func TestBudgetExact(t *testing.T) {
	// Each iteration runs 2 instructions (add, jlt); the add+jlt pair is
	// fused.
	src := "mov %r0, 0\nl:\nadd %r0, 1\njlt %r0, 1000, l\nexit"
	vm, ctx, err := NewBytecodeVM(assemble(t, src), nil, Options{MaxInstructions: 100})
	if err != nil {
		t.Fatal(err)
	}
	_, err = vm.Run(0, ctx)
	var f *Fault
	if !errors.As(err, &f) || !errors.Is(err, ErrBudget) || f.Slot != 2 {
		t.Fatalf("got %v, want a budget fault at instruction 2", err)
	}
	// 1 + 2 per iteration: the 50th jump is the 101st instruction.
	if vm.Executed() != 101 {
		t.Errorf("executed %d, want 101", vm.Executed())
	}
	// The same VM runs again identically.
	if _, err2 := vm.Run(0, ctx); err2 == nil || err2.Error() != err.Error() || vm.Executed() != 101 {
		t.Errorf("second run: %v after %d instructions", err2, vm.Executed())
	}
	// The same with a mov between the add and the jump, fused too.
	src2 := "mov %r0, 0\nl:\nadd %r0, 1\nmov %r1, %r2\njlt %r0, 1000, l\nexit"
	vm2, ctx2, err := NewBytecodeVM(assemble(t, src2), nil, Options{MaxInstructions: 100})
	if err != nil {
		t.Fatal(err)
	}
	_, err2 := vm2.Run(0, ctx2)
	if !errors.As(err2, &f) || !errors.Is(err2, ErrBudget) || f.Slot != 3 || vm2.Executed() != 103 {
		t.Fatalf("got %v after %d instructions, want a budget fault at instruction 3 after 103", err2, vm2.Executed())
	}
}

// TestStackForms checks the bounds of the unchecked [r10+off] forms and that
// the checked forms still catch what they do not cover.
func TestStackForms(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      uint64
		err       string
	}{
		{"lowest byte", "stb [%r10-512], 7\nldxb %r0, [%r10-512]\nexit", 7, ""},
		{"highest dword", "lddw %r1, 0x1122334455667788\nstxdw [%r10-8], %r1\nldxdw %r0, [%r10-8]\nexit", 0x1122334455667788, ""},
		{"half", "sth [%r10-2], 0x1234\nldxh %r0, [%r10-2]\nexit", 0x1234, ""},
		{"word", "stw [%r10-4], -1\nldxw %r0, [%r10-4]\nexit", 0xffffffff, ""},
		{"below the frame", "ldxb %r0, [%r10-513]\nexit", 0, "invalid read of 1 bytes"},
		{"straddling the top", "ldxw %r0, [%r10-2]\nexit", 0, "crosses the top of the stack"},
		{"above the top", "stb [%r10], 1\nexit", 0, "above the top of the stack"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := RunBytecode(assemble(t, tc.src), nil)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("got %#x, %v; want an error containing %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %#x, %v; want %#x", got, err, tc.want)
			}
		})
	}
}

// TestStackClearedBetweenRuns checks that every run starts with a zeroed
// stack, including frames only a callee used.
func TestStackClearedBetweenRuns(t *testing.T) {
	ins := asm.Instructions{
		asm.LoadMem(asm.R0, asm.R10, -8, asm.DWord),
		asm.Call.Label("f"),
		asm.LoadMem(asm.R1, asm.R10, -8, asm.DWord),
		asm.Add.Reg(asm.R0, asm.R1),
		asm.Return(),
		asm.LoadMem(asm.R0, asm.R10, -16, asm.DWord).WithSymbol("f"),
		asm.StoreImm(asm.R10, -16, 5, asm.Word),
		asm.StoreImm(asm.R10, StackSize-8, 1, asm.Word), // the caller's r10-8
		asm.Return(),
	}
	vm := newVM(t, &ir.Module{Programs: []*ir.Program{program(t, "p", ins)}}, "", Options{})
	for i := 0; i < 3; i++ {
		got, err := vm.Run(0, host.NewMemoryContext(nil))
		// r0 is f's first read of its frame (0) plus the caller's slot.
		if err != nil || got != 1 {
			t.Fatalf("run %d: got %d, %v; want 1", i, got, err)
		}
	}
}

// TestWindowsStayChecked checks that accesses found in a cached region
// window get exactly the checks of the slow path.
func TestWindowsStayChecked(t *testing.T) {
	deleteKey0 := asm.Instructions{asm.Mov.Reg(asm.R6, asm.R0), asm.LoadMapPtr(asm.R1, 0), asm.Mov.Reg(asm.R2, asm.R10), asm.Add.Imm(asm.R2, -4), asm.FnMapDeleteElem.Call()}
	for _, tc := range []struct {
		name string
		ins  asm.Instructions
		want string
	}{
		{"element overrun after an access", append(lookup0(true),
			asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord), asm.LoadMem(asm.R0, asm.R0, 4, asm.DWord), asm.Return()),
			"crosses the end of map h element 0"},
		{"deleted after an access", append(append(append(lookup0(true),
			asm.LoadMem(asm.R1, asm.R0, 0, asm.DWord)), deleteKey0...),
			asm.LoadMem(asm.R0, asm.R6, 0, asm.DWord), asm.Return()),
			"map h element 0 has been deleted"},
		{"read-only after a read", asm.Instructions{asm.LoadMapValue(asm.R1, 2, 0), asm.LoadMem(asm.R0, asm.R1, 0, asm.Word),
			asm.StoreImm(asm.R1, 0, 1, asm.Byte), asm.Return()},
			"map .rodata is read-only"},
		{"global overrun after a read", asm.Instructions{asm.LoadMapValue(asm.R1, 1, 0), asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord),
			asm.LoadMem(asm.R0, asm.R1, 8, asm.DWord), asm.Return()},
			"outside map .data"},
		{"packet overrun after a read", asm.Instructions{asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord), asm.LoadMem(asm.R0, asm.R2, 0, asm.Word),
			asm.LoadMem(asm.R0, asm.R2, 58, asm.Word), asm.Return()},
			"outside packet"},
		{"ctx field after a read", asm.Instructions{asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord), asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
			asm.LoadMem(asm.R0, asm.R1, 0, asm.Word), asm.Return()},
			"loaded whole"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := &ir.Module{Maps: memMaps, Programs: []*ir.Program{program(t, "xdp_prog", tc.ins)}}
			vm := newVM(t, mod, "windows", Options{})
			for i := 0; i < 2; i++ {
				ctx := context(t, "windows", "xdp", make([]byte, 60), nil)
				_, err := vm.Run(0, ctx)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("run %d: got %v, want an error containing %q", i, err, tc.want)
				}
			}
		})
	}
}
