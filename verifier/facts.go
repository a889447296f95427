package verifier

import "math"

// Facts are what the verifier proved about each instruction of a program,
// joined over every path and calling context that reaches it: the input
// of later stages (ssa drops division-by-zero guards and zero extensions
// these facts make dead). Every fact is about the state *before* the
// instruction runs.
type Facts struct {
	insns []insnFacts
}

type insnFacts struct {
	reached bool
	regs    [11]regFact
}

type regFact struct {
	kind Kind
	num  Num
	null bool
}

func newFacts(n int) *Facts { return &Facts{insns: make([]insnFacts, n)} }

// record joins the top frame of st into instruction i's facts.
func (f *Facts) record(i int, st *State) {
	fi := &f.insns[i]
	regs := &st.top().Regs
	if !fi.reached {
		fi.reached = true
		for r, v := range regs {
			fi.regs[r] = regFact{kind: v.Kind, num: v.Num, null: v.Null}
		}
		return
	}
	for r, v := range regs {
		old := &fi.regs[r]
		switch {
		case old.kind == Uninit:
		case v.Kind != old.kind:
			old.kind = Uninit
		default:
			old.num = old.num.Join(v.Num)
			old.null = old.null || v.Null
		}
	}
}

// Reached reports whether instruction insn is reachable at all.
func (f *Facts) Reached(insn int) bool {
	return insn >= 0 && insn < len(f.insns) && f.insns[insn].reached
}

func (f *Facts) reg(insn, reg int) (regFact, bool) {
	if !f.Reached(insn) || reg < 0 || reg > 10 {
		return regFact{}, false
	}
	return f.insns[insn].regs[reg], true
}

// Range returns the proven range of register reg, a number, before insn.
// ok is false if the register may hold something other than a number.
func (f *Facts) Range(insn, reg int) (r Num, ok bool) {
	rf, ok := f.reg(insn, reg)
	if !ok || rf.kind != Scalar {
		return NumTop, false
	}
	return rf.num, true
}

// NonZero reports whether register reg is proven a non-zero number (a
// divisor whose guard is dead) or a non-null pointer before insn.
func (f *Facts) NonZero(insn, reg int) bool {
	rf, ok := f.reg(insn, reg)
	if !ok {
		return false
	}
	switch rf.kind {
	case Scalar:
		return !rf.num.Contains(0)
	case Ctx, Stack, Packet, PacketEnd, PacketMeta, MapPtr:
		return true
	case Shared:
		return !rf.null
	}
	return false
}

// NonZero32 is NonZero for the low 32 bits (a 32-bit divisor).
func (f *Facts) NonZero32(insn, reg int) bool {
	r, ok := f.Range(insn, reg)
	return ok && !r.trunc32().Contains(0)
}

// NonNull reports whether register reg is proven a non-null pointer.
func (f *Facts) NonNull(insn, reg int) bool {
	rf, ok := f.reg(insn, reg)
	return ok && rf.kind.isPointer() && f.NonZero(insn, reg)
}

// Fits32 reports whether register reg is proven a number whose upper 32
// bits are zero before insn, so zero-extending it is a no-op.
func (f *Facts) Fits32(insn, reg int) bool {
	r, ok := f.Range(insn, reg)
	return ok && r.UMax <= math.MaxUint32
}

// Kind returns the type register reg is proven to have before insn, or
// Uninit if it is not one type on every path.
func (f *Facts) Kind(insn, reg int) Kind {
	rf, _ := f.reg(insn, reg)
	return rf.kind
}
