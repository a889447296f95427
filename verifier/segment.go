package verifier

// Array segments. A loop that writes a[i] for i = 0, 1, ... initialises a
// prefix of a stack array whose end moves with the loop's counter, which
// one tag per byte cannot say: the tags of a[i..] are uninitialised on the
// path that leaves the loop early, and on the head's join of the first
// iteration with later ones. So a value may carry a segment fact (Seg):
//
//	the stack bytes [Seg.Lo, Seg.Base + v) of frame Seg.Frame hold numbers,
//
// v being the value itself (a counter, or a stack pointer's offset). The
// fact moves with the value: a copy (register move, spill, fill) keeps it;
// adding a constant c, which cannot wrap (both ranges below 2^40), keeps it
// with Base - c; a stack pointer at a constant offset plus a counter that
// carries it carries it too, shifted. A number stored through a pointer
// whose offset is a loop-head location's value plus a constant (its ghost,
// termination.go) extends the fact of every value related to that
// location by the same ghost, where the write starts at or before the
// fact's end: it is contiguous. A store of anything but a number into a
// frame ends that frame's facts; returning from a frame ends the facts
// about it.
//
// A fact is used three ways: a read through a pointer carrying it needs
// no tags where the fact covers it ([o+off, o+off+w) within [Lo, Base+o)
// for every offset o: o+off >= Lo and off+w <= Base); where the value's
// minimum is known, the bytes [Lo, Base + min) are initialised outright
// (State tags, at every edge: after "i == 300" the whole array is); and a
// join keeps a fact that one side carries and the other side's tags prove.
//
// Loop heads get facts from the induction variables (iv.go): a location
// with a constant entry v0 and a positive step s, through which (plus a
// constant g) the loop stores w >= s bytes of a number, is hypothesised to
// carry [v0 + g, g + v) at the head. On entry the segment is empty; each
// back edge must bring the fact back (the transfer above proves it: the
// store extends it by w, the step moves it by s), or the hypothesis is
// withdrawn and the analysis runs again without it (verifyProgram).
type seg struct {
	On       bool
	Frame    int
	Lo, Base int64
}

// segLimit bounds the values and offsets a segment fact is kept on, so
// that adding constants to them never wraps.
const segLimit = 1 << 40

// segRange is v's value (a number, or a stack pointer's offset) as a
// signed range, and whether it is small enough to carry a segment fact.
func segRange(v Value) (lo, hi int64, ok bool) {
	switch v.Kind {
	case Scalar:
		if v.Num.UMax < segLimit {
			return int64(v.Num.UMin), int64(v.Num.UMax), true
		}
	case Stack:
		if v.Num.SMin > -segLimit && v.Num.SMax < segLimit {
			return v.Num.SMin, v.Num.SMax, true
		}
	}
	return 0, 0, false
}

// shiftSeg returns r (the result of adding c to d) with d's fact moved
// by c, or with none where d has none or the move may wrap.
func shiftSeg(d, r Value, c int64) seg {
	if !d.Seg.On || c <= -segLimit || c >= segLimit {
		return seg{}
	}
	if _, _, ok := segRange(d); !ok {
		return seg{}
	}
	if _, _, ok := segRange(r); !ok {
		return seg{}
	}
	s := d.Seg
	s.Base -= c
	return s
}

// segProven reports whether frame s.Frame of st holds numbers in every
// byte [s.Lo, s.Base + max) for every value v may have: whether st proves
// the fact s about v from its tags alone.
func segProven(st *State, s seg, v Value) bool {
	_, hi, ok := segRange(v)
	if !ok || s.Frame >= len(st.Frames) {
		return false
	}
	end := s.Base + hi
	if end <= s.Lo {
		return true
	}
	if s.Lo < 0 || end > StackSize {
		return false
	}
	tags := &st.Frames[s.Frame].Stack.Tags
	for k := s.Lo; k < end; k++ {
		if tags[k] != byteScalar {
			return false
		}
	}
	return true
}

// segCovers reports whether base's fact proves the w bytes at base+off,
// for every offset base may have, to be numbers.
func segCovers(base Value, off int64, w int) bool {
	if !base.Seg.On || base.Kind != Stack || base.Seg.Frame != base.Frame {
		return false
	}
	lo, _, ok := segRange(base)
	return ok && lo+off >= base.Seg.Lo && off+int64(w) <= base.Seg.Base
}

// materializeSegs initialises the bytes every fact of st proves for its
// value's minimum.
func materializeSegs(st *State) {
	st.forEachValue(func(v *Value) {
		if !v.Seg.On || v.Seg.Frame >= len(st.Frames) {
			return
		}
		lo, _, ok := segRange(*v)
		if !ok {
			return
		}
		from, to := max(v.Seg.Lo, 0), min(v.Seg.Base+lo, StackSize)
		tags := &st.Frames[v.Seg.Frame].Stack.Tags
		for k := from; k < to; k++ {
			if tags[k] == byteUninit {
				tags[k] = byteScalar
			}
		}
	})
}

// killSegs ends every fact about frame f (something other than a number
// may have been stored into it).
func killSegs(st *State, f int) {
	st.forEachValue(func(v *Value) {
		if v.Seg.On && v.Seg.Frame == f {
			v.Seg = seg{}
		}
	})
}

// dropSegsFrom ends every fact about frames f and above (they returned).
func dropSegsFrom(st *State, f int) {
	st.forEachValue(func(v *Value) {
		if v.Seg.On && v.Seg.Frame >= f {
			v.Seg = seg{}
		}
	})
}

// extendSegs applies a store of w bytes of a number through stack pointer
// p, at p + off, to the facts of the values p's ghost relates it to: the
// write covers [x + g, x + g + w) where x is the ghost's value and
// g = p.GD + off, and a value u = x + u.GD whose fact ends at or after
// x + g now ends at x + g + w at least.
func extendSegs(st *State, p Value, off int64, w int) {
	if p.G == 0 || p.GW32 || p.GDiv != 0 || p.Kind != Stack {
		return
	}
	g := p.GD + off
	if g <= -segLimit || g >= segLimit {
		return
	}
	// Only the running frame's values are restamped at its loop heads, so
	// only theirs are sure to relate to this iteration's ghost.
	forEachTopValue(st, func(u *Value) {
		if !u.Seg.On || u.Seg.Frame != p.Frame || u.G != p.G || u.GW32 || u.GDiv != 0 ||
			u.GD <= -segLimit || u.GD >= segLimit {
			return
		}
		if _, _, ok := segRange(*u); !ok {
			return
		}
		if u.Seg.Base+u.GD >= g {
			u.Seg.Base = max(u.Seg.Base, g+int64(w)-u.GD)
		}
	})
}

// joinSeg is the fact the join of a (in state sa) and b (in sb) carries,
// r being the joined value.
func joinSeg(r, a, b Value, sa, sb *State, widen bool) seg {
	if r.Kind != Scalar && r.Kind != Stack {
		return seg{}
	}
	if _, _, ok := segRange(r); !ok {
		return seg{}
	}
	switch {
	case a.Seg == b.Seg:
		return a.Seg
	case a.Seg.On && b.Seg.On && a.Seg.Frame == b.Seg.Frame && a.Seg.Lo == b.Seg.Lo && !widen:
		s := a.Seg
		s.Base = min(a.Seg.Base, b.Seg.Base)
		return s
	case a.Seg.On && segProven(sb, a.Seg, b):
		return a.Seg
	case b.Seg.On && segProven(sa, b.Seg, a):
		return b.Seg
	}
	return seg{}
}

// segLeq reports whether value a of state sa carries (or sa proves)
// every fact b carries.
func segLeq(a, b Value, sa *State) bool {
	if !b.Seg.On || a.Seg == b.Seg {
		return true
	}
	if a.Seg.On && a.Seg.Frame == b.Seg.Frame && a.Seg.Lo == b.Seg.Lo && a.Seg.Base >= b.Seg.Base {
		return true
	}
	return segProven(sa, b.Seg, a)
}

// hasSegs reports whether any value of st carries a segment fact.
func hasSegs(st *State) bool {
	found := false
	st.forEachValue(func(v *Value) { found = found || v.Seg.On })
	return found
}

// forEachTopValue calls fn on every register and spilled value of st's
// running frame.
func forEachTopValue(st *State, fn func(v *Value)) {
	f := st.top()
	for r := range f.Regs {
		fn(&f.Regs[r])
	}
	for i := range f.Stack.Cells {
		fn(&f.Stack.Cells[i].V)
	}
}

// segHyp is a segment hypothesis for an induction variable L at a loop
// head: the loop stores w bytes of a number at frame Frame's offset
// L + G, so [v0 + G, G + L) holds numbers at the head (see the top of
// this file).
type segHyp struct {
	Frame int
	G     int64
	W     int
}

type segKey struct {
	head nodeKey
	loc  location
}

// segCandidate records the store of w bytes of a number at stack pointer
// p + off as a segment hypothesis for the loop-head location p's ghost
// names, in the facts being gathered.
func (a *analyzer) segCandidate(st *State, p Value, off int64, w int) {
	if p.G == 0 || !isGhost(p.G) || p.GW32 || p.GDiv != 0 || p.Frame != len(st.Frames)-1 {
		return
	}
	head := ghostHead(p.G)
	loc := location((ghostBase - int(p.G)) % 1024)
	f := &a.fns[a.ctxs[a.cur.ctx].fn]
	blk, ok := f.blockAt[head]
	if !ok || !f.blocks[blk].loopHead {
		return
	}
	k := segKey{nodeKey{a.cur.ctx, blk}, loc}
	if a.segFailed[k] {
		return
	}
	info := a.iv[k.head]
	if info == nil {
		return
	}
	l := info.locs[loc]
	if l == nil || l.segBad {
		return
	}
	h := &segHyp{Frame: p.Frame, G: p.GD + off, W: w}
	switch {
	case l.seg == nil:
		l.seg = h
	case *l.seg != *h:
		l.seg, l.segBad = nil, true
	}
}

// segApplies reports whether l's segment hypothesis can be used: l is an
// induction variable with a constant entry and a positive step that each
// iteration's store covers.
func segApplies(l *ivLoc) bool {
	return l != nil && l.seg != nil && !l.segBad && l.valid() && l.step > 0 && int64(l.seg.W) >= l.step &&
		l.entry.IsConst() && l.entry.UMax < segLimit
}

// segFact is the fact l's hypothesis gives its location at the head.
func segFact(l *ivLoc) seg {
	return seg{On: true, Frame: l.seg.Frame, Lo: int64(l.entry.UMin) + l.seg.G, Base: l.seg.G}
}

// segRefuted records, after a round, every segment hypothesis the round
// used that the final pass's back edges did not confirm, and reports
// whether there was one.
func (a *analyzer) segRefuted() bool {
	refuted := false
	for k, info := range a.ivUse {
		for loc, l := range info.locs {
			if !segApplies(l) {
				continue
			}
			if g := a.iv[k]; g != nil {
				if gl := g.locs[loc]; gl != nil && gl.segOK {
					continue
				}
			} else {
				continue // not reached: vacuously confirmed
			}
			a.segFailed[segKey{k, loc}] = true
			refuted = true
		}
	}
	return refuted
}
