package amd64

import (
	"fmt"

	"github.com/bpf2native/bpf2native/regalloc"
)

// The general registers by hardware number, as ModRM and REX encode them.
const (
	rax regalloc.Reg = iota
	rcx
	rdx
	rbx
	rsp
	rbp
	rsi
	rdi
	r8
	r9
	r10
	r11
	r12
	r13
	r14
	r15
	numRegs
)

var regNames = [numRegs]string{"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"}

// regName names a register in dumps: physical registers by name, virtual
// ones as v<n>.
func regName(r regalloc.Reg) string {
	switch {
	case r == regalloc.NoReg:
		return "<none>"
	case r.IsVirtual():
		return fmt.Sprintf("v%d", r-regalloc.FirstVirtual)
	case r < numRegs:
		return regNames[r]
	}
	return fmt.Sprintf("r?%d", r)
}

// regNameSized names the low size bytes of a register, as Intel syntax does.
func regNameSized(r regalloc.Reg, size uint8) string {
	if r.IsVirtual() || r >= numRegs {
		if size == 8 {
			return regName(r)
		}
		return fmt.Sprintf("%s.%d", regName(r), size*8)
	}
	switch size {
	case 4:
		if r >= r8 {
			return regNames[r] + "d"
		}
		return "e" + regNames[r][1:]
	case 2:
		if r >= r8 {
			return regNames[r] + "w"
		}
		return regNames[r][1:]
	case 1:
		if r >= r8 {
			return regNames[r] + "b"
		}
		return [...]string{"al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"}[r]
	}
	return regNames[r]
}
