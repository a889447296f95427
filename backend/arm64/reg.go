package arm64

import (
	"fmt"

	"github.com/bpf2native/bpf2native/regalloc"
)

// The general registers by number: x0-x30 as the hardware numbers them,
// then the stack pointer and the zero register, which share hardware
// number 31 and are told apart by the instruction.
const (
	x0 regalloc.Reg = iota
	x1
	x2
	x3
	x4
	x5
	x6
	x7
	x8
	x9
	x10
	x11
	x12
	x13
	x14
	x15
	x16 // IP0: encoder scratch
	x17 // IP1: encoder scratch
	x18 // platform register
	x19
	x20
	x21
	x22
	x23
	x24
	x25
	x26
	x27
	x28
	x29 // frame pointer
	x30 // link register
	sp
	xzr
	numRegs
)

// regName names a register in dumps: physical registers by name, virtual
// ones as v<n>.
func regName(r regalloc.Reg) string {
	switch {
	case r == regalloc.NoReg:
		return "<none>"
	case r.IsVirtual():
		return fmt.Sprintf("v%d", r-regalloc.FirstVirtual)
	case r == sp:
		return "sp"
	case r == xzr:
		return "xzr"
	case r < sp:
		return fmt.Sprintf("x%d", r)
	}
	return fmt.Sprintf("r?%d", r)
}

// regNameSized names a register as an instruction of size bytes uses it:
// w<n> for 32-bit forms.
func regNameSized(r regalloc.Reg, size uint8) string {
	if size == 8 || r.IsVirtual() || r >= numRegs || r == sp {
		if r.IsVirtual() && size != 8 {
			return regName(r) + ".w"
		}
		return regName(r)
	}
	if r == xzr {
		return "wzr"
	}
	return fmt.Sprintf("w%d", r)
}
