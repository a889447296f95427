package arm64

import (
	"fmt"
	"math/bits"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/regalloc"
	"github.com/bpf2native/bpf2native/ssa"
)

// The lowering maps each SSA value to a short sequence of three-address
// instructions on virtual registers. I32 values live in 64-bit registers
// whose upper half is unspecified unless the producer is a 32-bit
// operation: every arm64 instruction on w registers zeroes the upper half,
// so ZeroExt32to64 of such a producer is a plain copy.
//
// eBPF's division semantics are arm64's own: udiv and sdiv give 0 for a
// zero divisor and sdiv wraps INT_MIN / -1 to INT_MIN without trapping,
// and modulo as x - (x/y)*y (msub) keeps the dividend when y is 0 and
// gives 0 for INT_MIN % -1. Guarded and Raw forms are the same code.

// LowerValue implements backend.Machine.
func (m *Machine) LowerValue(v *ssa.Value) {
	m.flush()
	m.line = lineOf(v.Insn)
	m.lowerValue(v)
	m.flush()
	m.line = 0
}

func (m *Machine) newVReg() regalloc.Reg { return m.c.NewVReg() }

// constOf reports v's value if it is a constant, as the bits a 64-bit
// register would hold (I32 constants zero-extended).
func constOf(v *ssa.Value) (int64, bool) {
	switch v.Op {
	case ssa.OpConst64:
		return v.Aux, true
	case ssa.OpConst32:
		return int64(uint32(v.Aux)), true
	}
	return 0, false
}

// opSize returns the operand size of an op on type t.
func opSize(t ssa.Type) uint8 {
	if t == ssa.TypeI32 {
		return 4
	}
	return 8
}

// isAddImm reports whether c is an ADD/SUB immediate: 12 bits, optionally
// shifted left by 12.
func isAddImm(c int64) bool {
	return c >= 0 && (c < 1<<12 || (c&0xfff == 0 && c < 1<<24))
}

// isLogicalImm reports whether c is a bitmask immediate of an AND, ORR,
// EOR or TST of the given size: a power-of-two-sized element, repeated to
// fill the register, holding one run of ones rotated (neither all zeros
// nor all ones).
//
// For 32-bit forms only patterns that do not wrap around bit 31 are
// accepted: golang-asm classifies a 32-bit constant as a 64-bit one, zero
// extended, and would otherwise load it through R27.
func isLogicalImm(c uint64, size uint8) bool {
	if size == 4 {
		if uint32(c) == 0xffffffff {
			return false
		}
		c = uint64(uint32(c))
	}
	if c == 0 || c == ^uint64(0) {
		return false
	}
	for e := uint(2); e <= 64; e *= 2 {
		mask := ^uint64(0)
		if e < 64 {
			mask = 1<<e - 1
		}
		elt := c & mask
		rep := elt
		for w := e; w < 64; w *= 2 {
			rep |= rep << w
		}
		if rep != c {
			continue
		}
		if elt == 0 || elt == mask {
			return false
		}
		// One run of ones, rotated: exactly two bit changes around the
		// element.
		rot := (elt>>1 | elt<<(e-1)) & mask
		return bits.OnesCount64(elt^rot) == 2
	}
	return false
}

// zeroExtends reports whether the register holding v has its upper 32 bits
// zero because of how v is computed on arm64.
func zeroExtends(v *ssa.Value) bool {
	switch v.Op {
	case ssa.OpConst32, ssa.OpAdd32, ssa.OpSub32, ssa.OpMul32, ssa.OpAnd32, ssa.OpOr32, ssa.OpXor32,
		ssa.OpLsh32, ssa.OpRsh32, ssa.OpArsh32, ssa.OpNeg32, ssa.OpRotl32,
		ssa.OpUDiv32, ssa.OpUMod32, ssa.OpSDiv32, ssa.OpSMod32,
		ssa.OpUDiv32Raw, ssa.OpUMod32Raw, ssa.OpSDiv32Raw, ssa.OpSMod32Raw,
		ssa.OpSignExt8to32, ssa.OpSignExt16to32:
		return true
	}
	return false
}

var aluOfOp = map[ssa.Op]aluOp{
	ssa.OpAdd64: aluAdd, ssa.OpSub64: aluSub, ssa.OpMul64: aluMul, ssa.OpAnd64: aluAnd, ssa.OpOr64: aluOr, ssa.OpXor64: aluXor,
	ssa.OpAdd32: aluAdd, ssa.OpSub32: aluSub, ssa.OpMul32: aluMul, ssa.OpAnd32: aluAnd, ssa.OpOr32: aluOr, ssa.OpXor32: aluXor,
	ssa.OpLsh64: aluLsl, ssa.OpRsh64: aluLsr, ssa.OpArsh64: aluAsr,
	ssa.OpLsh32: aluLsl, ssa.OpRsh32: aluLsr, ssa.OpArsh32: aluAsr,
	ssa.OpUDiv64: aluUdiv, ssa.OpUDiv64Raw: aluUdiv, ssa.OpSDiv64: aluSdiv, ssa.OpSDiv64Raw: aluSdiv,
	ssa.OpUDiv32: aluUdiv, ssa.OpUDiv32Raw: aluUdiv, ssa.OpSDiv32: aluSdiv, ssa.OpSDiv32Raw: aluSdiv,
}

// modOfOp maps modulo to the division it is computed from.
var modOfOp = map[ssa.Op]aluOp{
	ssa.OpUMod64: aluUdiv, ssa.OpUMod64Raw: aluUdiv, ssa.OpSMod64: aluSdiv, ssa.OpSMod64Raw: aluSdiv,
	ssa.OpUMod32: aluUdiv, ssa.OpUMod32Raw: aluUdiv, ssa.OpSMod32: aluSdiv, ssa.OpSMod32Raw: aluSdiv,
}

// condOf maps comparisons to the condition that holds after "cmp x, y".
var condOf = map[ssa.Op]cond{
	ssa.OpEq64: condEq, ssa.OpNe64: condNe, ssa.OpUgt64: condHi, ssa.OpUge64: condHs, ssa.OpUlt64: condLo, ssa.OpUle64: condLs,
	ssa.OpSgt64: condGt, ssa.OpSge64: condGe, ssa.OpSlt64: condLt, ssa.OpSle64: condLe, ssa.OpTest64: condNe,
	ssa.OpEq32: condEq, ssa.OpNe32: condNe, ssa.OpUgt32: condHi, ssa.OpUge32: condHs, ssa.OpUlt32: condLo, ssa.OpUle32: condLs,
	ssa.OpSgt32: condGt, ssa.OpSge32: condGe, ssa.OpSlt32: condLt, ssa.OpSle32: condLe, ssa.OpTest32: condNe,
}

func (m *Machine) lowerValue(v *ssa.Value) {
	if alu, ok := aluOfOp[v.Op]; ok {
		m.lowerBinary(v, alu)
		return
	}
	if div, ok := modOfOp[v.Op]; ok {
		// q = x / y; d = x - q*y.
		size := opSize(v.Type)
		x, y := m.vreg(v.Args[0]), m.vreg(v.Args[1])
		q := m.newVReg()
		m.emit(&instr{op: opALU, alu: div, size: size, dst: q, src1: x, src2: y})
		m.emit(&instr{op: opMsub, size: size, dst: m.vreg(v), src1: q, src2: y, src3: x})
		return
	}
	if v.Op == ssa.OpRotl64 || v.Op == ssa.OpRotl32 {
		// A left rotate is a right one by the complement: ror by a
		// constant, or rorv by the negated count (which masks it).
		size := opSize(v.Type)
		in := &instr{op: opALU, alu: aluRor, size: size, dst: m.vreg(v), src1: m.vreg(v.Args[0])}
		if c, ok := constOf(v.Args[1]); ok {
			m.c.Consume(v.Args[1])
			in.imm, in.hasImm = (int64(size)*8-c)&(int64(size)*8-1), true
		} else {
			t := m.newVReg()
			m.emit(&instr{op: opNeg, size: size, dst: t, src1: m.vreg(v.Args[1])})
			in.src2 = t
		}
		m.emit(in)
		return
	}
	switch op := v.Op; {
	case op == ssa.OpConst64 || op == ssa.OpConst32 || op == ssa.OpConstBool:
		c, _ := constOf(v)
		if op == ssa.OpConstBool {
			c = v.Aux
		}
		m.movImm(m.vreg(v), c)
	case op == ssa.OpUndef:
		// Eval reads an undefined register as 0; so does native code.
		m.movImm(m.vreg(v), 0)
	case op == ssa.OpArg:
		i := int(v.Aux)
		if i >= len(m.abi.IntArgs) {
			panic(fmt.Sprintf("BUG: argument %d is not in a register", i))
		}
		m.emit(&instr{op: opMov, size: 8, dst: m.vreg(v), src1: m.abi.IntArgs[i]})
	case op == ssa.OpFP:
		m.usesFP = true
		m.emit(&instr{op: opLea, size: 8, dst: m.vreg(v), mem: amode{kind: amFP}})
	case op == ssa.OpCopy || op == ssa.OpTrunc64to32:
		m.emit(&instr{op: opMov, size: 8, dst: m.vreg(v), src1: m.vreg(v.Args[0])})
	case op == ssa.OpZeroExt32to64:
		size := uint8(4)
		if zeroExtends(v.Args[0]) {
			size = 8 // already zero-extended: a copy the allocator can drop
		}
		m.emit(&instr{op: opMov, size: size, dst: m.vreg(v), src1: m.vreg(v.Args[0])})
	case op == ssa.OpMapPtr:
		m.emit(&instr{op: opLoadTable, size: 8, dst: m.vreg(v), reloc: backend.RelocMap, index: int(v.Aux)})
	case op == ssa.OpMapValue:
		d := m.vreg(v)
		if v.Off == 0 {
			m.emit(&instr{op: opLoadTable, size: 8, dst: d, reloc: backend.RelocMapValue, index: int(v.Aux)})
			break
		}
		base := m.newVReg()
		m.emit(&instr{op: opLoadTable, size: 8, dst: base, reloc: backend.RelocMapValue, index: int(v.Aux)})
		m.emit(&instr{op: opLea, size: 8, dst: d, mem: amode{kind: amReg, base: base, disp: v.Off}})
	case op == ssa.OpNeg64 || op == ssa.OpNeg32:
		m.emit(&instr{op: opNeg, size: opSize(v.Type), dst: m.vreg(v), src1: m.vreg(v.Args[0])})
	case op == ssa.OpSignExt8to64 || op == ssa.OpSignExt16to64 || op == ssa.OpSignExt32to64:
		size := map[ssa.Op]uint8{ssa.OpSignExt8to64: 1, ssa.OpSignExt16to64: 2, ssa.OpSignExt32to64: 4}[op]
		m.emit(&instr{op: opExt, size: size, signed: true, dsize: 8, dst: m.vreg(v), src1: m.vreg(v.Args[0])})
	case op == ssa.OpSignExt8to32 || op == ssa.OpSignExt16to32:
		// sxtb/sxth to a w register leaves the upper half zero.
		size := uint8(1)
		if op == ssa.OpSignExt16to32 {
			size = 2
		}
		m.emit(&instr{op: opExt, size: size, signed: true, dsize: 4, dst: m.vreg(v), src1: m.vreg(v.Args[0])})
	case op == ssa.OpBswap16:
		// rev16 swaps the bytes of each halfword; uxth keeps the low one.
		t := m.newVReg()
		m.emit(&instr{op: opRev, size: 2, dst: t, src1: m.vreg(v.Args[0])})
		m.emit(&instr{op: opExt, size: 2, dst: m.vreg(v), src1: t})
	case op == ssa.OpBswap32:
		// rev w clears the upper half.
		m.emit(&instr{op: opRev, size: 4, dst: m.vreg(v), src1: m.vreg(v.Args[0])})
	case op == ssa.OpBswap64:
		m.emit(&instr{op: opRev, size: 8, dst: m.vreg(v), src1: m.vreg(v.Args[0])})
	case op == ssa.OpCondSelect:
		m.lowerCondSelect(v)
	case op.IsCompare():
		// A comparison whose value is needed in a register: 0 or 1.
		cc := m.compare(v)
		m.emit(&instr{op: opCset, cc: cc, size: 8, dst: m.vreg(v)})
	case op.IsLoad():
		m.lowerLoad(v)
	case op.IsStore():
		m.lowerStore(v)
	case op.Atomic() != ssa.AtomicNone:
		m.lowerAtomic(v)
	case op.IsCall():
		m.lowerCall(v)
	default:
		panic(fmt.Sprintf("BUG: arm64 cannot lower %s", v.LongString()))
	}
}

func (m *Machine) movImm(d regalloc.Reg, c int64) {
	m.emit(&instr{op: opMovImm, size: 8, dst: d, imm: c})
}

// lowerBinary lowers a two-operand ALU op, shift or division:
// d = x op y, with y an immediate where the instruction has such a form.
func (m *Machine) lowerBinary(v *ssa.Value, alu aluOp) {
	d, size := m.vreg(v), opSize(v.Type)
	x, y := v.Args[0], v.Args[1]
	if v.Op.Info().Commutative {
		if _, ok := constOf(x); ok {
			x, y = y, x
		}
	}
	in := &instr{op: opALU, alu: alu, size: size, dst: d, src1: m.vreg(x)}
	if c, ok := constOf(y); ok {
		if size == 4 {
			c = int64(int32(c))
		}
		switch alu {
		case aluLsl, aluLsr, aluAsr:
			in.imm, in.hasImm = c&int64(size*8-1), true
		case aluAdd, aluSub:
			switch {
			case isAddImm(c):
				in.imm, in.hasImm = c, true
			case c != -c && isAddImm(-c):
				in.alu = aluAdd + aluSub - alu
				in.imm, in.hasImm = -c, true
			}
		case aluAnd, aluOr, aluXor:
			if isLogicalImm(uint64(c), size) {
				in.imm, in.hasImm = c, true
			}
		}
		if in.hasImm {
			m.c.Consume(y)
		}
	}
	if !in.hasImm {
		in.src2 = m.vreg(y)
	}
	m.emit(in)
}

// compare emits the flags-setting instruction of comparison v and returns
// the condition under which v holds.
// lowerCondSelect lowers CondSelect(c, x, y) as "cmp; csel d, x, y, cc",
// the comparison fused when c is one only this select uses, else
// "cmp c, #0; csel ..., ne".
func (m *Machine) lowerCondSelect(v *ssa.Value) {
	c, x, y := v.Args[0], v.Args[1], v.Args[2]
	var cc cond
	if c.Op.IsCompare() && m.c.Fold(c, v.Block) {
		cc = m.compare(c)
	} else {
		m.emit(&instr{op: opCmp, size: 4, src1: m.vreg(c), imm: 0, hasImm: true})
		cc = condNe
	}
	m.emit(&instr{op: opCsel, cc: cc, size: opSize(v.Type), dst: m.vreg(v), src1: m.vreg(x), src2: m.vreg(y)})
}

func (m *Machine) compare(v *ssa.Value) cond {
	cc := condOf[v.Op]
	size := opSize(v.Args[0].Type)
	x, y := v.Args[0], v.Args[1]
	test := v.Op == ssa.OpTest64 || v.Op == ssa.OpTest32
	if _, ok := constOf(x); ok {
		if _, ok := constOf(y); !ok {
			x, y = y, x
			if !test {
				cc = cc.swap()
			}
		}
	}
	in := &instr{op: opCmp, size: size, src1: m.vreg(x)}
	if test {
		in.op = opTst
	}
	if c, ok := constOf(y); ok {
		if size == 4 {
			c = int64(int32(c))
		}
		switch {
		case test && isLogicalImm(uint64(c), size):
			in.imm, in.hasImm = c, true
		case !test && (isAddImm(c) || (c != -c && isAddImm(-c))):
			in.imm, in.hasImm = c, true
		}
		if in.hasImm {
			m.c.Consume(y)
		}
	}
	if !in.hasImm {
		in.src2 = m.vreg(y)
	}
	m.emit(in)
	return cc
}

// LowerBranch implements backend.Machine.
func (m *Machine) LowerBranch(b *ssa.Block, targets []backend.Label) {
	m.flush()
	// A conditional branch belongs to the jump its condition was lifted
	// from; other terminators record no instruction in SSA and get none.
	if b.Kind == ssa.BlockIf {
		m.line = lineOf(b.Controls[0].Insn)
	}
	defer func() { m.line = 0 }()
	switch b.Kind {
	case ssa.BlockPlain:
		m.emit(&instr{op: opJmp, label: targets[0]})
	case ssa.BlockIf:
		ctl := b.Controls[0]
		switch {
		case ctl.Op == ssa.OpConstBool:
			m.c.Consume(ctl)
			t := targets[1]
			if ctl.Aux != 0 {
				t = targets[0]
			}
			m.emit(&instr{op: opJmp, label: t})
			m.flush()
			return
		case ctl.Op.IsCompare() && m.c.Fold(ctl, b):
			// Fused compare and branch.
			cc := m.compare(ctl)
			m.emit(&instr{op: opBcc, cc: cc, label: targets[0]})
		default:
			m.emit(&instr{op: opCbnz, cc: condNe, size: 4, src1: m.vreg(ctl), label: targets[0]})
		}
		m.emit(&instr{op: opJmp, label: targets[1]})
	case ssa.BlockRet:
		r0 := b.Controls[0]
		if c, ok := constOf(r0); ok {
			m.c.Consume(r0)
			m.movImm(m.abi.IntResult, c)
		} else {
			m.emit(&instr{op: opMov, size: 8, dst: m.abi.IntResult, src1: m.vreg(r0)})
		}
		m.emit(&instr{op: opRet, uses: []regalloc.Reg{m.abi.IntResult}})
	case ssa.BlockTailRet:
		// The tail call succeeded: return 0 and let the runtime run the
		// program it selected.
		m.movImm(m.abi.IntResult, 0)
		m.emit(&instr{op: opRet, uses: []regalloc.Reg{m.abi.IntResult}})
	default:
		panic(fmt.Sprintf("BUG: arm64 cannot lower block kind %s", b.Kind))
	}
	m.flush()
}

// address returns the memory operand at address value a plus off. Any
// displacement is accepted: the encoder splits those no load or store
// can hold.
func (m *Machine) address(a *ssa.Value, off int64) amode {
	if off >= 1<<24 || off <= -(1<<24) {
		panic(fmt.Sprintf("BUG: memory offset %d out of range", off))
	}
	if a.Op == ssa.OpFP {
		m.c.Consume(a)
		m.usesFP = true
		return amode{kind: amFP, disp: off}
	}
	return amode{kind: amReg, base: m.vreg(a), disp: off}
}

func (m *Machine) lowerLoad(v *ssa.Value) {
	size := v.Op.Info().Size
	signed := v.Op >= ssa.OpLoadSX8 && v.Op <= ssa.OpLoadSX32
	m.emit(&instr{op: opLoad, size: uint8(size), signed: signed, dst: m.vreg(v), mem: m.address(v.Args[0], v.Off)})
}

func (m *Machine) lowerStore(v *ssa.Value) {
	size := uint8(v.Op.Info().Size)
	mem := m.address(v.Args[0], v.Off)
	val := v.Args[1]
	if c, ok := constOf(val); ok && uint64(c)<<(64-8*uint(size)) == 0 {
		// Storing zero: the zero register.
		m.c.Consume(val)
		m.emit(&instr{op: opStore, size: size, mem: mem, zero: true})
		return
	}
	m.emit(&instr{op: opStore, size: size, mem: mem, src1: m.vreg(val)})
}

// lowerAtomic lowers the atomics to load-exclusive/store-exclusive loops
// (one pseudo-instruction each, expanded by the encoder; see
// encodeAtomic). The address is a register: ldxr and stxr take no offset.
func (m *Machine) lowerAtomic(v *ssa.Value) {
	info := v.Op.Info()
	in := &instr{op: opAtomic, size: uint8(info.Size), fetch: info.Type == ssa.TypeTuple}
	in.atomic = map[ssa.AtomicKind]atomicOp{ssa.AtomicAdd: atomicAdd, ssa.AtomicAnd: atomicAnd, ssa.AtomicOr: atomicOr,
		ssa.AtomicXor: atomicXor, ssa.AtomicXchg: atomicXchg, ssa.AtomicCmpXchg: atomicCmpXchg}[v.Op.Atomic()]
	mem := m.address(v.Args[0], v.Off)
	if mem.kind == amReg && mem.disp == 0 {
		in.src1 = mem.base
	} else {
		in.src1 = m.newVReg()
		m.emit(&instr{op: opLea, size: 8, dst: in.src1, mem: mem})
	}
	in.src2 = m.vreg(v.Args[1])
	keep := []regalloc.Reg{in.src1, in.src2}
	if in.atomic == atomicCmpXchg {
		in.src3 = m.vreg(v.Args[2])
		keep = append(keep, in.src3)
	}
	if in.fetch {
		in.dst = m.vreg(v)
	}
	m.emit(in)
	if in.fetch {
		// The loop reads its operands on every iteration, after it has
		// written the old value: keep them out of the old value's
		// register.
		m.emit(&instr{op: opKeepAlive, uses: keep})
	}
}

// lowerCall lowers helper, tail and local calls in the ABI's convention:
// r1..r5 in the argument registers, then the program context under
// PassContext, the result in the result register. callx passes its helper id as a sixth argument and calls through the
// helper-id table, ids beyond the table through slot 0:
//
//	cmp id, #256; csel t, id, zero, lo; blr [helper_ids + t*8]
func (m *Machine) lowerCall(v *ssa.Value) {
	m.hasCalls = true
	var argRegs []regalloc.Reg
	args := v.Args[:len(v.Args)-1] // the last is the memory state
	for i, a := range args {
		if a.Op == ssa.OpUndef && i < 5 {
			// The callee does not read it (the verifier refuses reads of
			// uninitialized registers): pass nothing.
			m.c.Consume(a)
			continue
		}
		r := m.abi.IntArgs[i]
		m.emit(&instr{op: opMov, size: 8, dst: r, src1: m.vreg(a)})
		argRegs = append(argRegs, r)
	}
	if m.abi.PassContext && v.Op != ssa.OpCallX {
		if m.context == 0 {
			m.context = m.newVReg()
		}
		r := m.abi.IntArgs[backend.ContextArg]
		m.emit(&instr{op: opMov, size: 8, dst: r, src1: m.context})
		argRegs = append(argRegs, r)
	}
	call := &instr{op: opCall, uses: argRegs, defs: []regalloc.Reg{m.abi.IntResult}, clobbers: m.abi.CallerSaved, index: int(v.Aux)}
	switch v.Op {
	case ssa.OpCallHelper, ssa.OpCallTail:
		call.reloc = backend.RelocHelper
	case ssa.OpCallLocal:
		call.reloc = backend.RelocCall
	case ssa.OpCallX:
		id := m.vreg(v.Args[5])
		z, t := m.newVReg(), m.newVReg()
		pre := []*instr{
			{op: opMovImm, size: 8, dst: z, imm: 0},
			{op: opCmp, size: 8, src1: id, imm: backend.HelperIDSlots, hasImm: true},
			{op: opCsel, cc: condLo, size: 8, dst: t, src1: id, src2: z},
		}
		// Before the argument moves, which may overwrite the registers
		// the id is computed from.
		for _, in := range pre {
			in.line = m.line
		}
		m.code.Prepend(pre)
		call.reloc, call.index, call.src1 = backend.RelocHelperIDs, 0, t
	}
	m.emit(call)
	m.emit(&instr{op: opMov, size: 8, dst: m.vreg(v), src1: m.abi.IntResult})
}

// ZeroExtends implements backend.ZeroExtender.
func (m *Machine) ZeroExtends(v *ssa.Value) bool { return zeroExtends(v) }
