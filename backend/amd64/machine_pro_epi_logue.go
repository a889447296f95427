package amd64

import (
	"fmt"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/regalloc"
	"github.com/bpf2native/bpf2native/ssa"
)

// The frame, from the stack pointer up, once the prologue has run:
//
//	rsp+0                  outgoing area: shadow space and stack arguments
//	                       of calls (Microsoft x64), empty otherwise
//	+outgoing              spill slots, 8 bytes each
//	+spills                the eBPF stack, 512 bytes; r10 is its end
//	+spills+512            padding to keep rsp aligned at calls, if any
//	size                   callee-saved registers, pushed
//	size+8*pushes          return address
//	size+8*pushes+8        caller's shadow space and stack arguments
//
// The frame has a fixed size and everything is addressed from rsp, so no
// frame pointer is needed and rbp is an ordinary callee-saved register.
type frame struct {
	pushes   []regalloc.Reg
	size     int
	outgoing int
	spills   int
	fp       int // offset of r10 from rsp, when the eBPF stack exists
	hasStack bool
}

// maxFrameWindows is the largest frame that needs no stack probe: Windows
// commits the stack a guard page (4 KiB) at a time.
const maxFrameWindows = 4096

// Finalize implements backend.Machine.
func (m *Machine) Finalize(res regalloc.Result) error {
	f := &m.frame
	f.pushes = (res.UsedCalleeSaved & m.abi.CalleeSaved).Regs()
	if m.hasCalls {
		f.outgoing = max(m.maxOutgoing, m.abi.ShadowSpace)
	}
	f.spills = 8 * res.SpillSlots
	f.hasStack = m.usesFP
	stack := 0
	if f.hasStack {
		stack = ssa.StackSize
	}
	f.size = f.outgoing + f.spills + stack
	f.fp = f.size
	// On entry rsp+8 is aligned; calls need rsp aligned after the pushes
	// and the frame. A function that makes no calls needs no alignment.
	for m.hasCalls && (8+8*len(f.pushes)+f.size)%m.abi.StackAlign != 0 {
		f.size += 8
	}
	if m.abi.Name == Windows.Name && f.size >= maxFrameWindows {
		return fmt.Errorf("frame of %d bytes needs a stack probe, which amd64 does not emit yet", f.size)
	}

	for _, b := range m.layout() {
		var out []*instr
		for _, i := range b.instrs {
			m.resolve(i)
			if i.op == opRet {
				out = append(out, m.epilogue()...)
			}
			out = append(out, i)
		}
		b.instrs = out
	}
	entry := m.layout()[0]
	entry.instrs = append(m.prologue(), entry.instrs...)
	m.simplifyBranches()
	return nil
}

func (m *Machine) prologue() []*instr {
	var is []*instr
	for _, r := range m.frame.pushes {
		is = append(is, &instr{op: opPush, size: 8, src: r})
	}
	if m.frame.size > 0 {
		is = append(is, &instr{op: opAdjSP, imm: int64(m.frame.size)})
	}
	return is
}

func (m *Machine) epilogue() []*instr {
	var is []*instr
	if m.frame.size > 0 {
		is = append(is, &instr{op: opAdjSP, imm: -int64(m.frame.size)})
	}
	for k := len(m.frame.pushes) - 1; k >= 0; k-- {
		is = append(is, &instr{op: opPop, size: 8, dst: m.frame.pushes[k]})
	}
	return is
}

// resolve turns frame-relative memory operands into rsp-relative ones.
func (m *Machine) resolve(i *instr) {
	f := &m.frame
	a := &i.mem
	switch a.kind {
	case amReg:
		return
	case amFP:
		a.disp += int32(f.fp)
	case amSpill:
		a.disp = int32(f.outgoing + 8*a.slot)
	case amIncoming:
		a.disp = int32(f.size + 8*len(f.pushes) + 8 + m.abi.StackArgOffset(a.slot))
	case amOutgoing:
	}
	a.kind, a.base = amReg, rsp
}

// simplifyBranches removes jumps to the next block and turns "jcc A; jmp
// B" with A next into "jncc B".
func (m *Machine) simplifyBranches() {
	order := m.layout()
	for k, b := range order {
		if k+1 >= len(order) {
			break
		}
		next := order[k+1].label
		n := len(b.instrs)
		if n > 0 && b.instrs[n-1].op == opJmp && b.instrs[n-1].label == next {
			b.instrs = b.instrs[:n-1]
			n--
			if n > 0 && b.instrs[n-1].op == opJcc && b.instrs[n-1].index == 0 && b.instrs[n-1].label == next {
				// jcc next; (jmp next): nothing to do either way.
				b.instrs = b.instrs[:n-1]
			}
			continue
		}
		if n > 1 && b.instrs[n-1].op == opJmp && b.instrs[n-2].op == opJcc && b.instrs[n-2].index == 0 && b.instrs[n-2].label == next {
			jcc, jmp := b.instrs[n-2], b.instrs[n-1]
			jcc.cc, jcc.label = jcc.cc.invert(), jmp.label
			b.instrs = b.instrs[:n-1]
		}
	}
}

// unwindCodes describes the prologue for PE unwind tables: each push and
// the allocation, at the offset just past its instruction (as
// UNWIND_CODE.CodeOffset counts).
func (m *Machine) unwindCodes(ends []int) []backend.UnwindCode {
	var codes []backend.UnwindCode
	k := 0
	for _, r := range m.frame.pushes {
		codes = append(codes, backend.UnwindCode{Offset: ends[k], Op: "push", Reg: int(r)})
		k++
	}
	if m.frame.size > 0 {
		codes = append(codes, backend.UnwindCode{Offset: ends[k], Op: "alloc", Size: m.frame.size})
	}
	return codes
}
