package amd64

import (
	"fmt"
	"math"
	"math/bits"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/regalloc"
	"github.com/bpf2native/bpf2native/ssa"
)

// The lowering maps each SSA value to a short sequence of instructions on
// virtual registers. Two-address x86 forms are written "mov d, x; op d, y",
// where the copy disappears when the allocator gives d and x one register.
// I32 values live in 64-bit registers whose upper half is unspecified
// unless the producer is a 32-bit x86 operation (which zero-extends):
// ZeroExt32to64 of such a producer is a plain copy.

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

// imm32 reports whether v is a constant an instruction of the given size
// can take as a 32-bit immediate (sign-extended to 64 bits for size 8),
// and if so consumes v's use.
func (m *Machine) imm32(v *ssa.Value, size uint8) (int64, bool) {
	c, ok := constOf(v)
	if !ok {
		return 0, false
	}
	if size == 8 && c != int64(int32(c)) {
		return 0, false
	}
	m.c.Consume(v)
	if size == 4 {
		return int64(int32(c)), true
	}
	return c, true
}

// opSize returns the operand size of an op on type t.
func opSize(t ssa.Type) uint8 {
	if t == ssa.TypeI32 {
		return 4
	}
	return 8
}

// zeroExtends reports whether the register holding v has its upper 32 bits
// zero because of how v is computed on amd64.
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
	ssa.OpAdd64: aluAdd, ssa.OpSub64: aluSub, ssa.OpMul64: aluImul, ssa.OpAnd64: aluAnd, ssa.OpOr64: aluOr, ssa.OpXor64: aluXor,
	ssa.OpAdd32: aluAdd, ssa.OpSub32: aluSub, ssa.OpMul32: aluImul, ssa.OpAnd32: aluAnd, ssa.OpOr32: aluOr, ssa.OpXor32: aluXor,
	ssa.OpLsh64: shiftShl, ssa.OpRsh64: shiftShr, ssa.OpArsh64: shiftSar,
	ssa.OpLsh32: shiftShl, ssa.OpRsh32: shiftShr, ssa.OpArsh32: shiftSar,
	ssa.OpRotl64: shiftRol, ssa.OpRotl32: shiftRol,
}

// condOf maps comparisons to the condition that holds after "cmp x, y".
var condOf = map[ssa.Op]cond{
	ssa.OpEq64: condEq, ssa.OpNe64: condNe, ssa.OpUgt64: condA, ssa.OpUge64: condAe, ssa.OpUlt64: condB, ssa.OpUle64: condBe,
	ssa.OpSgt64: condG, ssa.OpSge64: condGe, ssa.OpSlt64: condL, ssa.OpSle64: condLe, ssa.OpTest64: condNe,
	ssa.OpEq32: condEq, ssa.OpNe32: condNe, ssa.OpUgt32: condA, ssa.OpUge32: condAe, ssa.OpUlt32: condB, ssa.OpUle32: condBe,
	ssa.OpSgt32: condG, ssa.OpSge32: condGe, ssa.OpSlt32: condL, ssa.OpSle32: condLe, ssa.OpTest32: condNe,
}

func (m *Machine) lowerValue(v *ssa.Value) {
	if alu, ok := aluOfOp[v.Op]; ok {
		m.lowerBinary(v, alu)
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
		m.lowerArg(v)
	case op == ssa.OpFP:
		m.usesFP = true
		m.emit(&instr{op: opLea, size: 8, dst: m.vreg(v), mem: amode{kind: amFP}})
	case op == ssa.OpCopy || op == ssa.OpTrunc64to32:
		m.emit(&instr{op: opMov, size: 8, dst: m.vreg(v), src: m.vreg(v.Args[0])})
	case op == ssa.OpZeroExt32to64:
		size := uint8(4)
		if zeroExtends(v.Args[0]) {
			size = 8 // already zero-extended: a copy the allocator can drop
		}
		m.emit(&instr{op: opMov, size: size, dst: m.vreg(v), src: m.vreg(v.Args[0])})
	case op == ssa.OpMapPtr:
		m.emit(&instr{op: opLoadTable, size: 8, dst: m.vreg(v), reloc: backend.RelocMap, index: int(v.Aux)})
	case op == ssa.OpMapValue:
		d := m.vreg(v)
		m.emit(&instr{op: opLoadTable, size: 8, dst: d, reloc: backend.RelocMapValue, index: int(v.Aux)})
		if v.Off != 0 {
			m.emit(&instr{op: opALU, alu: aluAdd, size: 8, dst: d, imm: v.Off, hasImm: true})
		}
	case op == ssa.OpNeg64 || op == ssa.OpNeg32:
		d := m.vreg(v)
		m.emit(&instr{op: opMov, size: 8, dst: d, src: m.vreg(v.Args[0])})
		m.emit(&instr{op: opNeg, size: opSize(v.Type), dst: d})
	case op >= ssa.OpUDiv64 && op <= ssa.OpSMod64Raw, op >= ssa.OpUDiv32 && op <= ssa.OpSMod32Raw:
		m.lowerDiv(v)
	case op == ssa.OpSignExt8to64 || op == ssa.OpSignExt16to64 || op == ssa.OpSignExt32to64:
		size := map[ssa.Op]uint8{ssa.OpSignExt8to64: 1, ssa.OpSignExt16to64: 2, ssa.OpSignExt32to64: 4}[op]
		m.emit(&instr{op: opExt, size: size, signed: true, dst: m.vreg(v), src: m.vreg(v.Args[0])})
	case op == ssa.OpSignExt8to32 || op == ssa.OpSignExt16to32:
		// movsx to a 32-bit register leaves the upper half zero.
		size := uint8(1)
		if op == ssa.OpSignExt16to32 {
			size = 2
		}
		m.emit(&instr{op: opExt, size: size, signed: true, dsize: 4, dst: m.vreg(v), src: m.vreg(v.Args[0])})
	case op == ssa.OpBswap16:
		d := m.vreg(v)
		m.emit(&instr{op: opMov, size: 8, dst: d, src: m.vreg(v.Args[0])})
		m.emit(&instr{op: opRol16, size: 2, dst: d})
		m.emit(&instr{op: opExt, size: 2, dst: d, src: d})
	case op == ssa.OpBswap32 || op == ssa.OpBswap64:
		d := m.vreg(v)
		size := uint8(8)
		if op == ssa.OpBswap32 {
			size = 4 // bswap r32 clears the upper half
		}
		m.emit(&instr{op: opMov, size: 8, dst: d, src: m.vreg(v.Args[0])})
		m.emit(&instr{op: opBswap, size: size, dst: d})
	case op == ssa.OpCondSelect:
		m.lowerCondSelect(v)
	case op.IsCompare():
		// A comparison whose value is needed in a register: 0 or 1.
		d := m.vreg(v)
		cc := m.compare(v)
		m.emit(&instr{op: opSetcc, cc: cc, size: 1, dst: d})
		m.emit(&instr{op: opExt, size: 1, dst: d, src: d})
	case op.IsLoad():
		m.lowerLoad(v)
	case op.IsStore():
		m.lowerStore(v)
	case op.Atomic() != ssa.AtomicNone:
		m.lowerAtomic(v)
	case op.IsCall():
		m.lowerCall(v)
	default:
		panic(fmt.Sprintf("BUG: amd64 cannot lower %s", v.LongString()))
	}
}

func (m *Machine) movImm(d regalloc.Reg, c int64) {
	if c == 0 {
		// xor d, d: shorter, and a 32-bit xor clears the whole register.
		// It changes the flags, which is why it is its own instruction:
		// the lowering never puts one between a compare and its use.
		m.emit(&instr{op: opZero, size: 4, dst: d})
		return
	}
	size := uint8(8)
	if uint64(c) <= math.MaxUint32 {
		size = 4 // mov r32, imm32 zero-extends
	}
	m.emit(&instr{op: opMovImm, size: size, dst: d, imm: c})
}

func (m *Machine) lowerArg(v *ssa.Value) {
	i := int(v.Aux)
	if i < len(m.abi.IntArgs) {
		m.emit(&instr{op: opMov, size: 8, dst: m.vreg(v), src: m.abi.IntArgs[i]})
		return
	}
	m.emit(&instr{op: opLoad, size: 8, dst: m.vreg(v), mem: amode{kind: amIncoming, slot: i}})
}

// lowerBinary lowers a two-operand ALU op or shift: mov d, x; op d, y.
func (m *Machine) lowerBinary(v *ssa.Value, alu aluOp) {
	d, size := m.vreg(v), opSize(v.Type)
	x, y := v.Args[0], v.Args[1]
	if v.Op.Info().Commutative {
		if _, ok := constOf(x); ok {
			x, y = y, x
		}
	}
	shift := alu >= shiftShl
	var in *instr
	switch {
	case shift:
		if c, ok := constOf(y); ok {
			m.c.Consume(y)
			in = &instr{op: opShift, alu: alu, size: size, dst: d, imm: c & int64(size*8-1), hasImm: true}
		} else {
			// The count goes in cl; x86 masks it to 5 or 6 bits, as eBPF does.
			m.emit(&instr{op: opMov, size: 8, dst: d, src: m.vreg(x)})
			m.emit(&instr{op: opMov, size: 8, dst: rcx, src: m.vreg(y)})
			m.emit(&instr{op: opShift, alu: alu, size: size, dst: d, src: rcx})
			return
		}
	case alu == aluImul:
		if c, ok := constOf(y); ok {
			if size == 4 {
				c = int64(int32(c))
			}
			switch {
			case c > 1 && c&(c-1) == 0:
				// A power of two: a shift.
				m.c.Consume(y)
				m.emit(&instr{op: opMov, size: 8, dst: d, src: m.vreg(x)})
				m.emit(&instr{op: opShift, alu: shiftShl, size: size, dst: d, imm: int64(bits.TrailingZeros64(uint64(c))), hasImm: true})
				return
			case c == 3 || c == 5 || c == 9:
				// lea d, [x + x*(c-1)]
				m.c.Consume(y)
				r := m.vreg(x)
				m.emit(&instr{op: opLea, size: size, dst: d, mem: amode{kind: amReg, base: r, index: r, scale: uint8(c - 1)}})
				return
			case c == int64(int32(c)):
				// imul d, x, imm: three operands, no copy.
				m.c.Consume(y)
				m.emit(&instr{op: opImul3, size: size, dst: d, src: m.vreg(x), imm: c})
				return
			}
		}
		in = &instr{op: opALU, alu: alu, size: size, dst: d, src: m.vreg(y)}
	default:
		if c, ok := m.imm32(y, size); ok {
			in = &instr{op: opALU, alu: alu, size: size, dst: d, imm: c, hasImm: true}
		} else {
			in = &instr{op: opALU, alu: alu, size: size, dst: d, src: m.vreg(y)}
		}
	}
	m.emit(&instr{op: opMov, size: 8, dst: d, src: m.vreg(x)})
	m.emit(in)
}

// lowerDiv lowers division and modulo. The guarded forms implement eBPF's
// total semantics without branches: the divisor is replaced by 1 where it
// is 0 (or, signed, -1), so the division cannot trap, and the result is
// corrected with cmov from what x/1 leaves in rax (x) and rdx (0):
//
//	x/0 = 0     (rdx)          x%0 = x      (rax)
//	x/-1 = -x   (neg rax)      x%-1 = 0     (x%1 is 0 already)
//
// The Raw forms, whose divisors are proven safe, are a bare div or idiv.
func (m *Machine) lowerDiv(v *ssa.Value) {
	op := v.Op
	size := opSize(v.Type)
	signed := op == ssa.OpSDiv64 || op == ssa.OpSMod64 || op == ssa.OpSDiv64Raw || op == ssa.OpSMod64Raw ||
		op == ssa.OpSDiv32 || op == ssa.OpSMod32 || op == ssa.OpSDiv32Raw || op == ssa.OpSMod32Raw
	mod := op == ssa.OpUMod64 || op == ssa.OpSMod64 || op == ssa.OpUMod64Raw || op == ssa.OpSMod64Raw ||
		op == ssa.OpUMod32 || op == ssa.OpSMod32 || op == ssa.OpUMod32Raw || op == ssa.OpSMod32Raw
	raw := (op >= ssa.OpUDiv64Raw && op <= ssa.OpSMod64Raw) || (op >= ssa.OpUDiv32Raw && op <= ssa.OpSMod32Raw)
	x, y := m.vreg(v.Args[0]), m.vreg(v.Args[1])

	m.emit(&instr{op: opMov, size: 8, dst: rax, src: x})
	divisor := y
	if !raw {
		one := m.newVReg()
		divisor = m.newVReg()
		m.emit(&instr{op: opMovImm, size: 4, dst: one, imm: 1})
		m.emit(&instr{op: opMov, size: 8, dst: divisor, src: y})
		if signed {
			m.emit(&instr{op: opCmp, size: size, dst: divisor, imm: -1, hasImm: true})
			m.emit(&instr{op: opCmov, cc: condEq, size: size, dst: divisor, src: one})
		}
		m.emit(&instr{op: opTest, size: size, dst: divisor, src: divisor})
		m.emit(&instr{op: opCmov, cc: condEq, size: size, dst: divisor, src: one})
	}
	if signed {
		m.emit(&instr{op: opSignAx, size: size})
	} else {
		m.emit(&instr{op: opZero, size: 4, dst: rdx})
	}
	m.emit(&instr{op: opDiv, size: size, signed: signed, src: divisor})
	// A 32-bit div, idiv or cmov zero-extends what it writes, so the
	// result moves are plain copies.
	d := m.vreg(v)
	switch {
	case raw && mod:
		m.emit(&instr{op: opMov, size: 8, dst: d, src: rdx})
	case raw:
		m.emit(&instr{op: opMov, size: 8, dst: d, src: rax})
	case mod:
		// y == 0: the dividend, which x/1 left in rax.
		m.emit(&instr{op: opTest, size: size, dst: y, src: y})
		m.emit(&instr{op: opCmov, cc: condEq, size: size, dst: rdx, src: rax})
		m.emit(&instr{op: opMov, size: 8, dst: d, src: rdx})
	default:
		if signed {
			// y == -1: -x, which wraps INT_MIN to itself as eBPF says.
			neg := m.newVReg()
			m.emit(&instr{op: opMov, size: 8, dst: neg, src: rax})
			m.emit(&instr{op: opNeg, size: size, dst: neg})
			m.emit(&instr{op: opCmp, size: size, dst: y, imm: -1, hasImm: true})
			m.emit(&instr{op: opCmov, cc: condEq, size: size, dst: rax, src: neg})
		}
		// y == 0: 0, which x%1 left in rdx.
		m.emit(&instr{op: opTest, size: size, dst: y, src: y})
		m.emit(&instr{op: opCmov, cc: condEq, size: size, dst: rax, src: rdx})
		m.emit(&instr{op: opMov, size: 8, dst: d, src: rax})
	}
}

// compare emits the flags-setting instruction of comparison v and returns
// the condition under which v holds.
func (m *Machine) compare(v *ssa.Value) cond {
	cc := condOf[v.Op]
	size := opSize(v.Args[0].Type)
	x, y := v.Args[0], v.Args[1]
	if v.Op == ssa.OpTest64 || v.Op == ssa.OpTest32 {
		if _, ok := constOf(x); ok {
			x, y = y, x
		}
		if c, ok := m.imm32(y, size); ok {
			m.emit(&instr{op: opTest, size: size, dst: m.vreg(x), imm: c, hasImm: true})
		} else {
			m.emit(&instr{op: opTest, size: size, dst: m.vreg(x), src: m.vreg(y)})
		}
		return cc
	}
	if _, ok := constOf(x); ok {
		if _, ok := constOf(y); !ok {
			x, y = y, x
			cc = cc.swap()
		}
	}
	if c, ok := m.imm32(y, size); ok {
		m.emit(&instr{op: opCmp, size: size, dst: m.vreg(x), imm: c, hasImm: true})
	} else {
		m.emit(&instr{op: opCmp, size: size, dst: m.vreg(x), src: m.vreg(y)})
	}
	return cc
}

// lowerCondSelect lowers CondSelect(c, x, y) as "mov d, y; cmp; cmovcc d,
// x", the comparison fused when c is one only this select uses, else
// "test c, c; cmovne". A 32-bit cmov clears the upper half whether it
// moves or not, as an I32 allows.
func (m *Machine) lowerCondSelect(v *ssa.Value) {
	d := m.vreg(v)
	c, x, y := v.Args[0], v.Args[1], v.Args[2]
	m.emit(&instr{op: opMov, size: 8, dst: d, src: m.vreg(y)})
	var cc cond
	if c.Op.IsCompare() && m.c.Fold(c, v.Block) {
		cc = m.compare(c)
	} else {
		r := m.vreg(c)
		m.emit(&instr{op: opTest, size: 4, dst: r, src: r})
		cc = condNe
	}
	m.emit(&instr{op: opCmov, cc: cc, size: opSize(v.Type), dst: d, src: m.vreg(x)})
}

// LowerBranch implements backend.Machine.
func (m *Machine) LowerBranch(b *ssa.Block, targets []backend.Label) {
	m.flush()
	// A conditional branch belongs to the jump its condition was lifted
	// from; other terminators (jumps, returns) record no instruction in
	// SSA and get none.
	if b.Kind == ssa.BlockIf {
		m.line = lineOf(b.Controls[0].Insn)
	}
	defer func() { m.line = 0 }()
	switch b.Kind {
	case ssa.BlockPlain:
		m.emit(&instr{op: opJmp, label: targets[0]})
	case ssa.BlockIf:
		ctl := b.Controls[0]
		var cc cond
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
			cc = m.compare(ctl)
		default:
			r := m.vreg(ctl)
			m.emit(&instr{op: opTest, size: 4, dst: r, src: r})
			cc = condNe
		}
		m.emit(&instr{op: opJcc, cc: cc, label: targets[0]})
		m.emit(&instr{op: opJmp, label: targets[1]})
	case ssa.BlockRet:
		r0 := b.Controls[0]
		if c, ok := constOf(r0); ok {
			m.c.Consume(r0)
			m.movImm(m.abi.IntResult, c)
		} else {
			m.emit(&instr{op: opMov, size: 8, dst: m.abi.IntResult, src: m.vreg(r0)})
		}
		m.emit(&instr{op: opRet, uses: []regalloc.Reg{m.abi.IntResult}})
	case ssa.BlockTailRet:
		// The tail call succeeded: return 0 and let the runtime run the
		// program it selected.
		m.movImm(m.abi.IntResult, 0)
		m.emit(&instr{op: opRet, uses: []regalloc.Reg{m.abi.IntResult}})
	default:
		panic(fmt.Sprintf("BUG: amd64 cannot lower block kind %s", b.Kind))
	}
	m.flush()
}

// address returns the memory operand at address value a plus off, for an
// access by a value of block b. An address computed only for this access
// folds into the operand: base + index*scale + disp, where the base may
// be the eBPF frame pointer (rsp-relative once the frame is known) and
// the index a shift by 1, 2 or 3.
func (m *Machine) address(a *ssa.Value, off int64, b *ssa.Block) amode {
	if off != int64(int32(off)) {
		panic(fmt.Sprintf("BUG: memory offset %d does not fit 32 bits", off))
	}
	// Frame offsets are added to displacements later: keep a margin.
	fits := func(d int64) bool { return d > -(1<<30) && d < 1<<30 }
	// addConst splits x+c, when foldable, into x and c.
	addConst := func(x *ssa.Value, disp int64) (*ssa.Value, int64) {
		if x.Op != ssa.OpAdd64 {
			return x, disp
		}
		c, ok := constOf(x.Args[1])
		if !ok || !fits(disp+c) {
			return x, disp
		}
		if x.Args[0].Op == ssa.OpFP {
			// FP+c costs nothing to recompute in an address: take this
			// use from x whatever its other users, and when it has none
			// left x needs no code.
			m.c.Consume(x)
			m.c.Use(x.Args[0])
			return x.Args[0], disp + c
		}
		if !m.c.Fold(x, b) {
			return x, disp
		}
		m.c.Consume(x.Args[1])
		return x.Args[0], disp + c
	}
	am := amode{kind: amReg}
	disp := off
	if a.Op == ssa.OpAdd64 && m.c.Fold(a, b) {
		x, y := a.Args[0], a.Args[1]
		if c, ok := constOf(y); ok && fits(disp+c) {
			m.c.Consume(y)
			a, disp = addConst(x, disp+c)
		} else {
			x, disp = addConst(x, disp)
			y, disp = addConst(y, disp)
			if y.Op == ssa.OpFP || x.Op == ssa.OpLsh64 {
				x, y = y, x
			}
			am.index, am.scale = m.vreg(y), 1
			if y.Op == ssa.OpLsh64 {
				if k, ok := constOf(y.Args[1]); ok && k >= 1 && k <= 3 && m.c.Fold(y, b) {
					m.c.Consume(y.Args[1])
					am.index, am.scale = m.vreg(y.Args[0]), 1<<k
				}
			}
			a = x
		}
	} else {
		a, disp = addConst(a, disp)
	}
	am.disp = int32(disp)
	if a.Op == ssa.OpFP {
		m.c.Consume(a)
		m.usesFP = true
		am.kind = amFP
		return am
	}
	am.base = m.vreg(a)
	return am
}

func (m *Machine) lowerLoad(v *ssa.Value) {
	size := v.Op.Info().Size
	signed := v.Op >= ssa.OpLoadSX8 && v.Op <= ssa.OpLoadSX32
	m.emit(&instr{op: opLoad, size: uint8(size), signed: signed, dst: m.vreg(v), mem: m.address(v.Args[0], v.Off, v.Block)})
}

func (m *Machine) lowerStore(v *ssa.Value) {
	size := uint8(v.Op.Info().Size)
	mem := m.address(v.Args[0], v.Off, v.Block)
	val := v.Args[1]
	if c, ok := constOf(val); ok && (size < 8 || c == int64(int32(c))) {
		m.c.Consume(val)
		// A narrow store takes the low bytes of the constant.
		switch size {
		case 1:
			c = int64(int8(c))
		case 2:
			c = int64(int16(c))
		case 4:
			c = int64(int32(c))
		}
		m.emit(&instr{op: opStore, size: size, mem: mem, imm: c, hasImm: true})
		return
	}
	m.emit(&instr{op: opStore, size: size, mem: mem, src: m.vreg(val)})
}

// lowerAtomic lowers the atomics: lock add/and/or/xor for the plain forms,
// lock xadd for fetch-add, xchg, lock cmpxchg, and a cmpxchg loop for
// fetch-and, fetch-or and fetch-xor, which x86 has no instruction for.
func (m *Machine) lowerAtomic(v *ssa.Value) {
	info := v.Op.Info()
	size := uint8(info.Size)
	mem := m.address(v.Args[0], v.Off, v.Block)
	kind := v.Op.Atomic()
	var alu aluOp
	switch kind {
	case ssa.AtomicAdd:
		alu = aluAdd
	case ssa.AtomicAnd:
		alu = aluAnd
	case ssa.AtomicOr:
		alu = aluOr
	case ssa.AtomicXor:
		alu = aluXor
	}
	fetch := info.Type == ssa.TypeTuple
	switch {
	case !fetch:
		m.emit(&instr{op: opLockALU, alu: alu, size: size, mem: mem, src: m.vreg(v.Args[1])})
	case kind == ssa.AtomicAdd || kind == ssa.AtomicXchg:
		d := m.vreg(v)
		m.emit(&instr{op: opMov, size: 8, dst: d, src: m.vreg(v.Args[1])})
		op := opXadd
		if kind == ssa.AtomicXchg {
			op = opXchg
		}
		// xadd and xchg of 32 bits zero-extend the old value.
		m.emit(&instr{op: op, size: size, mem: mem, src: d})
	case kind == ssa.AtomicCmpXchg:
		m.emit(&instr{op: opMov, size: 8, dst: rax, src: m.vreg(v.Args[1])})
		m.emit(&instr{op: opCmpxchg, size: size, mem: mem, src: m.vreg(v.Args[2])})
		// On success rax keeps the expected value, whose upper half a
		// 32-bit cmpxchg leaves alone: the move zero-extends it.
		m.emit(&instr{op: opMov, size: size, dst: m.vreg(v), src: rax})
	default:
		// rax = [mem]; loop: t = rax op val; lock cmpxchg [mem], t; jne loop
		val := m.vreg(v.Args[1])
		t := m.newVReg()
		m.localLabels++
		loop := m.localLabels
		m.emit(&instr{op: opLoad, size: size, dst: rax, mem: mem})
		m.emit(&instr{op: opLabel, index: loop})
		m.emit(&instr{op: opMov, size: 8, dst: t, src: rax})
		m.emit(&instr{op: opALU, alu: alu, size: size, dst: t, src: val})
		m.emit(&instr{op: opCmpxchg, size: size, mem: mem, src: t})
		m.emit(&instr{op: opJcc, cc: condNe, index: loop})
		// The loop reads the address and the operand on every iteration:
		// keep them out of reach of anything defined inside it.
		keep := []regalloc.Reg{val}
		if mem.kind == amReg {
			keep = append(keep, mem.base)
		}
		if mem.scale != 0 {
			keep = append(keep, mem.index)
		}
		m.emit(&instr{op: opKeepAlive, uses: keep})
		m.emit(&instr{op: opMov, size: size, dst: m.vreg(v), src: rax})
	}
}

// lowerCall lowers helper, tail and local calls in the ABI's convention:
// r1..r5 in the argument registers (past them on the stack above the
// shadow space), then the program context under PassContext, the result
// in the result register. callx passes its helper id as a sixth argument
// and calls through the helper-id table:
//
//	xor z, z; mov t, id; cmp id, 256; cmovae t, z    ids beyond the table: slot 0
//	lea base, [rip+helper_ids]; call [base+t*8]
func (m *Machine) lowerCall(v *ssa.Value) {
	m.hasCalls = true
	var argRegs []regalloc.Reg
	nargs := 0
	args := v.Args[:len(v.Args)-1] // the last is the memory state
	for i, a := range args {
		if a.Op == ssa.OpUndef && i < 5 {
			// The callee does not read it (the verifier refuses reads of
			// uninitialized registers): pass nothing.
			m.c.Consume(a)
			continue
		}
		nargs = i + 1
		if i < len(m.abi.IntArgs) {
			r := m.abi.IntArgs[i]
			m.emit(&instr{op: opMov, size: 8, dst: r, src: m.vreg(a)})
			argRegs = append(argRegs, r)
			continue
		}
		m.emit(&instr{op: opStore, size: 8, src: m.vreg(a), mem: amode{kind: amOutgoing, disp: int32(m.abi.StackArgOffset(i))}})
	}
	if m.abi.PassContext && v.Op != ssa.OpCallX {
		nargs = backend.ContextArg + 1
		if m.context == 0 {
			m.context = m.newVReg()
		}
		if r := backend.ContextArg; r < len(m.abi.IntArgs) {
			m.emit(&instr{op: opMov, size: 8, dst: m.abi.IntArgs[r], src: m.context})
			argRegs = append(argRegs, m.abi.IntArgs[r])
		} else {
			m.emit(&instr{op: opStore, size: 8, src: m.context, mem: amode{kind: amOutgoing, disp: int32(m.abi.StackArgOffset(r))}})
		}
	}
	m.maxOutgoing = max(m.maxOutgoing, m.abi.OutgoingArea(nargs))
	call := &instr{op: opCall, uses: argRegs, defs: []regalloc.Reg{m.abi.IntResult}, clobbers: m.abi.CallerSaved, index: int(v.Aux)}
	switch v.Op {
	case ssa.OpCallHelper, ssa.OpCallTail:
		call.reloc = backend.RelocHelper
	case ssa.OpCallLocal:
		call.reloc = backend.RelocCall
	case ssa.OpCallX:
		id := m.vreg(v.Args[5])
		z, t, base := m.newVReg(), m.newVReg(), m.newVReg()
		pre := []*instr{
			{op: opZero, size: 4, dst: z},
			{op: opMov, size: 8, dst: t, src: id},
			{op: opCmp, size: 8, dst: id, imm: backend.HelperIDSlots, hasImm: true},
			{op: opCmov, cc: condAe, size: 8, dst: t, src: z},
			{op: opLeaTable, size: 8, dst: base, reloc: backend.RelocHelperIDs},
		}
		// Before the argument moves, which may overwrite the registers
		// the id is computed from.
		m.code.Prepend(pre)
		for _, in := range pre {
			in.line = m.line
		}
		call.op = opCallMem
		call.mem = amode{kind: amReg, base: base, index: t, scale: 8}
	}
	m.emit(call)
	m.emit(&instr{op: opMov, size: 8, dst: m.vreg(v), src: m.abi.IntResult})
}

// ZeroExtends implements backend.ZeroExtender.
func (m *Machine) ZeroExtends(v *ssa.Value) bool { return zeroExtends(v) }
