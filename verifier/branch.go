package verifier

import (
	"math"

	"github.com/cilium/ebpf/asm"
)

// cond is a comparison that holds on one side of a branch.
type cond int

const (
	cEQ cond = iota
	cNE
	cGT
	cGE
	cLT
	cLE
	cSGT
	cSGE
	cSLT
	cSLE
	cSET
	cNSET
)

var condOf = map[asm.JumpOp]cond{asm.JEq: cEQ, asm.JNE: cNE, asm.JGT: cGT, asm.JGE: cGE, asm.JLT: cLT,
	asm.JLE: cLE, asm.JSGT: cSGT, asm.JSGE: cSGE, asm.JSLT: cSLT, asm.JSLE: cSLE, asm.JSet: cSET}

func (c cond) negate() cond {
	return [...]cond{cNE, cEQ, cLE, cLT, cGE, cGT, cSLE, cSLT, cSGE, cSGT, cNSET, cSET}[c]
}

// swap gives the condition with operands exchanged.
func (c cond) swap() cond {
	return [...]cond{cEQ, cNE, cLT, cLE, cGT, cGE, cSLT, cSLE, cSGT, cSGE, cSET, cNSET}[c]
}

func (c cond) signed() bool { return c >= cSGT && c <= cSLE }

// refine narrows a and b to the values for which "a c b" holds; ok is
// false if none do.
func refine(c cond, a, b Num) (Num, Num, bool) {
	ok := true
	switch c {
	case cEQ:
		m, ok := a.Meet(b)
		return m, m, ok
	case cNE:
		if a.IsConst() && b.IsConst() {
			return a, b, a.UMin != b.UMin
		}
		if b.IsConst() {
			a, ok = excludeEnds(a, b.UMin)
		} else if a.IsConst() {
			b, ok = excludeEnds(b, a.UMin)
		}
		return a, b, ok
	case cGT, cGE, cSGT, cSGE:
		b, a, ok = refine(c.swap(), b, a)
		return a, b, ok
	case cLT:
		if b.UMax == 0 || a.UMin == math.MaxUint64 {
			return a, b, false
		}
		if a, ok = a.meetU(0, b.UMax-1); !ok {
			return a, b, false
		}
		b, ok = b.meetU(a.UMin+1, math.MaxUint64)
	case cLE:
		if a, ok = a.meetU(0, b.UMax); !ok {
			return a, b, false
		}
		b, ok = b.meetU(a.UMin, math.MaxUint64)
	case cSLT:
		if b.SMax == math.MinInt64 || a.SMin == math.MaxInt64 {
			return a, b, false
		}
		if a, ok = a.meetS(math.MinInt64, b.SMax-1); !ok {
			return a, b, false
		}
		b, ok = b.meetS(a.SMin+1, math.MaxInt64)
	case cSLE:
		if a, ok = a.meetS(math.MinInt64, b.SMax); !ok {
			return a, b, false
		}
		b, ok = b.meetS(a.SMin, math.MaxInt64)
	case cSET:
		if (a.T.Value|a.T.Mask)&(b.T.Value|b.T.Mask) == 0 {
			return a, b, false
		}
		if b.IsConst() && b.UMin&(b.UMin-1) == 0 {
			// A single tested bit is known set.
			a.T = Tnum{a.T.Value | b.UMin, a.T.Mask &^ b.UMin}
			a, ok = a.sync()
		}
	case cNSET:
		if a.T.Value&b.T.Value != 0 {
			return a, b, false
		}
		if b.IsConst() {
			a.T.Mask &^= b.UMin
			a, ok = a.sync()
		}
	}
	return a, b, ok
}

// excludeEnds removes v from n where v is one of n's bounds.
func excludeEnds(n Num, v uint64) (Num, bool) {
	if n.UMin == v {
		if v == math.MaxUint64 {
			return n, false
		}
		n.UMin++
	}
	if n.UMax == v {
		if v == 0 {
			return n, false
		}
		n.UMax--
	}
	if n.SMin == int64(v) {
		if int64(v) == math.MaxInt64 {
			return n, false
		}
		n.SMin++
	}
	if n.SMax == int64(v) {
		if int64(v) == math.MinInt64 {
			return n, false
		}
		n.SMax--
	}
	return n.sync()
}

// branch splits st into the fall-through and the taken state of the
// conditional jump at i; a nil state is an infeasible side.
func (a *analyzer) branch(i int, st *State) (fall, taken *State) {
	ins := &a.prog.Insns[i]
	c := condOf[ins.OpCode.JumpOp()]
	is32 := ins.OpCode.Class() == asm.Jump32Class
	d := a.use(i, st, ins.Dst)
	var s Value
	if ins.OpCode.Source() == asm.RegSource {
		s = a.use(i, st, ins.Src)
	} else {
		s = scalar(NumConst(uint64(ins.Constant)))
		if is32 {
			s = scalar(NumConst(uint64(uint32(ins.Constant))))
		}
	}
	hasSrc := ins.OpCode.Source() == asm.RegSource
	taken = a.assumeRegs(st.clone(), c, ins.Dst, ins.Src, hasSrc, d, s, is32)
	fall = a.assumeRegs(st, c.negate(), ins.Dst, ins.Src, hasSrc, d, s, is32)
	return fall, taken
}

// assumeRegs narrows st to where "d c s" holds, d and s being the values
// of registers dst and (if hasSrc) src of the top frame; it returns nil if
// the condition cannot hold.
func (a *analyzer) assumeRegs(st *State, c cond, dst, src asm.Register, hasSrc bool, d, s Value, is32 bool) *State {
	switch {
	case d.Kind == Scalar && s.Kind == Scalar:
		if is32 {
			a32, b32 := d.Num.trunc32(), s.Num.trunc32()
			if c.signed() {
				a32, b32 = a32.sext(4), b32.sext(4)
			}
			if _, _, ok := refine(c, a32, b32); !ok {
				return nil
			}
			fits := d.Num.UMax <= math.MaxUint32 && s.Num.UMax <= math.MaxUint32
			if c.signed() {
				fits = d.Num.UMax <= math.MaxInt32 && s.Num.UMax <= math.MaxInt32
			}
			if !fits {
				return st
			}
		}
		nd, ns, ok := refine(c, d.Num, s.Num)
		if !ok {
			return nil
		}
		setNum(st, dst, nd)
		if hasSrc {
			setNum(st, src, ns)
			relateToLength(st, c, d, s)
			relateToLength(st, c.swap(), s, d)
		}
		return st
	case is32:
		return st
	case d.Kind == Scalar && s.Kind != Scalar:
		return a.assumeRegs(st, c.swap(), src, dst, hasSrc, s, d, is32)
	}
	// d is not a number. Against 0, an unsigned comparison is a null test.
	if s.Kind == Scalar && s.Num.IsConst() && s.Num.UMin == 0 {
		switch c {
		case cEQ, cLE:
			return assumeNull(st, dst, d, true)
		case cNE, cGT:
			return assumeNull(st, dst, d, false)
		case cLT:
			return nil
		}
	}
	switch {
	case d.Kind == Packet && s.Kind == PacketEnd:
		return a.assumePacket(st, dst, d, s, c)
	case d.Kind == PacketEnd && s.Kind == Packet && hasSrc:
		return a.assumePacket(st, src, s, d, c.swap())
	case d.Kind == PacketMeta && s.Kind == Packet:
		return assumeMeta(st, d, s, c)
	case d.Kind == Packet && s.Kind == PacketMeta:
		return assumeMeta(st, s, d, c.swap())
	}
	return st
}

// setNum sets register r's number, and narrows that of every value
// related to it: scalars equal up to the difference of their Deltas, and
// packet pointers whose offset is the same quantity plus their Delta
// (both modulo 2^64).
func setNum(st *State, r asm.Register, n Num) {
	v := &st.top().Regs[r]
	if v.ID != 0 {
		narrowRelated(st, v.ID, v.Delta, n)
	}
	v.Num = n
}

// narrowRelated narrows every scalar and packet pointer with relation ID
// id, knowing that the quantity with Delta delta is n.
func narrowRelated(st *State, id int32, delta int64, n Num) {
	st.forEachValue(func(w *Value) {
		if (w.Kind == Scalar || w.Kind == Packet) && w.ID == id {
			shifted := n
			if w.Delta != delta {
				shifted = numAdd(n, NumConst(uint64(w.Delta-delta)))
			}
			if m, ok := w.Num.Meet(shifted); ok {
				w.Num = m
			}
		}
	})
}

// relateToLength applies "x c l" to a scalar x with relation ID X and a
// scalar l equal to the packet's length plus l.Delta (c is <, <= or ==,
// or their signed forms): every packet pointer data + Y_X + e then has
// x.Delta - l.Delta + strict - e bytes before data_end (State.PktRel).
// Both sides must be small non-negative numbers, so that the comparison
// of 64-bit values is one of integers.
func relateToLength(st *State, c cond, x, l Value) {
	var strict int64
	switch c {
	case cLE, cEQ:
	case cLT:
		strict = 1
	case cSLE:
		if x.Num.SMin < 0 {
			return
		}
	case cSLT:
		if x.Num.SMin < 0 {
			return
		}
		strict = 1
	default:
		return
	}
	if x.ID == 0 || x.ID == pktLenID || l.ID != pktLenID || l.Num.UMax >= 1<<40 ||
		x.Delta <= -1<<40 || x.Delta >= 1<<40 || l.Delta <= -1<<40 || l.Delta >= 1<<40 {
		return
	}
	st.addPktRel(x.ID, x.Delta-l.Delta+strict)
	boundRelated(st, x.ID, x.Delta, strict-l.Delta)
}

// boundRelated records, on every small scalar with relation ID id, the
// slack implied by "the quantity with Delta delta, plus slack, is at most
// the packet's length" (see Value.Bounded). A scalar w is that quantity
// plus w.Delta - delta modulo 2^64; both being below 2^40, exactly so.
func boundRelated(st *State, id int32, delta, slack int64) {
	st.forEachValue(func(w *Value) {
		if w.Kind != Scalar || w.ID != id || w.Num.UMax >= 1<<40 {
			return
		}
		s := slack - (w.Delta - delta)
		if !w.Bounded || s > w.Slack {
			w.Bounded, w.Slack = true, s
		}
	})
}

// assumeNull applies "d == 0" (isNull) or "d != 0" to a pointer: a
// nullable pointer becomes the number 0 or loses its null-ness, along with
// every copy of it; a pointer that cannot be null makes "== 0" infeasible.
func assumeNull(st *State, r asm.Register, d Value, isNull bool) *State {
	if d.Kind == Unknown {
		return st
	}
	if !(d.Kind == Shared && d.Null) {
		if isNull {
			return nil
		}
		return st
	}
	apply := func(v *Value) {
		if isNull {
			*v = scalar(NumConst(0))
		} else {
			v.Null = false
		}
	}
	if d.ID != 0 {
		id := d.ID
		st.forEachValue(func(v *Value) {
			if v.Kind == Shared && v.Null && v.ID == id {
				apply(v)
			}
		})
	}
	apply(&st.top().Regs[r])
	return st
}

// assumePacket applies "p c e" for a packet pointer p in register r and a
// packet-end pointer e. Where it proves p <= e (or p < e) the bytes before
// e become readable through p, through every pointer related to p, and
// (for the part of the offset that is certain) through PacketMin.
func (a *analyzer) assumePacket(st *State, r asm.Register, p, e Value, c cond) *State {
	var strict int64
	switch c {
	case cLE, cSLE, cEQ:
	case cLT, cSLT:
		strict = 1
	default:
		return st
	}
	if e.Num.SMax >= 1<<40 || e.Num.SMin <= -1<<40 || p.Num.SMin <= -1<<40 {
		return st
	}
	rng := strict - e.Num.SMax // p + rng <= end
	if p.Num.SMin > 0 || rng > 0 {
		st.PacketMin = max(st.PacketMin, p.Num.SMin+rng)
	}
	if v := &st.top().Regs[r]; v.Range < rng {
		v.Range = rng
	}
	if p.ID != 0 {
		st.addPktRel(p.ID, rng+p.Delta)
	}
	// A pointer proven before the end lies within the largest packet,
	// which bounds a pointer that walks the packet in a loop, and every
	// value related to it (the index it was computed from).
	if n, ok := st.top().Regs[r].Num.meetS(math.MinInt64, MaxPacketSize-rng); ok {
		st.top().Regs[r].Num = n
		if p.ID != 0 {
			narrowRelated(st, p.ID, p.Delta, n)
			if n.SMin > -1<<40 && n.SMax < 1<<40 {
				boundRelated(st, p.ID, p.Delta, rng)
			}
		}
	}
	return st
}

// assumeMeta applies "m c p" for a metadata pointer m and a packet pointer
// p: data - data_meta >= m.off - p.off where it proves m <= p.
func assumeMeta(st *State, m, p Value, c cond) *State {
	var strict int64
	switch c {
	case cLE, cSLE, cEQ:
	case cLT, cSLT:
		strict = 1
	default:
		return st
	}
	if m.Num.SMin <= -1<<40 || p.Num.SMax >= 1<<40 {
		return st
	}
	st.MetaMin = max(st.MetaMin, m.Num.SMin-p.Num.SMax+strict)
	return st
}
