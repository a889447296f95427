package amd64

import (
	"slices"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/regalloc"
	"github.com/bpf2native/bpf2native/ssa"
)

// Machine is the amd64 backend.Machine.
type Machine struct {
	abi  *backend.ABI
	info *regalloc.RegisterInfo
	c    *backend.FuncContext

	// code is the function being built, block by block; instrs is
	// storage for the instructions emit appends to it.
	code   backend.Blocks[*instr]
	instrs []instr
	// context holds the program context under ABI.PassContext once a
	// call needs it (0 before).
	context regalloc.Reg
	// line is stamped on every instruction emit appends: 1 + the Insn of
	// the value or branch being lowered, 0 outside LowerValue and
	// LowerBranch.
	line int32

	// usesFP is set when the eBPF stack is addressed; maxOutgoing is the
	// largest outgoing argument area a call needs; hasCalls whether any
	// call is made.
	usesFP      bool
	hasCalls    bool
	maxOutgoing int
	localLabels int

	// Frame layout, set by Finalize.
	frame frame
}

type block = backend.Block[*instr]

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
	m.code.Start(l, succs, depth)
}

// EndBlock implements backend.Machine.
func (m *Machine) EndBlock() {
	m.code.End()
}

// flush closes the code of one lowering call.
func (m *Machine) flush() {
	m.code.Flush()
}

// lineOf returns the line stamp of code lowered for ir instruction insn
// (-1: none).
func lineOf(insn int) int32 {
	if insn < 0 {
		return 0
	}
	return int32(insn) + 1
}

// emit appends a copy of i to the current lowering call's code. Copies
// are carved out of chunks, so that lowering allocates a few large
// objects rather than one per instruction (and i itself need not escape).
func (m *Machine) emit(i *instr) {
	if len(m.instrs) == 0 {
		m.instrs = make([]instr, 256)
	}
	p := &m.instrs[0]
	m.instrs = m.instrs[1:]
	*p = *i
	p.line = m.line
	m.code.Add(p)
}

// InsertMove implements backend.Machine.
func (m *Machine) InsertMove(dst, src regalloc.Reg) {
	m.flush()
	m.emit(&instr{op: opMov, size: 8, dst: dst, src: src})
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
	return m.code.Layout(m.c)
}

// Format implements backend.Machine.
func (m *Machine) Format() string {
	return m.code.Format(m.c)
}

// Function implements backend.Machine.
func (m *Machine) Function() regalloc.Function {
	if m.context != 0 {
		// Defined first thing, while the argument registers are
		// untouched: the program's first argument, or a sub-program's
		// sixth (on the stack).
		def := &instr{op: opMov, size: 8, dst: m.context, src: m.abi.IntArgs[0]}
		if m.c.Func.Index != 0 {
			def = &instr{op: opLoad, size: 8, dst: m.context, mem: amode{kind: amIncoming, slot: backend.ContextArg}}
		}
		entry := m.layout()[0]
		entry.Instrs = slices.Insert(entry.Instrs, 0, def)
	}
	return m.code.Function(m.c, reload, spill)
}

// reload and spill are the allocator's stack-slot load and store.
func reload(dst regalloc.Reg, slot int) *instr {
	return &instr{op: opLoad, size: 8, dst: dst, mem: amode{kind: amSpill, slot: slot}}
}

func spill(src regalloc.Reg, slot int) *instr {
	return &instr{op: opStore, size: 8, src: src, mem: amode{kind: amSpill, slot: slot}}
}

// vreg returns v's register.
func (m *Machine) vreg(v *ssa.Value) regalloc.Reg { return m.c.VRegOf(v) }
