package backend

import "github.com/bpf2native/bpf2native/regalloc"

// ABI is a C calling convention as data: what a program's entry, a
// sub-program and a helper call look like in registers and on the stack.
// Machines read it instead of hard-coding one convention, so a second
// convention for the same ISA is a second value of this type.
type ABI struct {
	// Name is the ABI's name in Object.ABI ("sysv", "windows", ...).
	Name string
	// IntArgs are the integer argument registers in order. Arguments past
	// them go on the stack, 8 bytes each, above ShadowSpace.
	IntArgs []regalloc.Reg
	// IntResult is the integer return register.
	IntResult regalloc.Reg
	// CalleeSaved registers survive calls; CallerSaved ones do not.
	CalleeSaved, CallerSaved regalloc.RegSet
	// ShadowSpace is the bytes a caller reserves at the stack pointer for
	// the callee to spill its register arguments (Microsoft x64: 32).
	ShadowSpace int
	// StackAlign is the stack pointer's alignment at a call.
	StackAlign int
	// PassContext makes every helper and local call pass the program's
	// context as a sixth argument, after r1-r5, as bpf2c's code does for
	// ebpf-for-windows: a helper registered with implicit context reads
	// it there. A program receives it as its first argument, so a
	// sub-program gets it from its caller as its sixth.
	PassContext bool
}

// ContextArg is the argument position of the program context under
// PassContext: after eBPF's five.
const ContextArg = 5

// StackArgOffset returns the offset from the stack pointer at a call of
// argument i, which must be past the register arguments.
func (a *ABI) StackArgOffset(i int) int {
	return a.ShadowSpace + 8*(i-len(a.IntArgs))
}

// OutgoingArea returns the bytes a caller reserves at its stack pointer to
// call a function of n integer arguments.
func (a *ABI) OutgoingArea(n int) int {
	size := a.ShadowSpace
	if n > len(a.IntArgs) {
		size += 8 * (n - len(a.IntArgs))
	}
	return size
}
