package arm64

import (
	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/regalloc"
)

// AAPCS64 is the Procedure Call Standard for the Arm 64-bit Architecture
// as Linux uses it: eight register arguments (eBPF passes at most five, so
// nothing goes on the stack), the result in x0, x19-x28 callee-saved.
// x16-x18 are listed as caller-saved for completeness; the machine never
// allocates them.
var AAPCS64 = &backend.ABI{
	Name:        "aapcs64",
	IntArgs:     []regalloc.Reg{x0, x1, x2, x3, x4, x5, x6, x7},
	IntResult:   x0,
	CalleeSaved: regalloc.NewRegSet(x19, x20, x21, x22, x23, x24, x25, x26, x27, x28),
	CallerSaved: regalloc.NewRegSet(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15,
		x16, x17, x18),
	StackAlign: 16,
}

// Windows is the Windows ARM64 convention (ebpf-for-windows drivers,
// linker/pe): AAPCS64's argument, result and callee-saved registers, but
// x18 is the platform register, holding the TEB in user mode and the KPCR
// in the kernel, which code must neither use nor clobber, so it is in
// neither set. Code generated under it differs from AAPCS64 code in one
// place, for the unwinder: Windows unwind codes describe only pairs of
// consecutive registers (save_regp saves x(19+n) and x(20+n)), so the
// prologue pairs callee-saved registers only when they are consecutive
// and stores the others one by one. Calls pass the program context as
// bpf2c's code does.
var Windows = &backend.ABI{
	Name:        "windows",
	IntArgs:     []regalloc.Reg{x0, x1, x2, x3, x4, x5, x6, x7},
	IntResult:   x0,
	CalleeSaved: regalloc.NewRegSet(x19, x20, x21, x22, x23, x24, x25, x26, x27, x28),
	CallerSaved: regalloc.NewRegSet(x0, x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, x11, x12, x13, x14, x15,
		x16, x17),
	StackAlign:  16,
	PassContext: true,
}

func init() {
	backend.Register(&backend.Arch{
		Name:       "arm64",
		ABIs:       []*backend.ABI{AAPCS64, Windows},
		NewMachine: func(abi *backend.ABI) backend.Machine { return NewMachine(abi) },
		// udf #0 between functions: a jump into padding traps.
		Fill: []byte{0, 0, 0, 0},
	})
}

// reserved are the registers the allocator never assigns (see doc.go).
var reserved = regalloc.NewRegSet(x16, x17, x18, x29, x30, sp, xzr)

// registerInfo describes the allocatable registers under abi:
// caller-saved ones first, then callee-saved, none of the reserved.
func registerInfo(abi *backend.ABI) *regalloc.RegisterInfo {
	info := &regalloc.RegisterInfo{CallerSaved: abi.CallerSaved, CalleeSaved: abi.CalleeSaved, Name: regName}
	for r := x0; r < sp; r++ {
		if abi.CallerSaved.Has(r) && !reserved.Has(r) {
			info.Allocatable = append(info.Allocatable, r)
		}
	}
	for r := x0; r < sp; r++ {
		if abi.CalleeSaved.Has(r) && !reserved.Has(r) {
			info.Allocatable = append(info.Allocatable, r)
		}
	}
	return info
}
