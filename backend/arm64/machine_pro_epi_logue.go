package arm64

import (
	"slices"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/regalloc"
	"github.com/bpf2native/bpf2native/ssa"
)

// The frame, from the stack pointer up, once the prologue has run:
//
//	sp+0                   frame record: saved x29, x30 (when the
//	                       function calls; x29 points here)
//	+record                callee-saved registers, 8 bytes each, stored
//	                       in pairs (stp) as far as the ABI allows
//	+saves                 spill slots, 8 bytes each
//	+saves+spills          the eBPF stack, 512 bytes; r10 is its end
//	size                   (rounded up to 16) the caller's frame
//
// The prologue lowers sp once, by the whole frame, and stores the frame
// record and callee-saved registers at small offsets from the new sp, so
// every store fits stp's immediate whatever the frame's size. Nothing is
// passed on the stack: AAPCS64 has eight argument registers and eBPF
// calls pass five. The frame has a fixed size and everything is
// addressed from sp.
type frame struct {
	saves []regalloc.Reg
	// groups are the saves as the prologue stores them: each a pair (one
	// stp) or a single register (one str).
	groups   []saveGroup
	record   int // 16 when the frame record is saved, else 0
	size     int
	spills   int // offset of spill slot 0
	fp       int // offset of r10 from sp, when the eBPF stack exists
	hasStack bool
}

// Finalize implements backend.Machine.
func (m *Machine) Finalize(res regalloc.Result) error {
	f := &m.frame
	f.saves = (res.UsedCalleeSaved & m.abi.CalleeSaved).Regs()
	if m.hasCalls {
		f.record = 16
	}
	f.groups = groupSaves(f.saves, f.record, m.abi == Windows)
	f.spills = f.record + 8*len(f.saves)
	f.hasStack = m.usesFP
	stack := 0
	if f.hasStack {
		stack = ssa.StackSize
	}
	f.fp = f.spills + 8*res.SpillSlots + stack
	f.size = (f.fp + 15) &^ 15

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
	entry := m.layout()[0]
	entry.Instrs = append(m.prologue(), entry.Instrs...)
	m.simplifyBranches()
	return nil
}

// saveGroup is one store of the prologue's callee-saved registers at
// sp+off: r1 alone (r2 = regalloc.NoReg) or the pair r1, r2.
type saveGroup struct {
	r1, r2 regalloc.Reg
	off    int
}

// groupSaves pairs saves, stored from sp+base up, two by two; with
// consecutive set, only registers numbered one after the other form a
// pair, the only pairs Windows unwind codes can describe.
func groupSaves(saves []regalloc.Reg, base int, consecutive bool) []saveGroup {
	var gs []saveGroup
	for k := 0; k < len(saves); {
		g := saveGroup{r1: saves[k], r2: regalloc.NoReg, off: base + 8*k}
		if k+1 < len(saves) && (!consecutive || saves[k+1] == saves[k]+1) {
			g.r2 = saves[k+1]
			k++
		}
		gs = append(gs, g)
		k++
	}
	return gs
}

func (m *Machine) prologue() []*instr {
	f := &m.frame
	var is []*instr
	if f.size > 0 {
		is = append(is, &instr{op: opAdjSP, imm: int64(f.size)})
	}
	if f.record > 0 {
		is = append(is, &instr{op: opStp, src1: x29, src2: x30, imm: 0})
		is = append(is, &instr{op: opMovFromSP, dst: x29})
	}
	for _, g := range f.groups {
		if g.r2 != regalloc.NoReg {
			is = append(is, &instr{op: opStp, src1: g.r1, src2: g.r2, imm: int64(g.off)})
		} else {
			is = append(is, &instr{op: opStore, size: 8, src1: g.r1, mem: amode{kind: amReg, base: sp, disp: int64(g.off)}})
		}
	}
	return is
}

func (m *Machine) epilogue() []*instr {
	f := &m.frame
	var is []*instr
	for _, g := range f.groups {
		if g.r2 != regalloc.NoReg {
			is = append(is, &instr{op: opLdp, dst: g.r1, src2: g.r2, imm: int64(g.off)})
		} else {
			is = append(is, &instr{op: opLoad, size: 8, dst: g.r1, mem: amode{kind: amReg, base: sp, disp: int64(g.off)}})
		}
	}
	if f.record > 0 {
		is = append(is, &instr{op: opLdp, dst: x29, src2: x30, imm: 0})
	}
	if f.size > 0 {
		is = append(is, &instr{op: opAdjSP, imm: -int64(f.size)})
	}
	return is
}

// resolve turns frame-relative memory operands into sp-relative ones.
func (m *Machine) resolve(i *instr) {
	f := &m.frame
	a := &i.mem
	switch a.kind {
	case amReg:
		return
	case amFP:
		a.disp += int64(f.fp)
	case amSpill:
		a.disp = int64(f.spills + 8*a.slot)
	}
	a.kind, a.base = amReg, sp
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
		return i.label, i.op == opBcc || i.op == opCbnz
	},
	Retarget: func(i *instr, l backend.Label) { i.label = l },
	Invert:   func(i *instr) { i.cc = i.cc.invert() },
	Clone: func(i *instr) (*instr, bool) {
		c := *i
		c.uses = slices.Clone(i.uses)
		c.defs = slices.Clone(i.defs)
		return &c, true
	},
}

// unwindCodes describes the prologue for unwind tables, one step per
// machine instruction, each at the offset just past it (ends holds the
// offsets past each of the prologue's instrs): the allocation ("alloc",
// two steps when the frame needs a sub of its low 12 bits and one of the
// rest), the frame record ("save_pair" of x29 and x30, then "setfp") and
// each callee-saved store ("save_pair" of Reg and the next saved register,
// which under the Windows ABI is always Reg+1, or "push" of Reg alone),
// Size being its offset from sp.
func (m *Machine) unwindCodes(ends []int) []backend.UnwindCode {
	f := &m.frame
	var codes []backend.UnwindCode
	k := 0
	if f.size > 0 {
		lo, hi := f.size&0xfff, f.size&^0xfff
		if lo != 0 && hi != 0 {
			codes = append(codes, backend.UnwindCode{Offset: ends[k] - 4, Op: "alloc", Size: lo})
			codes = append(codes, backend.UnwindCode{Offset: ends[k], Op: "alloc", Size: hi})
		} else {
			codes = append(codes, backend.UnwindCode{Offset: ends[k], Op: "alloc", Size: f.size})
		}
		k++
	}
	if f.record > 0 {
		codes = append(codes, backend.UnwindCode{Offset: ends[k], Op: "save_pair", Reg: int(x29), Size: 0})
		codes = append(codes, backend.UnwindCode{Offset: ends[k+1], Op: "setfp"})
		k += 2
	}
	for _, g := range f.groups {
		op := "save_pair"
		if g.r2 == regalloc.NoReg {
			op = "push"
		}
		codes = append(codes, backend.UnwindCode{Offset: ends[k], Op: op, Reg: int(g.r1), Size: g.off})
		k++
	}
	return codes
}
