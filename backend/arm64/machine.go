package arm64

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/regalloc"
	"github.com/bpf2native/bpf2native/ssa"
)

// Machine is the arm64 backend.Machine.
type Machine struct {
	abi  *backend.ABI
	info *regalloc.RegisterInfo
	c    *backend.FuncContext

	blocks []*block // by label
	order  []*block // layout order once lowering is done
	pos    []int    // by label: index in order
	cur    *block
	// pending is the code of the current LowerValue/LowerBranch/InsertMove
	// call; groups collects those calls' code bottom-up.
	pending []*instr
	groups  [][]*instr
	// line is stamped on every instruction emit appends: 1 + the Insn of
	// the value or branch being lowered, 0 outside LowerValue and
	// LowerBranch.
	line int32

	// usesFP is set when the eBPF stack is addressed; hasCalls whether
	// any call is made (and so the link register must be saved).
	usesFP   bool
	hasCalls bool

	// Frame layout, set by Finalize.
	frame frame
}

type block struct {
	label  backend.Label
	instrs []*instr
	succs  []backend.Label
	depth  int
}

// NewMachine returns a machine generating code under abi.
func NewMachine(abi *backend.ABI) *Machine {
	return &Machine{abi: abi, info: registerInfo(abi)}
}

// RegisterInfo implements backend.Machine.
func (m *Machine) RegisterInfo() *regalloc.RegisterInfo { return m.info }

// StartFunc implements backend.Machine.
func (m *Machine) StartFunc(c *backend.FuncContext) {
	*m = Machine{abi: m.abi, info: m.info, c: c}
}

// StartBlock implements backend.Machine.
func (m *Machine) StartBlock(l backend.Label, succs []backend.Label, depth int) {
	for len(m.blocks) <= int(l) {
		m.blocks = append(m.blocks, nil)
	}
	m.cur = &block{label: l, succs: slices.Clone(succs), depth: depth}
	m.blocks[l] = m.cur
	m.groups = m.groups[:0]
}

// EndBlock implements backend.Machine.
func (m *Machine) EndBlock() {
	m.flush()
	for i := len(m.groups) - 1; i >= 0; i-- {
		m.cur.instrs = append(m.cur.instrs, m.groups[i]...)
	}
	m.cur = nil
}

// flush closes the code of one lowering call.
func (m *Machine) flush() {
	if len(m.pending) > 0 {
		m.groups = append(m.groups, m.pending)
		m.pending = nil
	}
}

// lineOf returns the line stamp of code lowered for ir instruction insn
// (-1: none).
func lineOf(insn int) int32 {
	if insn < 0 {
		return 0
	}
	return int32(insn) + 1
}

func (m *Machine) emit(i *instr) *instr {
	i.line = m.line
	m.pending = append(m.pending, i)
	return i
}

// InsertMove implements backend.Machine.
func (m *Machine) InsertMove(dst, src regalloc.Reg) {
	m.flush()
	m.emit(&instr{op: opMov, size: 8, dst: dst, src1: src})
	m.flush()
}

// InsertJump implements backend.Machine.
func (m *Machine) InsertJump(target backend.Label) {
	m.flush()
	m.emit(&instr{op: opJmp, label: target})
	m.flush()
}

// layout orders the blocks as the driver laid them out.
func (m *Machine) layout() []*block {
	if m.order == nil {
		m.pos = make([]int, len(m.blocks))
		for k, l := range m.c.Layout() {
			m.order = append(m.order, m.blocks[l])
			m.pos[l] = k
		}
	}
	return m.order
}

// Format implements backend.Machine.
func (m *Machine) Format() string {
	var b strings.Builder
	for _, bl := range m.layout() {
		fmt.Fprintf(&b, "L%d:", bl.label)
		if bl.depth > 0 {
			fmt.Fprintf(&b, " ; loop depth %d", bl.depth)
		}
		b.WriteByte('\n')
		for _, i := range bl.instrs {
			fmt.Fprintf(&b, "  %s\n", i)
		}
	}
	return b.String()
}

// Function implements backend.Machine.
func (m *Machine) Function() regalloc.Function { return (*raFunc)(m) }

// raFunc presents the machine's code to the register allocator.
type raFunc Machine

func (f *raFunc) NumBlocks() int { return len((*Machine)(f).layout()) }
func (f *raFunc) Block(i int) regalloc.Block {
	return &raBlock{m: (*Machine)(f), b: (*Machine)(f).layout()[i]}
}
func (f *raFunc) NewVReg() regalloc.Reg { return f.c.NewVReg() }
func (f *raFunc) Reload(dst regalloc.Reg, slot int) regalloc.Instr {
	return &instr{op: opLoad, size: 8, dst: dst, mem: amode{kind: amSpill, slot: slot}}
}
func (f *raFunc) Spill(src regalloc.Reg, slot int) regalloc.Instr {
	return &instr{op: opStore, size: 8, src1: src, mem: amode{kind: amSpill, slot: slot}}
}

type raBlock struct {
	m *Machine
	b *block
}

func (b *raBlock) Instrs() []regalloc.Instr {
	is := make([]regalloc.Instr, len(b.b.instrs))
	for i, in := range b.b.instrs {
		is[i] = in
	}
	return is
}

func (b *raBlock) SetInstrs(is []regalloc.Instr) {
	b.b.instrs = b.b.instrs[:0]
	for _, in := range is {
		b.b.instrs = append(b.b.instrs, in.(*instr))
	}
}

func (b *raBlock) Succs() []int {
	b.m.layout()
	s := make([]int, len(b.b.succs))
	for k, l := range b.b.succs {
		s[k] = b.m.pos[l]
	}
	return s
}

func (b *raBlock) LoopDepth() int { return b.b.depth }

// vreg returns v's register.
func (m *Machine) vreg(v *ssa.Value) regalloc.Reg { return m.c.VRegOf(v) }
