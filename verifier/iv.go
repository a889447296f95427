package verifier

import (
	"math"
	"slices"
)

// Induction variables. At a loop head H every location (register or
// spilled value of the running frame) that
//
//   - enters H, on every entry edge, with one constant v0, and
//   - reaches H, on every back edge, as its own value at H plus one
//     constant s ≠ 0 (its ghost relation, termination.go),
//
// holds v0 + s·k after k iterations (mod 2^64): all such locations share
// the one iteration count k. The bound that the loop's exit test puts on
// one of them (say "i != 32" on a counter stepping by 1) thus bounds k,
// which bounds every other (a byte offset stepping by 4 alongside), and
// rounds each to its own lattice v0 + s·ℤ (so "n != 1536" ends a counter
// stepping by 12 from 0). This is the affine relation between counters
// that intervals alone lose at the join.
//
// The facts are gathered from every edge the analysis propagates, and only
// weaken (a location seen non-constant on entry, or with another step,
// stays invalid). A head's state is refined when it is read, not stored,
// so the stored states are plain joins. The refinement is sound for the
// final states if those states' own edges confirm the facts: the final
// pass re-gathers them, and if any weakened the whole analysis runs again
// (verifyProgram).

type ivLoc struct {
	kind  Kind
	entry Num
	step  int64
	bad   bool
	// noWrap records that every back edge proved its step did not wrap
	// (the head's value plus the step stays in range).
	noWrap bool
	// seenBack records that a back edge has been seen, so step is set.
	seenBack bool
	// seg is the array-segment hypothesis the loop's stores suggest
	// (segment.go), segBad marks conflicting ones. segOK records that
	// every back edge brought back the hypothesis in use (segSeen: that
	// one was seen).
	seg            *segHyp
	segBad         bool
	segOK, segSeen bool
	// form is the location's value on every entry edge as an affine
	// function of an enclosing loop's iteration count (ivPairs);
	// formSeen says an entry edge was seen, formBad that one had no form
	// or another.
	form              ivForm
	formSeen, formBad bool
}

// hasForm reports whether l moves by a known step and entered with one
// form on every entry edge.
func (l *ivLoc) hasForm() bool {
	return !l.bad && l.seenBack && l.step != 0 && l.formSeen && !l.formBad
}

// valid reports whether l is a fact: a loop invariant (step 0), or an
// induction variable (a constant entry).
func (l *ivLoc) valid() bool {
	return !l.bad && l.seenBack && (l.step == 0 || l.entry.IsConst())
}

type ivInfo struct {
	locs map[location]*ivLoc
	// flows counts the edges seen: a location first seen after the
	// first flow was missing from an earlier one.
	flows int
}

// recordIV folds one edge into the induction facts being gathered for
// loop head k; st is the state before stamping, back tells whether the
// edge comes from the loop's body.
func (a *analyzer) recordIV(k nodeKey, st *State, back bool) {
	info := a.iv[k]
	if info == nil {
		info = &ivInfo{locs: map[location]*ivLoc{}}
		a.iv[k] = info
	}
	head := a.fns[a.ctxs[k.ctx].fn].blocks[k.block].start
	f := st.top()
	present := map[location]bool{}
	visit := func(loc location, v *Value) {
		if !stampable(v) {
			return
		}
		present[loc] = true
		l := info.locs[loc]
		if l == nil {
			l = &ivLoc{kind: v.Kind, entry: v.Num, bad: info.flows > 0 || back}
			info.locs[loc] = l
			if !back {
				a.recordForm(k, l, v)
				return
			}
		}
		if l.bad {
			return
		}
		if v.Kind != l.kind {
			l.bad = true
			return
		}
		if !back {
			l.entry = l.entry.Join(v.Num)
			a.recordForm(k, l, v)
			return
		}
		if used := a.ivUse[k]; a.collecting && used != nil && segApplies(used.locs[loc]) {
			// The hypothesis in use holds again on this back edge if
			// the value carries it, ending at least where it did.
			want := segFact(used.locs[loc])
			ok := v.Seg.On && v.Seg.Frame == want.Frame && v.Seg.Lo == want.Lo && v.Seg.Base >= want.Base
			if !l.segSeen {
				l.segSeen, l.segOK = true, ok
			} else {
				l.segOK = l.segOK && ok
			}
		}
		// The change over one iteration: from the head's own ghost, or
		// from an enclosing loop's ghost that the head kept (the value at
		// the head is that ghost plus the head state's GD).
		own := v.G == ghostID(head, int(loc)) && v.GDiv == 0
		step, ok, noWrap := v.GD, own && !v.GW32, false
		if own && step != 0 {
			// Whether this edge proves that the head's value plus the
			// step did not wrap: needed for a 32-bit step to be one.
			if hs := a.in[k]; hs != nil {
				if hv, found := valueAt(hs, loc); found && hv.G == v.G && !hv.GW32 && hv.GDiv == 0 && hv.GD == 0 {
					x := headValue(st, hv)
					limit := uint64(math.MaxUint64)
					if v.GW32 {
						limit = math.MaxUint32
					}
					d := uint64(step)
					if step < 0 {
						d = uint64(-step)
					}
					noWrap = x.UMax <= limit && (step < 0 && x.UMin >= d || step > 0 && x.UMax <= limit-d)
				}
			}
			if v.GW32 {
				ok = noWrap
			}
		}
		if !ok && v.G != 0 && !v.GW32 && v.GDiv == 0 {
			if hs := a.in[k]; hs != nil {
				if hv, found := valueAt(hs, loc); found && hv.G == v.G && !hv.GW32 && hv.GDiv == 0 {
					step, ok = v.GD-hv.GD, true
				}
			}
		}
		if !ok || step <= -1<<31 || step >= 1<<31 {
			l.bad = true
			return
		}
		if !l.seenBack {
			l.seenBack, l.step, l.noWrap = true, step, noWrap
		} else if l.step != step {
			l.bad = true
		}
		l.noWrap = l.noWrap && noWrap
	}
	for r := range f.Regs {
		visit(location(r), &f.Regs[r])
	}
	for c := range f.Stack.Cells {
		visit(location(11+f.Stack.Cells[c].Off), &f.Stack.Cells[c].V)
	}
	if info.flows > 0 {
		for loc, l := range info.locs {
			if !present[loc] {
				l.bad = true
			}
		}
	}
	info.flows++
}

// ivHasFacts reports whether facts hold any fact.
func ivHasFacts(facts map[nodeKey]*ivInfo) bool {
	for _, info := range facts {
		for _, l := range info.locs {
			if l.valid() {
				return true
			}
		}
	}
	return false
}

// ivConfirms reports whether the facts gathered, got, confirm every fact
// of used: the same step, and an entry within the one used.
func ivConfirms(got, used map[nodeKey]*ivInfo) bool {
	for k, info := range used {
		for loc, l := range info.locs {
			if !l.valid() {
				if gi := got[k]; gi != nil && !formConfirmed(gi.locs[loc], l) {
					return false
				}
				continue
			}
			gi := got[k]
			if gi == nil {
				continue // the head was not reached: vacuously true
			}
			g := gi.locs[loc]
			if g == nil || !g.valid() || g.step != l.step || g.kind != l.kind || !g.entry.Leq(l.entry) || l.noWrap && !g.noWrap {
				return false
			}
			if !formConfirmed(g, l) {
				return false
			}
			if segApplies(l) && (!g.segOK || g.seg == nil || *g.seg != *l.seg) {
				return false
			}
		}
	}
	return true
}

// formConfirmed reports whether g, gathered, confirms the step and entry
// form of l, in use, where l has them.
func formConfirmed(g, l *ivLoc) bool {
	return !l.hasForm() || g != nil && g.hasForm() && g.step == l.step && g.form == l.form
}

// ivWeaker returns the facts of both a and b, each as weak as in either.
func ivWeaker(a, b map[nodeKey]*ivInfo) map[nodeKey]*ivInfo {
	r := map[nodeKey]*ivInfo{}
	for k, ia := range a {
		ri := &ivInfo{locs: map[location]*ivLoc{}}
		r[k] = ri
		ib := b[k]
		for loc, la := range ia.locs {
			l := *la
			if ib != nil {
				lb := ib.locs[loc]
				if lb == nil || lb.bad || lb.kind != l.kind || lb.seenBack && l.seenBack && lb.step != l.step {
					l.bad = true
				} else {
					if l.seg == nil || lb.seg == nil || *l.seg != *lb.seg || !lb.segOK {
						l.seg = nil
					}
					if lb.formBad || lb.formSeen && l.formSeen && lb.form != l.form {
						l.formBad = true
					} else if !l.formSeen {
						l.formSeen, l.form = lb.formSeen, lb.form
					}
					l.entry = l.entry.Join(lb.entry)
					if !l.seenBack {
						l.seenBack, l.step, l.noWrap = lb.seenBack, lb.step, lb.noWrap
					} else if lb.seenBack {
						l.noWrap = l.noWrap && lb.noWrap
					}
				}
			}
			ri.locs[loc] = &l
		}
	}
	return r
}

// refineIV returns loop head k's state in, narrowed by the facts in use
// (in itself if nothing applies).
func (a *analyzer) refineIV(k nodeKey, in *State) *State {
	info := a.ivUse[k]
	if info == nil {
		return in
	}
	type iv struct {
		loc    location
		v0     int64
		u0     uint64
		step   int64
		noWrap bool
	}
	var ivs []iv
	var out *State
	for loc, l := range info.locs {
		if !l.valid() {
			continue
		}
		v, ok := valueAt(in, loc)
		if !ok || v.Kind != l.kind {
			continue
		}
		if l.step == 0 {
			// Unchanged by every iteration: as on entry. This undoes the
			// widening of an inner loop's head by an outer loop.
			if n, ok := v.Num.Meet(l.entry); ok && n != v.Num {
				if out == nil {
					out = in.clone()
				}
				ivValue(out, loc).Num = n
			}
			continue
		}
		ivs = append(ivs, iv{loc, int64(l.entry.UMin), l.entry.UMin, l.step, l.noWrap})
	}
	if out == nil {
		out = in
	}
	if len(ivs) == 0 {
		return a.applySegs(info, refinePairs(info, out, in), in)
	}
	// The iteration count k lies in [kmin, kmax]: each location's range
	// at the head bounds it, where the walk provably never wraps.
	kmin, kmax := uint64(0), uint64(math.MaxUint32)
	for _, x := range ivs {
		v, _ := valueAt(out, x.loc)
		n := v.Num
		if x.step > 0 {
			s := uint64(x.step)
			if n.UMax < x.u0 || n.UMax > math.MaxUint64-s && !x.noWrap {
				continue
			}
			kmax = min(kmax, (n.UMax-x.u0)/s)
			if n.UMin > x.u0 {
				kmin = max(kmin, (n.UMin-x.u0+s-1)/s)
			}
		} else {
			s := uint64(-x.step)
			if n.UMin > x.u0 || n.UMin < s && !x.noWrap {
				continue
			}
			kmax = min(kmax, (x.u0-n.UMin)/s)
			if n.UMax < x.u0 {
				kmin = max(kmin, (x.u0-n.UMax+s-1)/s)
			}
		}
	}
	if kmax == math.MaxUint32 || kmin > kmax {
		return a.applySegs(info, refinePairs(info, out, in), in)
	}
	if out == in {
		out = in.clone()
	}
	for _, x := range ivs {
		lo, o1 := addOverflowS(x.v0, x.step*int64(kmin))
		hi, o2 := addOverflowS(x.v0, x.step*int64(kmax))
		if o1 || o2 {
			continue
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		v := ivValue(out, x.loc)
		if n, ok := v.Num.meetS(lo, hi); ok {
			v.Num = n
		}
	}
	return a.applySegs(info, refinePairs(info, out, in), in)
}

// ivValue returns a pointer to the value at loc in st's top frame.
func ivValue(st *State, loc location) *Value {
	f := st.top()
	if loc < 11 {
		return &f.Regs[loc]
	}
	if k := f.Stack.cellAt(int(loc) - 11); k >= 0 {
		return &f.Stack.Cells[k].V
	}
	panic("BUG: no value at location")
}

// applySegs gives each induction variable of info with a segment
// hypothesis its fact (segment.go) in out, the refined head state (in,
// the stored one, if nothing was refined).
func (a *analyzer) applySegs(info *ivInfo, out, in *State) *State {
	for loc, l := range info.locs {
		if !segApplies(l) || l.seg.Frame >= len(out.Frames) {
			continue
		}
		v, ok := valueAt(out, loc)
		if !ok || v.Kind != l.kind {
			continue
		}
		f := segFact(l)
		if v.Seg == f {
			continue
		}
		if _, _, ok := segRange(v); !ok {
			continue
		}
		if out == in {
			out = in.clone()
		}
		ivValue(out, loc).Seg = f
	}
	return out
}

// Pairs of induction variables. An inner loop often starts its counters
// from an outer loop's (j = i; p = &a[i]; while (j--) *--p ...): their
// entries are not constants, so the iteration count does not bound them,
// but two that step in proportion, t_a = q·t_b, keep a - q·b unchanged by
// every iteration. That difference is a constant when their entries are
// affine in one enclosing loop's iteration count k, C + S·k, with the
// same proportion, S_a = q·S_b: an entry value carries the ghost of an
// outer head location whose induction fact (constant entry v0, step s)
// makes it v0 + s·k + GD, or is a constant. Then a = q·b + C_a - q·C_b
// (mod 2^64, and exactly where both sides are small), so each range
// bounds the other at the head.

// ivForm is C + S·k(Outer), or the constant C where S is 0.
type ivForm struct {
	Outer int
	S, C  int64
}

// formLimit bounds the constants and values a pair relation is used on,
// so that q·b + C never wraps.
const formLimit = 1 << 40

// recordForm folds entry value v of location l of loop head k into l's
// form.
func (a *analyzer) recordForm(k nodeKey, l *ivLoc, v *Value) {
	f, ok := a.entryForm(k, v)
	switch {
	case !ok:
		l.formBad = true
	case !l.formSeen:
		l.formSeen, l.form = true, f
	case l.form != f:
		l.formBad = true
	}
}

// entryForm is v, on an edge entering loop head k, as an affine function
// of an enclosing loop's count.
func (a *analyzer) entryForm(k nodeKey, v *Value) (ivForm, bool) {
	small := func(x int64) bool { return x > -formLimit && x < formLimit }
	constant := func() (ivForm, bool) {
		c := int64(v.Num.UMin)
		return ivForm{Outer: -1, C: c}, v.Num.IsConst() && small(c)
	}
	if !isGhost(v.G) || v.GW32 || v.GDiv != 0 || !small(v.GD) {
		return constant()
	}
	// An entry carrying an outer ghost is described by the outer count
	// even while it is a constant (on the outer loop's first iteration),
	// so that later iterations describe it alike.
	f := &a.fns[a.ctxs[k.ctx].fn]
	outer, ok := f.blockAt[ghostHead(v.G)]
	if !ok || outer == k.block || !f.blocks[outer].loopHead || !f.inLoop(outer, k.block) {
		return constant()
	}
	info := a.ivUse[nodeKey{k.ctx, outer}]
	if info == nil {
		return constant()
	}
	l := info.locs[ghostLoc(v.G)]
	if l == nil || !l.valid() || l.kind != v.Kind || !small(int64(l.entry.UMin)) {
		return constant()
	}
	return ivForm{Outer: outer, S: l.step, C: int64(l.entry.UMin) + v.GD}, true
}

// refinePairs narrows, in out (a refined copy of in, or in itself), each
// induction variable by every other it keeps a constant difference with.
func refinePairs(info *ivInfo, out, in *State) *State {
	var locs []location
	for loc, l := range info.locs {
		if l.hasForm() {
			locs = append(locs, loc)
		}
	}
	slices.Sort(locs)
	for _, la := range locs {
		for _, lb := range locs {
			fa, fb := info.locs[la], info.locs[lb]
			if la == lb || fa.step%fb.step != 0 {
				continue
			}
			q := fa.step / fb.step
			if fa.form.S != q*fb.form.S || fa.form.S != 0 && fa.form.Outer != fb.form.Outer {
				continue
			}
			c := fa.form.C - q*fb.form.C
			va, ok1 := valueAt(out, la)
			vb, ok2 := valueAt(out, lb)
			if !ok1 || !ok2 || va.Kind != fa.kind || vb.Kind != fb.kind {
				continue
			}
			lo, hi, ok := smallRange(vb)
			if !ok {
				continue
			}
			lo, hi = q*lo+c, q*hi+c
			if q < 0 {
				lo, hi = hi, lo
			}
			n, ok := va.Num.meetS(lo, hi)
			if !ok || n == va.Num {
				continue
			}
			if out == in {
				out = in.clone()
			}
			ivValue(out, la).Num = n
		}
	}
	return out
}

// smallRange is v's value (a number, or a pointer's offset) as a signed
// range within ±formLimit.
func smallRange(v Value) (lo, hi int64, ok bool) {
	if v.Kind == Scalar {
		if v.Num.UMax < formLimit {
			return int64(v.Num.UMin), int64(v.Num.UMax), true
		}
		return 0, 0, false
	}
	if v.Num.SMin > -formLimit && v.Num.SMax < formLimit {
		return v.Num.SMin, v.Num.SMax, true
	}
	return 0, 0, false
}
