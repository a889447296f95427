package verifier

import (
	"fmt"
	"math"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/cilium/ebpf/asm"
)

// exec applies a non-branching instruction to st. It returns nil when the
// path cannot continue. A failed check is reported and the path goes on
// with the most plausible repaired state, so that later independent errors
// are found too.
func (a *analyzer) exec(i int, st *State) *State {
	ins := &a.prog.Insns[i]
	switch cls := ins.OpCode.Class(); {
	case cls.IsALU():
		a.alu(i, ins, st)
	case ins.OpCode.IsDWordLoad():
		a.lddw(i, ins, st)
	case cls == asm.LdClass:
		a.legacyLoad(i, ins, st)
	case cls == asm.LdXClass:
		a.load(i, ins, st)
	case cls == asm.StClass || cls == asm.StXClass:
		if ins.OpCode.Mode() == asm.AtomicMode {
			a.atomic(i, ins, st)
		} else {
			a.store(i, ins, st)
		}
	case cls == asm.JumpClass && ins.OpCode.JumpOp() == asm.Call:
		return a.call(i, ins, st)
	default:
		a.report(i, st, "unsupported instruction %v", ins.Instruction)
		return nil
	}
	return st
}

// use reads register r as an operand, reporting an uninitialised one; the
// repair is an unknown number.
func (a *analyzer) use(i int, st *State, r asm.Register) Value {
	v := st.top().Regs[r]
	if v.Kind == Uninit {
		a.report(i, st, "r%d is used uninitialized", r)
		v = scalar(NumTop)
	}
	return v
}

func aluOpOf(op asm.ALUOp) (aluOp, bool) {
	switch op {
	case asm.Add:
		return opAdd, true
	case asm.Sub:
		return opSub, true
	case asm.Mul:
		return opMul, true
	case asm.Div:
		return opDiv, true
	case asm.SDiv:
		return opSDiv, true
	case asm.Mod:
		return opMod, true
	case asm.SMod:
		return opSMod, true
	case asm.Or:
		return opOr, true
	case asm.And:
		return opAnd, true
	case asm.Xor:
		return opXor, true
	case asm.LSh:
		return opLsh, true
	case asm.RSh:
		return opRsh, true
	case asm.ArSh:
		return opArsh, true
	}
	return 0, false
}

func (a *analyzer) alu(i int, ins *ir.Instruction, st *State) {
	regs := &st.top().Regs
	dst := ins.Dst
	is32 := ins.OpCode.Class() == asm.ALUClass
	op := ins.OpCode.ALUOp()
	var src Value
	if op != asm.Neg && op != asm.Swap {
		if ins.OpCode.Source() == asm.RegSource {
			if op == asm.Mov || op == asm.MovSX8 || op == asm.MovSX16 || op == asm.MovSX32 {
				// A move of an uninitialised register only moves the
				// uninitialised state; the use, later, is what is wrong.
				src = regs[ins.Src]
			} else {
				src = a.use(i, st, ins.Src)
			}
		} else {
			src = scalar(NumConst(uint64(ins.Constant)))
		}
	}
	if dst == asm.R10 {
		a.report(i, st, "r10 is read-only")
		return
	}
	switch op {
	case asm.Mov:
		switch {
		case src.Kind == Uninit:
			regs[dst] = src
		case is32 && src.Kind == Scalar:
			v := scalar(src.Num.trunc32())
			if src.Num.UMax <= math.MaxUint32 {
				// The number does not change: its relations hold.
				v.ID, v.Delta, v.G, v.GD, v.GW32, v.GDiv = src.ID, src.Delta, src.G, src.GD, src.GW32, src.GDiv
				v.Bounded, v.Slack = src.Bounded, src.Slack
				v.Seg = src.Seg
			}
			regs[dst] = v
		case is32 && src.Kind == Unknown:
			regs[dst] = unknown()
		case is32:
			// Half a pointer is no pointer, and as a number it would leak
			// an address: it is unusable, except that the difference of
			// two in one region is a number (see Value.Trunc).
			src.Trunc, src.Kind, src.TruncAt = src.Kind, Unknown, int32(i)
			src.G, src.GD, src.GW32, src.GDiv = 0, 0, false, 0
			regs[dst] = src
			if a.collecting {
				if _, ok := a.truncs[i]; !ok {
					a.truncs[i] = truncation{st.String(), ins.Src, src}
				}
			}
		case (src.Kind == Scalar || src.Kind == Packet && !src.Num.IsConst()) && ins.OpCode.Source() == asm.RegSource:
			// Copies stay related, so a later comparison of either bounds
			// both (for packet pointers at a variable offset: a check of
			// one proves bytes past the other).
			if src.ID == 0 {
				src.ID = st.freshID(i)
				regs[ins.Src].ID = src.ID
			}
			regs[dst] = src
		default:
			regs[dst] = src
		}
		return
	case asm.MovSX8, asm.MovSX16, asm.MovSX32:
		w := map[asm.ALUOp]int{asm.MovSX8: 1, asm.MovSX16: 2, asm.MovSX32: 4}[op]
		switch src.Kind {
		case Uninit:
			a.report(i, st, "r%d is used uninitialized", ins.Src)
			regs[dst] = scalar(NumTop)
		case Scalar:
			n := src.Num
			if w < 8 && !n.IsConst() && n.UMax >= 1<<(8*w) {
				n = n.trunc32()
				if w < 4 {
					n = numWidth(w)
				}
			}
			n = n.sext(w)
			if is32 {
				n = n.trunc32()
			}
			regs[dst] = scalar(n)
		default:
			a.report(i, st, "sign extension of r%d, which is %s, not a number", ins.Src, src)
			regs[dst] = unknown()
		}
		return
	}

	d := a.use(i, st, dst)
	switch op {
	case asm.Neg:
		if d.Kind != Scalar {
			regs[dst] = unknown()
			return
		}
		regs[dst] = scalar(numALU(opSub, NumConst(0), d.Num, is32))
		return
	case asm.Swap:
		if d.Kind != Scalar {
			regs[dst] = unknown()
			return
		}
		w := int(ins.Constant) / 8
		n := d.Num
		if ins.OpCode.Class() == asm.ALUClass && ins.OpCode.Endianness() == asm.LE {
			// The host is little-endian: to-LE only truncates.
			if w < 8 {
				n = numALU(opAnd, n, NumConst(1<<(8*w)-1), false)
			}
		} else if n.IsConst() {
			n = NumConst(bswap(n.UMin, w))
		} else {
			n = numWidth(w)
		}
		regs[dst] = scalar(n)
		return
	}
	o, ok := aluOpOf(op)
	if !ok {
		a.report(i, st, "unsupported ALU operation %v", op)
		regs[dst] = unknown()
		return
	}
	if (o == opDiv || o == opSDiv || o == opMod || o == opSMod) && (d.Kind != Scalar || src.Kind != Scalar) {
		a.report(i, st, "only numbers can be divided: r%d is %s, divisor is %s", dst, d, src)
		regs[dst] = scalar(NumTop)
		return
	}
	if d.Kind == Scalar && src.Kind == Scalar && (o == opAdd || o == opSub) && src.Num.IsConst() &&
		(ins.OpCode.Source() == asm.ImmSource || src.ID != d.ID || d.ID == 0) {
		// Adding a constant keeps the relations to the copies (and the
		// loop-head ghost), shifted: what the termination check and the
		// induction variables measure a loop's progress with. A 32-bit
		// addition keeps them only where it provably does not wrap.
		c := int64(src.Num.UMin)
		if is32 {
			c = int64(int32(uint32(src.Num.UMin)))
		}
		if o == opSub {
			c = -c
		}
		r := scalar(numALU(o, d.Num, src.Num, is32))
		exact := !is32 || d.Num.UMax <= math.MaxUint32 &&
			(c >= 0 && d.Num.UMax+uint64(c) <= math.MaxUint32 || c < 0 && c > math.MinInt32-1 && d.Num.UMin >= uint64(-c))
		if exact && c > -1<<40 && c < 1<<40 {
			if d.ID != 0 {
				r.ID, r.Delta = d.ID, d.Delta+c
			}
			if d.G != 0 && !d.GW32 && d.GDiv == 0 {
				r.G, r.GD = d.G, d.GD+c
			}
			if sl, ok := slackOf(d, st.PacketMin); ok && (c >= 0 || d.Num.UMin >= uint64(-c)) {
				// An index moved without wrapping keeps its bound.
				r.Bounded, r.Slack = true, sl-c
			}
			if c >= 0 || d.Num.UMin >= uint64(-c) {
				// So does the array segment it ends (segment.go).
				r.Seg = shiftSeg(d, r, c)
			}
		}
		if !exact && is32 && d.G != 0 && d.GDiv == 0 && d.Num.UMax <= math.MaxUint32 && c > -1<<32 && c < 1<<32 {
			// low32(x + GD + c): exact where the termination check proves
			// that it did not wrap.
			r.G, r.GD, r.GW32 = d.G, d.GD+c, true
		}
		regs[dst] = r
		return
	}
	if d.Kind == Scalar && src.Kind == Scalar && o == opDiv && src.Num.IsConst() && d.G != 0 && d.GD == 0 && !d.GW32 &&
		(!is32 || d.Num.UMax <= math.MaxUint32) {
		// x / D (D > 1): the termination check counts it as a decrease.
		r := scalar(numALU(o, d.Num, src.Num, is32))
		div := src.Num.UMin
		if is32 {
			div &= math.MaxUint32
		}
		if g := max(d.GDiv, 1); div > 1 && div < 1<<32 && g < 1<<32 {
			r.G, r.GDiv = d.G, g*div
		}
		regs[dst] = r
		return
	}
	if d.Kind == Scalar && src.Kind == Scalar {
		if a.opts.ForbidDivisionByZero && (o == opDiv || o == opSDiv || o == opMod || o == opSMod) {
			div := src.Num
			if is32 {
				div = div.trunc32()
			}
			if div.Contains(0) {
				a.report(i, st, "possible division by zero: divisor is %s", div)
			}
		}
		regs[dst] = scalar(numALU(o, d.Num, src.Num, is32))
		return
	}
	if is32 && o == opSub {
		// The low 32 bits of a difference of pointers into one region.
		pd, ps := untrunc(d), untrunc(src)
		if pd.Kind.isPointer() && ps.Kind.isPointer() {
			if a.collecting {
				for _, v := range []Value{d, src} {
					if v.Kind == Unknown && v.Trunc != 0 {
						a.truncUsed[int(v.TruncAt)] = true
					}
				}
			}
			r := a.pointerDiff(i, st, pd, ps)
			if r.Num.UMax > math.MaxUint32 {
				r = scalar(r.Num.trunc32())
			}
			regs[dst] = r
			return
		}
	}
	if !is32 && o == opAdd && ins.OpCode.Source() == asm.RegSource {
		// data + i: the pointer's variable part is i's value, which
		// relates it to i and to every copy of i.
		if d.Kind == Packet && src.Kind == Scalar && d.ID == 0 && d.Num.IsConst() {
			regs[dst] = a.packetPlusScalar(i, st, d, ins.Src)
			return
		}
		if src.Kind == Packet && d.Kind == Scalar && src.ID == 0 && src.Num.IsConst() {
			regs[dst] = a.packetPlusScalar(i, st, src, dst)
			return
		}
		// &a[0] + i: the pointer's offset is i's value plus a constant,
		// which relates it to i's loop-head ghost and segment fact.
		if d.Kind == Stack && src.Kind == Scalar && d.Num.IsConst() {
			regs[dst] = stackPlusScalar(a.movePointer(i, st, d, src.Num, false), d, src)
			return
		}
		if src.Kind == Stack && d.Kind == Scalar && src.Num.IsConst() {
			regs[dst] = stackPlusScalar(a.movePointer(i, st, src, d.Num, false), src, d)
			return
		}
	}
	regs[dst] = a.pointerArith(i, st, o, d, src, is32)
}

// stackPlusScalar is q = p + n for a stack pointer p at a constant offset
// and a number n, q being what movePointer made of it: it gets n's ghost
// relation and segment fact, shifted by p's offset (segment.go).
func stackPlusScalar(q, p, n Value) Value {
	c := int64(p.Num.UMin)
	if c <= -segLimit || c >= segLimit {
		return q
	}
	if n.G != 0 && !n.GW32 && n.GDiv == 0 && n.GD > -segLimit && n.GD < segLimit {
		if _, _, ok := segRange(n); ok {
			q.G, q.GD = n.G, n.GD+c
		}
	}
	if n.Seg.On {
		q.Seg = shiftSeg(n, q, c)
	}
	return q
}

// untrunc returns the pointer whose low 32 bits v is, or v.
func untrunc(v Value) Value {
	if v.Kind == Unknown && v.Trunc != 0 {
		v.Kind, v.Trunc = v.Trunc, 0
	}
	return v
}

// packetPlusScalar is p + r for a packet pointer p at a constant offset
// and the number in register r: a packet pointer sharing r's relation ID
// (r gets one if it had none), so that it is data + Y + Delta where r is
// Y + r.Delta, and so that bounds on either, and packet checks made on r,
// carry over (State.PktRel).
func (a *analyzer) packetPlusScalar(i int, st *State, p Value, r asm.Register) Value {
	n := st.top().Regs[r]
	if n.ID == 0 {
		n.ID = st.freshID(i)
		n.Delta = 0
		st.top().Regs[r].ID, st.top().Regs[r].Delta = n.ID, 0
	}
	c := int64(p.Num.UMin)
	if n.Delta <= -1<<40 || n.Delta >= 1<<40 || c <= -1<<40 || c >= 1<<40 {
		return a.movePointer(i, st, p, n.Num, false)
	}
	q := Value{Kind: Packet, Num: numAdd(p.Num, n.Num), ID: n.ID, Delta: c + n.Delta, Range: noRange}
	if rel := st.pktRel(n.ID); rel != noRange {
		q.Range = rel - q.Delta
	}
	if sl, ok := slackOf(n, st.PacketMin); ok {
		// data + c + i where i + sl <= the packet's length.
		q.Range = max(q.Range, sl-c)
	}
	if eff := a.packetRange(st, p); eff != noRange && n.Num.SMax < 1<<40 && n.Num.SMin > -1<<40 {
		q.Range = max(q.Range, eff-n.Num.SMax)
	}
	return q
}

// pointerArith applies o to operands of which at least one is not a
// number. Adding or subtracting a number moves a pointer; subtracting two
// pointers into one region gives a number; anything else gives an Unknown,
// which may not be used as a pointer nor leave the program.
func (a *analyzer) pointerArith(i int, st *State, o aluOp, d, s Value, is32 bool) Value {
	if o == opAdd && !is32 && (d.Kind != Scalar && s.Kind != Scalar) &&
		(d.Kind == Unknown || s.Kind == Unknown) {
		a.report(i, st, "pointer arithmetic with a value of no single type (%s and %s): only numbers can be added to pointers", d, s)
		return unknown()
	}
	if d.Kind == Unknown || s.Kind == Unknown || is32 {
		return unknown()
	}
	switch {
	case o == opAdd && d.Kind.isPointer() && s.Kind == Scalar:
		return a.movePointer(i, st, d, s.Num, false)
	case o == opAdd && d.Kind == Scalar && s.Kind.isPointer():
		return a.movePointer(i, st, s, d.Num, false)
	case o == opSub && d.Kind.isPointer() && s.Kind == Scalar:
		return a.movePointer(i, st, d, s.Num, true)
	case o == opSub && d.Kind.isPointer() && s.Kind.isPointer():
		return a.pointerDiff(i, st, d, s)
	case o == opAdd && d.Kind.isPointer() && s.Kind.isPointer():
		a.report(i, st, "cannot add two pointers (%s + %s)", d, s)
		return unknown()
	}
	return unknown()
}

// movePointer adds (or subtracts) n to pointer p's offset.
func (a *analyzer) movePointer(i int, st *State, p Value, n Num, sub bool) Value {
	if p.Kind == MapPtr {
		a.report(i, st, "arithmetic on a map pointer")
		return unknown()
	}
	if p.Kind == Shared && p.Null {
		a.report(i, st, "arithmetic on a pointer that may be null; check it against 0 first")
		p.Null = false
	}
	old := p
	if sub {
		p.Num = numSub(p.Num, n)
	} else {
		p.Num = numAdd(p.Num, n)
	}
	if n.IsConst() && n.SMin > -1<<40 && n.SMin < 1<<40 && p.G != 0 {
		if sub {
			p.GD -= n.SMin
		} else {
			p.GD += n.SMin
		}
	} else {
		p.G, p.GD = 0, 0
	}
	if p.Seg.On {
		if n.IsConst() && n.SMin > -segLimit && n.SMin < segLimit {
			c := n.SMin
			if sub {
				c = -c
			}
			p.Seg = shiftSeg(old, p, c)
		} else {
			p.Seg = seg{}
		}
	}
	if p.Kind != Packet {
		// A constant move keeps the relation (the termination check's
		// ghost IDs measure pointer loops with it); any other loses it.
		if n.IsConst() && n.SMin > -1<<40 && n.SMin < 1<<40 && p.ID != 0 {
			if sub {
				p.Delta -= n.SMin
			} else {
				p.Delta += n.SMin
			}
		} else {
			p.ID, p.Delta = 0, 0
		}
		return p
	}
	// Packet pointers carry their distance to data_end along.
	delta, exact := int64(0), n.IsConst() && n.SMin > -1<<40 && n.SMin < 1<<40
	if exact {
		delta = n.SMin
		if sub {
			delta = -delta
		}
	}
	eff := a.packetRange(st, old)
	switch {
	case exact:
		p.Delta += delta
		if eff != noRange {
			p.Range = eff - delta
		}
	default:
		p.ID = st.freshID(i)
		p.Delta = 0
		p.Range = noRange
		lo, hi := n.SMin, n.SMax
		if sub {
			lo, hi = -hi, -lo
		}
		if eff != noRange && hi < 1<<40 && lo > -1<<40 {
			p.Range = eff - hi
		}
	}
	return p
}

// packetRange is how many bytes past packet pointer p are proven to be in
// the packet (noRange if none is).
func (a *analyzer) packetRange(st *State, p Value) int64 {
	r := p.Range
	if p.Num.SMax < 1<<40 && p.Num.SMin > -1<<40 && st.PacketMin > 0 {
		r = max(r, st.PacketMin-p.Num.SMax)
	}
	return r
}

// pointerDiff subtracts two pointers; only pointers into one region have a
// meaningful difference.
func (a *analyzer) pointerDiff(i int, st *State, d, s Value) Value {
	same := d.Kind == s.Kind
	switch d.Kind {
	case Stack:
		same = same && d.Frame == s.Frame
	case Shared:
		same = same && d.Map == s.Map && d.Map >= 0
	case MapPtr:
		same = false
	}
	if d.Kind == PacketEnd && s.Kind == Packet {
		// data_end - (data + off) is at least PacketMin - off, and at
		// most MaxPacketSize - off.
		if s.Num.SMax >= 1<<40 || s.Num.SMin <= -1<<40 || !d.Num.IsConst() || int64(d.Num.UMin) <= -1<<40 || int64(d.Num.UMin) >= 1<<40 {
			return scalar(NumTop)
		}
		e := int64(d.Num.UMin)
		v := scalar(NumSRange(max(st.PacketMin, 0)+e-s.Num.SMax, MaxPacketSize+e-s.Num.SMin))
		if s.ID == 0 && s.Num.IsConst() {
			// Exactly the packet's length, shifted.
			v.ID, v.Delta = pktLenID, e-s.Num.SMin
			if v.Num.SMin >= 0 {
				v.Bounded, v.Slack = true, -v.Delta
			}
		}
		return v
	}
	if d.Kind == Packet && s.Kind == Packet && d.ID != 0 && s.ID == 0 && s.Num.IsConst() && d.ID != pktLenID &&
		int64(s.Num.UMin) > -1<<40 && int64(s.Num.UMin) < 1<<40 {
		// (data + Y + Delta) - (data + c) is Y + Delta - c: the number
		// the pointer's variable part came from.
		v := scalar(numSub(d.Num, s.Num))
		v.ID, v.Delta = d.ID, d.Delta-int64(s.Num.UMin)
		return v
	}
	if !same {
		a.report(i, st, "cannot subtract pointers to different regions (%s - %s)", d, s)
		return scalar(NumTop)
	}
	return scalar(numSub(d.Num, s.Num))
}

func (a *analyzer) lddw(i int, ins *ir.Instruction, st *State) {
	regs := &st.top().Regs
	switch ins.Src {
	case 0:
		regs[ins.Dst] = scalar(NumConst(uint64(ins.Constant)))
		return
	case asm.PseudoMapFD, pseudoMapIdx, asm.PseudoMapValue, pseudoMapIdxValue:
	default:
		a.report(i, st, "unsupported 64-bit immediate load of kind %d", ins.Src)
		regs[ins.Dst] = unknown()
		return
	}
	if ins.Map < 0 || ins.Map >= len(a.mod.Maps) {
		a.report(i, st, "load of an unknown map")
		regs[ins.Dst] = unknown()
		return
	}
	m := a.mod.Maps[ins.Map]
	if ins.Src == asm.PseudoMapFD || ins.Src == pseudoMapIdx {
		regs[ins.Dst] = Value{Kind: MapPtr, Map: ins.Map}
		return
	}
	regs[ins.Dst] = Value{Kind: Shared, Num: NumConst(uint64(ins.MapOffset())), Size: int64(m.ValueSize),
		Map: ins.Map, ReadOnly: m.ReadOnly, Range: noRange}
}

// legacyLoad is BPF_ABS/BPF_IND: the runtime bounds-checks the packet
// itself (ending the program on a miss), so only the operands are checked.
func (a *analyzer) legacyLoad(i int, ins *ir.Instruction, st *State) {
	if ins.OpCode.Mode() == asm.IndMode {
		if v := a.use(i, st, ins.Src); v.Kind != Scalar {
			a.report(i, st, "packet load index r%d is %s, not a number", ins.Src, v)
		}
	}
	regs := &st.top().Regs
	regs[0] = scalar(numWidth(ins.OpCode.Size().Sizeof()))
	for r := 1; r <= 5; r++ {
		regs[r] = uninit()
	}
}

// region is the result of resolving an access: the value read (for
// loads), whether the access is allowed.
func (a *analyzer) load(i int, ins *ir.Instruction, st *State) {
	w := ins.OpCode.Size().Sizeof()
	signed := ins.OpCode.Mode() == asm.MemSXMode
	base := a.use(i, st, ins.Src)
	v := a.access(i, st, ins.Src, base, int64(ins.Offset), w, false, Value{})
	if ins.Dst == asm.R10 {
		a.report(i, st, "r10 is read-only")
		return
	}
	if signed && v.Kind == Scalar {
		v.Num = v.Num.sext(w)
		v.Seg = seg{} // the number may have changed
	}
	st.top().Regs[ins.Dst] = v
}

func (a *analyzer) store(i int, ins *ir.Instruction, st *State) {
	w := ins.OpCode.Size().Sizeof()
	var val Value
	if ins.OpCode.Class() == asm.StClass {
		val = scalar(NumConst(uint64(ins.Constant)))
	} else if val = st.top().Regs[ins.Src]; val.Kind == Uninit {
		// Spilling an uninitialised register only makes the stack bytes
		// uninitialised; anywhere else it is an error.
		if b := st.top().Regs[ins.Dst]; b.Kind != Stack {
			val = a.use(i, st, ins.Src)
		}
	}
	if ins.OpCode.Class() == asm.StXClass && w == 8 && val.ID == 0 && st.top().Regs[ins.Dst].Kind == Stack &&
		(val.Kind == Scalar && !val.Num.IsConst() || val.Kind == Packet && !val.Num.IsConst()) {
		// The spilled copy stays related to the register, as a moved
		// copy does: a check of either bounds both.
		val.ID, val.Delta = st.freshID(i), 0
		st.top().Regs[ins.Src].ID, st.top().Regs[ins.Src].Delta = val.ID, 0
	}
	if val.Kind == Scalar && w < 8 && val.Num.UMax >= 1<<(8*w) {
		val.Num = truncWidth(val.Num, w)
		val.ID, val.G = 0, 0
		val.Seg = seg{}
	}
	base := a.use(i, st, ins.Dst)
	a.access(i, st, ins.Dst, base, int64(ins.Offset), w, true, val)
}

// truncWidth keeps the low w bytes of n.
func truncWidth(n Num, w int) Num {
	if n.UMax < 1<<(8*w) {
		return n
	}
	if n.IsConst() {
		return NumConst(n.UMin & (1<<(8*w) - 1))
	}
	return numALU(opAnd, n, NumConst(1<<(8*w)-1), false)
}

func (a *analyzer) atomic(i int, ins *ir.Instruction, st *State) {
	w := ins.OpCode.Size().Sizeof()
	op := ins.OpCode.AtomicOp()
	val := a.use(i, st, ins.Src)
	if val.Kind != Scalar {
		a.report(i, st, "atomic operand r%d is %s: only numbers can be stored atomically", ins.Src, val)
		val = scalar(NumTop)
	}
	base := a.use(i, st, ins.Dst)
	if op == asm.CmpXchg {
		if r0 := a.use(i, st, asm.R0); r0.Kind != Scalar {
			a.report(i, st, "cmpxchg compares r0, which is %s, not a number", r0)
		}
	}
	if base.Kind != Stack && base.Kind != Shared {
		a.report(i, st, "atomic operation on %s: only the stack and map values allow them", base)
		return
	}
	// Atomics must be naturally aligned: arm64 faults otherwise and x86
	// splits the lock.
	if base.Num.IsConst() && (int64(base.Num.UMin)+int64(ins.Offset))%int64(w) != 0 {
		a.report(i, st, "misaligned atomic access of %d bytes at %s+%d", w, base.Kind, int64(base.Num.UMin)+int64(ins.Offset))
	} else if !base.Num.IsConst() && base.Num.T.Mask&uint64(w-1) != 0 {
		a.report(i, st, "atomic access of %d bytes at %s%+d may be misaligned", w, base, ins.Offset)
	}
	old := a.access(i, st, ins.Dst, base, int64(ins.Offset), w, false, Value{})
	a.access(i, st, ins.Dst, base, int64(ins.Offset), w, true, scalar(numWidth(w)))
	if old.Kind != Scalar {
		old = scalar(numWidth(w))
	}
	regs := &st.top().Regs
	switch {
	case op == asm.CmpXchg:
		regs[0] = scalar(numWidth(w))
	case op&0x100 != 0: // fetch: the old value goes to src
		regs[ins.Src] = scalar(numWidth(w))
	}
}

// access checks an access of w bytes at base+off through register reg and
// performs it: a load returns the value read, a store writes val.
func (a *analyzer) access(i int, st *State, reg asm.Register, base Value, off int64, w int, write bool, val Value) Value {
	what := "read"
	if write {
		what = "write"
	}
	result := scalar(numWidth(w))
	lo, hi := satAdd(base.Num.SMin, off), satAdd(base.Num.SMax, off)
	leak := func(region string) {
		if write && val.Kind != Scalar {
			a.report(i, st, "%s stored into %s: only numbers can be stored to externally visible memory (pointer leak)", val, region)
		}
	}
	switch base.Kind {
	case Scalar:
		a.report(i, st, "invalid memory %s through r%d, which is a number (%s), not a pointer", what, reg, base.Num)
	case Unknown:
		a.report(i, st, "invalid memory %s through r%d, which has no single type (%s)", what, reg, base)
	case MapPtr, PacketEnd:
		a.report(i, st, "invalid memory %s through r%d: %s cannot be dereferenced", what, reg, base)
	case Stack:
		return a.stackAccess(i, st, base, off, lo, hi, w, write, val)
	case Ctx:
		return a.ctxAccess(i, st, base, off, w, write, val)
	case Packet:
		leak("the packet")
		// Below data lies the metadata, as far as data_meta is proven
		// below it.
		if lo < -st.MetaMin {
			a.report(i, st, "invalid packet %s of %d bytes at packet+%s: offset may be below data_meta (only %d metadata bytes are proven)", what, w, offsetRange(lo, hi), st.MetaMin)
			break
		}
		rng := a.packetRange(st, base)
		if (hi < 1<<40 && hi+int64(w) <= st.PacketMin) || (rng != noRange && off+int64(w) <= rng) {
			break
		}
		checked := fmt.Sprintf("only packet+[0,%d) is checked against data_end", st.PacketMin)
		if st.PacketMin == 0 {
			checked = "no packet bytes are checked against data_end"
		}
		if rng != noRange && rng > 0 && base.ID != 0 {
			checked += fmt.Sprintf(" (and %d bytes past r%d)", rng, reg)
		}
		a.report(i, st, "invalid packet %s of %d bytes at packet+%s: %s", what, w, offsetRange(lo, hi), checked)
	case PacketMeta:
		leak("the packet metadata")
		if lo < 0 || hi+int64(w) > st.MetaMin {
			a.report(i, st, "invalid packet metadata %s of %d bytes at meta+%s: only meta+[0,%d) is checked against data", what, w, offsetRange(lo, hi), st.MetaMin)
		}
	case Shared:
		if base.Null {
			a.report(i, st, "possible null access: r%d (%s) may be null; compare it with 0 first", reg, base)
			break
		}
		leak("shared memory (a map value)")
		if write && base.ReadOnly {
			a.report(i, st, "write to read-only memory at %s", base)
		}
		if lo < 0 || hi > base.Size-int64(w) {
			a.report(i, st, "invalid %s of %d bytes at shared+%s: the region is %d bytes", what, w, offsetRange(lo, hi), base.Size)
		}
	}
	return result
}

func offsetRange(lo, hi int64) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("[%s,%s]", fmtS(lo), fmtS(hi))
}

// satAdd adds without wrapping: an unbounded offset stays unbounded.
func satAdd(a, b int64) int64 {
	c, o := addOverflowS(a, b)
	if o {
		if a > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return c
}

func (a *analyzer) stackAccess(i int, st *State, base Value, off, lo, hi int64, w int, write bool, val Value) Value {
	what := "read"
	if write {
		what = "write"
	}
	if base.Frame >= len(st.Frames) {
		a.report(i, st, "stack %s through a pointer into a finished frame", what)
		return scalar(numWidth(w))
	}
	if lo < 0 || hi > StackSize-int64(w) {
		a.report(i, st, "invalid stack %s of %d bytes at stack+%s: outside the frame's [0,%d)", what, w, offsetRange(lo, hi), StackSize)
		return scalar(numWidth(w))
	}
	f := st.Frames[base.Frame]
	if a.collecting {
		a.stackUse[f.Fn] = max(a.stackUse[f.Fn], StackSize-int(lo))
	}
	mem := &f.Stack
	l, h := int(lo), int(hi)
	if write {
		if val.Kind != Scalar {
			killSegs(st, base.Frame)
		} else {
			defer func() {
				extendSegs(st, base, off, w)
				if a.collecting || a.next != nil {
					return
				}
				a.segCandidate(st, base, off, w)
			}()
		}
		if l == h {
			mem.store(l, w, val)
		} else {
			mem.storeSome(l, h, w, val.Kind == Scalar)
		}
		return Value{}
	}
	if segCovers(base, off, w) {
		// Bytes an array segment proves (segment.go): numbers, unless a
		// whole value was spilled there.
		if l == h {
			if v, _ := mem.load(l, w); v.Kind == Scalar {
				v.Num = truncWidth(v.Num, w)
				return v
			}
		}
		return scalar(numWidth(w))
	}
	if l == h {
		v, bad := mem.load(l, w)
		if bad >= 0 {
			a.report(i, st, "read of uninitialized stack: %d bytes at stack+%d, byte stack+%d never written", w, l, bad)
			return scalar(numWidth(w))
		}
		if v.Kind == Scalar {
			v.Num = truncWidth(v.Num, w)
		}
		if w == 8 && v.ID == 0 && (v.Kind == Scalar || v.Kind == Packet) && !v.Num.IsConst() {
			// The register and the spilled value stay related, as
			// moved copies do.
			v.ID, v.Delta = st.freshID(i), 0
			for c := range mem.Cells {
				if mem.Cells[c].Off == l && mem.Cells[c].Size == 8 {
					mem.Cells[c].V.ID, mem.Cells[c].V.Delta = v.ID, 0
				}
			}
		}
		return v
	}
	allNum := true
	for k := l; k < h+w; k++ {
		switch mem.Tags[k] {
		case byteUninit:
			a.report(i, st, "read of uninitialized stack: %d bytes at stack+%s, byte stack+%d may be unwritten", w, offsetRange(lo, hi), k)
			return scalar(numWidth(w))
		case byteOther:
			allNum = false
		}
	}
	if !allNum {
		return unknown()
	}
	return scalar(numWidth(w))
}

func (a *analyzer) ctxAccess(i int, st *State, base Value, off int64, w int, write bool, val Value) Value {
	what := "read"
	if write {
		what = "write"
	}
	if !base.Num.IsConst() {
		a.report(i, st, "context %s at a variable offset ctx+%s", what, offsetRange(base.Num.SMin, base.Num.SMax))
		return scalar(numWidth(w))
	}
	o := int64(base.Num.UMin) + off
	for _, f := range a.pt.Context.Fields {
		if o < int64(f.Offset) || o+int64(w) > int64(f.Offset+f.Size) {
			continue
		}
		switch f.Kind {
		case platform.FieldScalar:
			if write && !f.Writable {
				a.report(i, st, "write to read-only context field %s (ctx+%d)", f.Name, o)
			} else if write && val.Kind != Scalar {
				a.report(i, st, "%s stored into context field %s: only numbers can be stored to the context (pointer leak)", val, f.Name)
			}
			return scalar(numWidth(w))
		default:
			if write {
				a.report(i, st, "cannot write to context pointer field %s (ctx+%d)", f.Name, o)
				return Value{}
			}
			if o != int64(f.Offset) || w != f.Size {
				a.report(i, st, "context pointer field %s must be read whole: %d bytes at ctx+%d", f.Name, w, o)
				return scalar(numWidth(w))
			}
			kind := map[platform.FieldKind]Kind{platform.FieldPacket: Packet, platform.FieldPacketEnd: PacketEnd, platform.FieldPacketMeta: PacketMeta}[f.Kind]
			return Value{Kind: kind, Num: NumConst(0), Range: noRange}
		}
	}
	a.report(i, st, "invalid context %s of %d bytes at ctx+%d: no field of %s's %d-byte context is there", what, w, o, a.pt.Name, a.pt.Context.Size)
	return scalar(numWidth(w))
}

// The lddw source kinds that name a map by its index in the object's map
// table (BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE), which cilium/ebpf
// does not name.
const (
	pseudoMapIdx      = asm.Register(5)
	pseudoMapIdxValue = asm.Register(6)
)
