package amd64

import (
	"fmt"
	"math"
	"slices"

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
		for _, i := range b.Instrs {
			m.resolve(i)
			if i.op == opRet {
				out = append(out, m.epilogue()...)
			}
			out = append(out, i)
		}
		b.Instrs = out
	}
	for _, b := range m.layout() {
		b.Instrs = threeOperand(b.Instrs)
	}
	entry := m.layout()[0]
	entry.Instrs = append(m.prologue(), entry.Instrs...)
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

// threeOperand turns what is left of the two-address form "mov d, x;
// add d, y" (the copy stays when x lives on) into "lea d, [x+y]". lea sets
// no flags, and the lowering never reads flags an add set.
func threeOperand(is []*instr) []*instr {
	out := is[:0]
	for k := 0; k < len(is); k++ {
		mv := is[k]
		if k+1 < len(is) && mv.op == opMov && mv.size == 8 && mv.dst != mv.src {
			add := is[k+1]
			d, x := mv.dst, mv.src
			if add.op == opALU && add.dst == d && (add.size == 4 || add.size == 8) {
				lea := &instr{op: opLea, size: add.size, dst: d, mem: amode{kind: amReg, base: x}, line: add.line}
				switch {
				case add.alu == aluAdd && add.hasImm && add.imm == int64(int32(add.imm)):
					lea.mem.disp = int32(add.imm)
				case add.alu == aluSub && add.hasImm && add.imm == int64(int32(add.imm)) && add.imm != math.MinInt32:
					lea.mem.disp = int32(-add.imm)
				case add.alu == aluAdd && !add.hasImm && add.src != d && add.src != rsp:
					lea.mem.index, lea.mem.scale = add.src, 1
				default:
					lea = nil
				}
				if lea != nil {
					out = append(out, lea)
					k++
					continue
				}
			}
		}
		out = append(out, mv)
	}
	return out
}

// simplifyBranches lays the branches out with backend.OptimizeBranches:
// threading, tail duplication (loop rotation) and fall-through.
func (m *Machine) simplifyBranches() {
	var bbs []*backend.BranchBlock[*instr]
	blocks := map[backend.Label]*block{}
	for _, b := range m.layout() {
		bbs = append(bbs, &backend.BranchBlock[*instr]{Label: b.Label, Instrs: b.Instrs})
		blocks[b.Label] = b
	}
	bbs = backend.OptimizeBranches(bbs, branchOps)
	order := make([]*block, len(bbs))
	for k, bb := range bbs {
		order[k] = blocks[bb.Label]
		order[k].Instrs = bb.Instrs
	}
	m.code.SetLayout(order)
}

var branchOps = backend.BranchOps[*instr]{
	Jump: func(i *instr) (backend.Label, bool) { return i.label, i.op == opJmp },
	CondJump: func(i *instr) (backend.Label, bool) {
		return i.label, i.op == opJcc && i.index == 0
	},
	Retarget: func(i *instr, l backend.Label) { i.label = l },
	Invert:   func(i *instr) { i.cc = i.cc.invert() },
	Clone: func(i *instr) (*instr, bool) {
		if i.op == opLabel || (i.op == opJcc && i.index != 0) {
			return nil, false
		}
		c := *i
		c.uses = slices.Clone(i.uses)
		c.defs = slices.Clone(i.defs)
		return &c, true
	},
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
