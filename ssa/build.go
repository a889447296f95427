package ssa

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
)

// ErrUnsupported is wrapped by every error about valid eBPF that the
// compiler does not translate (legacy packet loads, kfuncs, ...).
var ErrUnsupported = errors.New("not supported by the compiler")

// ErrInvalid is wrapped by errors about programs no verifier accepts and
// the lifter cannot give a meaning to: running off the end of a function,
// writing r10.
var ErrInvalid = errors.New("invalid program")

// StackSize is the size of one frame's eBPF stack; r10 points just past it.
const StackSize = 512

// The lifter's variables: r0..r9 are 0..9, memory is varMem.
const (
	varMem  = 10
	numVars = 11
)

// Build lifts every function of program p into SSA form, in the order of
// p.Funcs: the result's index i is the function CallLocal [i] calls. mod
// may be nil (raw bytecode); it supplies map names and the platform, whose
// bpf_tail_call helper becomes CallTail.
func Build(mod *ir.Module, p *ir.Program) ([]*Func, error) {
	var helperName func(int32) string
	tailCall := int32(-1)
	if mod != nil && mod.Platform != "" {
		plat, err := platform.Get(mod.Platform)
		if err != nil {
			return nil, fmt.Errorf("program %s: %w", p.Name, err)
		}
		helperName = plat.HelperName
		for id, h := range plat.Helpers {
			if h.Name == "bpf_tail_call" {
				tailCall = id
			}
		}
	}
	funcs := make([]*Func, len(p.Funcs))
	for i := range p.Funcs {
		l := &lifter{
			f:        &Func{Name: p.Funcs[i].Name, Index: i, Module: mod, Program: p, helperName: helperName},
			mod:      mod,
			p:        p,
			tailCall: tailCall,
		}
		if err := l.lift(); err != nil {
			return nil, fmt.Errorf("program %s: function %s: %w", p.Name, p.Funcs[i].Name, err)
		}
		funcs[i] = l.f
	}
	return funcs, nil
}

type lifter struct {
	f        *Func
	mod      *ir.Module
	p        *ir.Program
	tailCall int32
	vars     *varBuilder
	fp       *Value
	// b is the block being filled and insn the instruction being lifted.
	b    *Block
	insn int
}

func (l *lifter) lift() error {
	irBlocks := l.p.Blocks(l.f.Index)

	// Only blocks reachable from the function's start are lifted: clang
	// leaves no dead code, and what the verifier would never see need not
	// have a meaning (it may even run off the end).
	reachable := make([]bool, len(irBlocks))
	work := []int{0}
	reachable[0] = true
	for len(work) > 0 {
		k := work[len(work)-1]
		work = work[:len(work)-1]
		for _, s := range irBlocks[k].Succs {
			if !reachable[s] {
				reachable[s] = true
				work = append(work, s)
			}
		}
	}

	entry := l.f.NewBlock(BlockPlain)
	blocks := make([]*Block, len(irBlocks))
	for k := range irBlocks {
		if reachable[k] {
			blocks[k] = l.f.NewBlock(BlockInvalid)
		}
	}
	l.vars = newVarBuilder(l.f, func(x int) Type {
		if x == varMem {
			return TypeMem
		}
		return TypeI64
	}, nil)

	// The entry block defines every variable, so no read escapes to a
	// function-level initial value: memory, r1..r5 as arguments, the rest
	// undefined.
	l.b, l.insn = entry, -1
	l.vars.write(entry, varMem, entry.NewValue(OpInitMem, TypeMem, -1))
	l.fp = entry.NewValue(OpFP, TypeI64, -1)
	for r := 1; r <= 5; r++ {
		l.vars.write(entry, r, entry.NewValueAux(OpArg, TypeI64, int64(r-1), -1))
	}
	undef := l.f.Undef()
	for _, r := range []int{0, 6, 7, 8, 9} {
		l.vars.write(entry, r, undef)
	}
	entry.AddEdgeTo(blocks[0])

	for k, ib := range irBlocks {
		if !reachable[k] {
			continue
		}
		l.b = blocks[k]
		for i := ib.Start; i < ib.End; i++ {
			l.insn = i
			if err := l.instruction(&l.p.Insns[i]); err != nil {
				return fmt.Errorf("instruction %d: %w", l.p.Insns[i].Slot, err)
			}
		}
		last := &l.p.Insns[ib.End-1]
		op := last.OpCode.JumpOp()
		switch {
		case last.OpCode.Class().IsJump() && op == asm.Exit:
			// instruction already made the block a Ret.
		case l.b.Kind == BlockIf:
			// A conditional jump: true goes to the target, the ir block's
			// second successor.
			l.b.AddEdgeTo(blocks[ib.Succs[1]])
			l.b.AddEdgeTo(blocks[ib.Succs[0]])
		case ib.FallsOff:
			return fmt.Errorf("instruction %d: %w: execution runs off the end of the function", last.Slot, ErrInvalid)
		default:
			l.b.Kind = BlockPlain
			l.b.AddEdgeTo(blocks[ib.Succs[0]])
		}
	}
	l.vars.resolve()
	return nil
}

// reg reads register r.
func (l *lifter) reg(r asm.Register) *Value {
	if r == asm.R10 {
		return l.fp
	}
	return l.vars.read(l.b, int(r))
}

func (l *lifter) setReg(r asm.Register, v *Value) error {
	if r == asm.R10 {
		return fmt.Errorf("%w: r10 is read-only", ErrInvalid)
	}
	l.vars.write(l.b, int(r), v)
	return nil
}

func (l *lifter) mem() *Value     { return l.vars.read(l.b, varMem) }
func (l *lifter) setMem(m *Value) { l.vars.write(l.b, varMem, m) }
func (l *lifter) v(op Op, args ...*Value) *Value {
	return l.b.NewValue(op, TypeInvalid, l.insn, args...)
}

func (l *lifter) const64(c int64) *Value { return l.b.NewValueAux(OpConst64, TypeI64, c, l.insn) }
func (l *lifter) const32(c int32) *Value {
	return l.b.NewValueAux(OpConst32, TypeI32, int64(c), l.insn)
}

// The ALU operations with a direct SSA counterpart, 64 and 32 bits wide.
var aluOps = map[asm.ALUOp][2]Op{
	asm.Add:  {OpAdd64, OpAdd32},
	asm.Sub:  {OpSub64, OpSub32},
	asm.Mul:  {OpMul64, OpMul32},
	asm.Div:  {OpUDiv64, OpUDiv32},
	asm.SDiv: {OpSDiv64, OpSDiv32},
	asm.Mod:  {OpUMod64, OpUMod32},
	asm.SMod: {OpSMod64, OpSMod32},
	asm.Or:   {OpOr64, OpOr32},
	asm.And:  {OpAnd64, OpAnd32},
	asm.Xor:  {OpXor64, OpXor32},
	asm.LSh:  {OpLsh64, OpLsh32},
	asm.RSh:  {OpRsh64, OpRsh32},
	asm.ArSh: {OpArsh64, OpArsh32},
}

// The conditional jumps' comparisons, 64 and 32 bits wide.
var compareOps = map[asm.JumpOp][2]Op{
	asm.JEq:  {OpEq64, OpEq32},
	asm.JNE:  {OpNe64, OpNe32},
	asm.JGT:  {OpUgt64, OpUgt32},
	asm.JGE:  {OpUge64, OpUge32},
	asm.JLT:  {OpUlt64, OpUlt32},
	asm.JLE:  {OpUle64, OpUle32},
	asm.JSGT: {OpSgt64, OpSgt32},
	asm.JSGE: {OpSge64, OpSge32},
	asm.JSLT: {OpSlt64, OpSlt32},
	asm.JSLE: {OpSle64, OpSle32},
	asm.JSet: {OpTest64, OpTest32},
}

// The atomic operations by eBPF encoding and width (0: 32 bits, 1: 64).
var atomicByEncoding = map[asm.AtomicOp][2]Op{
	asm.AddAtomic: {OpAtomicAdd32, OpAtomicAdd64},
	asm.AndAtomic: {OpAtomicAnd32, OpAtomicAnd64},
	asm.OrAtomic:  {OpAtomicOr32, OpAtomicOr64},
	asm.XorAtomic: {OpAtomicXor32, OpAtomicXor64},
	asm.FetchAdd:  {OpAtomicFetchAdd32, OpAtomicFetchAdd64},
	asm.FetchAnd:  {OpAtomicFetchAnd32, OpAtomicFetchAnd64},
	asm.FetchOr:   {OpAtomicFetchOr32, OpAtomicFetchOr64},
	asm.FetchXor:  {OpAtomicFetchXor32, OpAtomicFetchXor64},
	asm.Xchg:      {OpAtomicXchg32, OpAtomicXchg64},
	asm.CmpXchg:   {OpAtomicCmpXchg32, OpAtomicCmpXchg64},
}

func (l *lifter) instruction(ins *ir.Instruction) error {
	switch class := ins.OpCode.Class(); class {
	case asm.ALU64Class:
		return l.alu64(ins)
	case asm.ALUClass:
		return l.alu32(ins)
	case asm.JumpClass, asm.Jump32Class:
		return l.jump(ins, class == asm.Jump32Class)
	case asm.LdXClass:
		size := ins.OpCode.Size().Sizeof()
		ld := l.v(loadOp(size, ins.OpCode.Mode() == asm.MemSXMode), l.reg(ins.Src), l.mem())
		ld.Off = int64(ins.Offset)
		return l.setReg(ins.Dst, ld)
	case asm.StClass:
		l.store(ins, l.const64(int64(int32(ins.Constant))))
		return nil
	case asm.StXClass:
		if ins.OpCode.Mode() == asm.AtomicMode {
			return l.atomic(ins)
		}
		l.store(ins, l.reg(ins.Src))
		return nil
	case asm.LdClass:
		return l.load(ins)
	}
	return fmt.Errorf("%w: opcode %v", ErrUnsupported, ins.OpCode)
}

func (l *lifter) store(ins *ir.Instruction, val *Value) {
	st := l.v(storeOp(ins.OpCode.Size().Sizeof()), l.reg(ins.Dst), val, l.mem())
	st.Off = int64(ins.Offset)
	l.setMem(st)
}

func (l *lifter) alu64(ins *ir.Instruction) error {
	var src *Value
	if ins.OpCode.Source() == asm.RegSource {
		src = l.reg(ins.Src)
	} else {
		// A 64-bit operation sign-extends its 32-bit immediate.
		src = l.const64(int64(int32(ins.Constant)))
	}
	aluOp := ins.OpCode.ALUOp()
	var r *Value
	switch aluOp {
	case asm.Mov:
		r = src
	case asm.MovSX8:
		r = l.v(OpSignExt8to64, src)
	case asm.MovSX16:
		r = l.v(OpSignExt16to64, src)
	case asm.MovSX32:
		r = l.v(OpSignExt32to64, src)
	case asm.Neg:
		r = l.v(OpNeg64, l.reg(ins.Dst))
	case asm.Swap:
		// bswap16/32/64: unconditional byte swaps.
		op, err := swapOp(ins.Constant)
		if err != nil {
			return err
		}
		r = l.v(op, l.reg(ins.Dst))
	default:
		ops, ok := aluOps[aluOp]
		if !ok {
			return fmt.Errorf("%w: ALU operation %v", ErrUnsupported, aluOp)
		}
		r = l.v(ops[0], l.reg(ins.Dst), src)
	}
	return l.setReg(ins.Dst, r)
}

func swapOp(width int64) (Op, error) {
	switch width {
	case 16:
		return OpBswap16, nil
	case 32:
		return OpBswap32, nil
	case 64:
		return OpBswap64, nil
	}
	return OpInvalid, fmt.Errorf("%w: byte swap of %d bits", ErrInvalid, width)
}

// alu32 lifts a 32-bit operation: operands are truncated, the result is
// zero-extended into the register, as eBPF defines.
func (l *lifter) alu32(ins *ir.Instruction) error {
	aluOp := ins.OpCode.ALUOp()
	if aluOp == asm.Swap {
		// le/be: the register is converted from or to little or big
		// endian and truncated to the width. On the little-endian
		// machines bpf2native targets le only truncates.
		dst := l.reg(ins.Dst)
		var r *Value
		switch {
		case ins.OpCode.Endianness() == asm.BE:
			op, err := swapOp(ins.Constant)
			if err != nil {
				return err
			}
			r = l.v(op, dst)
		case ins.Constant == 16:
			r = l.v(OpAnd64, dst, l.const64(0xffff))
		case ins.Constant == 32:
			r = l.v(OpZeroExt32to64, l.v(OpTrunc64to32, dst))
		case ins.Constant == 64:
			r = dst
		default:
			return fmt.Errorf("%w: byte swap of %d bits", ErrInvalid, ins.Constant)
		}
		return l.setReg(ins.Dst, r)
	}
	var src *Value
	if ins.OpCode.Source() == asm.RegSource {
		src = l.v(OpTrunc64to32, l.reg(ins.Src))
	} else {
		src = l.const32(int32(ins.Constant))
	}
	var r *Value
	switch aluOp {
	case asm.Mov:
		r = src
	case asm.MovSX8:
		r = l.v(OpSignExt8to32, src)
	case asm.MovSX16:
		r = l.v(OpSignExt16to32, src)
	case asm.Neg:
		r = l.v(OpNeg32, l.v(OpTrunc64to32, l.reg(ins.Dst)))
	default:
		ops, ok := aluOps[aluOp]
		if !ok {
			return fmt.Errorf("%w: 32-bit ALU operation %v", ErrUnsupported, aluOp)
		}
		r = l.v(ops[1], l.v(OpTrunc64to32, l.reg(ins.Dst)), src)
	}
	return l.setReg(ins.Dst, l.v(OpZeroExt32to64, r))
}

func (l *lifter) jump(ins *ir.Instruction, is32 bool) error {
	switch op := ins.OpCode.JumpOp(); op {
	case asm.Ja:
		l.b.Kind = BlockPlain
		return nil
	case asm.Exit:
		l.b.Kind = BlockRet
		l.b.SetControls(l.reg(asm.R0), l.mem())
		return nil
	case asm.Call:
		return l.call(ins)
	default:
		ops, ok := compareOps[op]
		if !ok {
			return fmt.Errorf("%w: jump %v", ErrUnsupported, op)
		}
		var x, y *Value
		switch {
		case is32 && ins.OpCode.Source() == asm.RegSource:
			x, y = l.v(OpTrunc64to32, l.reg(ins.Dst)), l.v(OpTrunc64to32, l.reg(ins.Src))
		case is32:
			x, y = l.v(OpTrunc64to32, l.reg(ins.Dst)), l.const32(int32(ins.Constant))
		case ins.OpCode.Source() == asm.RegSource:
			x, y = l.reg(ins.Dst), l.reg(ins.Src)
		default:
			x, y = l.reg(ins.Dst), l.const64(int64(int32(ins.Constant)))
		}
		k := 0
		if is32 {
			k = 1
		}
		l.b.Kind = BlockIf
		l.b.SetControls(l.v(ops[k], x, y))
		return nil
	}
}

func (l *lifter) call(ins *ir.Instruction) error {
	var op Op
	var aux int64
	var id *Value
	switch {
	case ins.OpCode.Source() == asm.RegSource:
		// callx: the register (in dst) holds a helper id.
		op, id = OpCallX, l.reg(ins.Dst)
	case ins.IsLocalCall():
		op, aux = OpCallLocal, int64(l.p.Insns[ins.Target].Func)
	case ins.IsHelperCall() && ins.HelperID() == l.tailCall:
		op, aux = OpCallTail, int64(ins.HelperID())
	case ins.IsHelperCall():
		op, aux = OpCallHelper, int64(ins.HelperID())
	default:
		return fmt.Errorf("%w: call with src %v (kfunc)", ErrUnsupported, ins.Src)
	}
	args := []*Value{l.reg(asm.R1), l.reg(asm.R2), l.reg(asm.R3), l.reg(asm.R4), l.reg(asm.R5)}
	if id != nil {
		args = append(args, id)
	}
	call := l.v(op, append(args, l.mem())...)
	call.Aux = aux
	r0 := l.v(OpSelectVal, call)
	l.setMem(l.v(OpSelectMem, call))
	l.setReg(asm.R0, r0)
	// r1..r5 are caller-saved: the verifier refuses reads before a write.
	undef := l.f.Undef()
	for r := asm.R1; r <= asm.R5; r++ {
		l.setReg(r, undef)
	}
	if op == OpCallTail {
		// A successful tail call (r0 == 0) ends the program; otherwise the
		// program continues after the call.
		ret := l.f.NewBlock(BlockTailRet)
		cont := l.f.NewBlock(BlockInvalid)
		l.b.Kind = BlockIf
		l.b.SetControls(l.v(OpEq64, r0, l.const64(0)))
		l.b.AddEdgeTo(ret)
		l.b.AddEdgeTo(cont)
		l.b = ret
		ret.SetControls(l.mem())
		l.b = cont
	}
	return nil
}

// load lifts the LD class: lddw of a constant or a map reference. The
// legacy packet loads (ld abs/ind) are left to the runtimes that still
// offer them.
func (l *lifter) load(ins *ir.Instruction) error {
	if ins.OpCode.Mode() != asm.ImmMode {
		return fmt.Errorf("%w: legacy packet load %v", ErrUnsupported, ins.OpCode)
	}
	var r *Value
	switch ins.Src {
	case 0:
		r = l.const64(ins.Constant)
	case asm.PseudoMapFD, asm.PseudoMapValue, 5, 6: // 5, 6: by map index
		if ins.Map == ir.NoMap {
			return fmt.Errorf("%w: map load without a resolved map", ErrInvalid)
		}
		if ins.Src == asm.PseudoMapFD || ins.Src == 5 {
			r = l.b.NewValueAux(OpMapPtr, TypeI64, int64(ins.Map), l.insn)
		} else {
			r = l.b.NewValueAux(OpMapValue, TypeI64, int64(ins.Map), l.insn)
			r.Off = int64(ins.MapOffset())
		}
	default:
		return fmt.Errorf("%w: lddw with src %d", ErrUnsupported, ins.Src)
	}
	return l.setReg(ins.Dst, r)
}

func (l *lifter) atomic(ins *ir.Instruction) error {
	ops, ok := atomicByEncoding[ins.OpCode.AtomicOp()]
	if !ok {
		return fmt.Errorf("%w: atomic operation %v", ErrUnsupported, ins.OpCode.AtomicOp())
	}
	op := ops[0]
	if ins.OpCode.Size() == asm.DWord {
		op = ops[1]
	}
	addr, val := l.reg(ins.Dst), l.reg(ins.Src)
	var a *Value
	if op.Atomic() == AtomicCmpXchg {
		a = l.v(op, addr, l.reg(asm.R0), val, l.mem())
	} else {
		a = l.v(op, addr, val, l.mem())
	}
	a.Off = int64(ins.Offset)
	if a.Type == TypeMem {
		l.setMem(a)
		return nil
	}
	l.setMem(l.v(OpSelectMem, a))
	old := l.v(OpSelectVal, a)
	if op.Atomic() == AtomicCmpXchg {
		return l.setReg(asm.R0, old)
	}
	return l.setReg(ins.Src, old)
}
