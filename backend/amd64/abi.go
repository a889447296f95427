package amd64

import (
	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/regalloc"
)

// SysV is the System V AMD64 calling convention (Linux ELF objects).
var SysV = &backend.ABI{
	Name:        "sysv",
	IntArgs:     []regalloc.Reg{rdi, rsi, rdx, rcx, r8, r9},
	IntResult:   rax,
	CalleeSaved: regalloc.NewRegSet(rbx, rbp, r12, r13, r14, r15),
	CallerSaved: regalloc.NewRegSet(rax, rcx, rdx, rsi, rdi, r8, r9, r10, r11),
	StackAlign:  16,
}

// Windows is the Microsoft x64 calling convention (ebpf-for-windows
// drivers): four register arguments, 32 bytes of shadow space reserved by
// every caller, and rsi and rdi callee-saved; calls pass the program
// context as bpf2c's code does.
var Windows = &backend.ABI{
	Name:        "windows",
	IntArgs:     []regalloc.Reg{rcx, rdx, r8, r9},
	IntResult:   rax,
	CalleeSaved: regalloc.NewRegSet(rbx, rbp, rsi, rdi, r12, r13, r14, r15),
	CallerSaved: regalloc.NewRegSet(rax, rcx, rdx, r8, r9, r10, r11),
	ShadowSpace: 32,
	StackAlign:  16,
	PassContext: true,
}

func init() {
	backend.Register(&backend.Arch{
		Name:       "amd64",
		ABIs:       []*backend.ABI{SysV, Windows},
		NewMachine: func(abi *backend.ABI) backend.Machine { return NewMachine(abi) },
		Fill:       []byte{0xcc}, // int3
	})
}

// registerInfo describes the allocatable registers under abi: every
// general register but rsp (no frame pointer is kept: frames are fixed
// and addressed from rsp), caller-saved ones first.
func registerInfo(abi *backend.ABI) *regalloc.RegisterInfo {
	info := &regalloc.RegisterInfo{CallerSaved: abi.CallerSaved, CalleeSaved: abi.CalleeSaved, Name: regName}
	for r := rax; r < numRegs; r++ {
		if abi.CallerSaved.Has(r) {
			info.Allocatable = append(info.Allocatable, r)
		}
	}
	for r := rax; r < numRegs; r++ {
		if abi.CalleeSaved.Has(r) {
			info.Allocatable = append(info.Allocatable, r)
		}
	}
	return info
}
