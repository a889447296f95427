package verifier

import "math"

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
			if segApplies(l) && (!g.segOK || g.seg == nil || *g.seg != *l.seg) {
				return false
			}
		}
	}
	return true
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
		return a.applySegs(info, out, in)
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
		return a.applySegs(info, out, in)
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
	return a.applySegs(info, out, in)
}

// ivValue returns a pointer to the value at loc in st's top frame.
func ivValue(st *State, loc location) *Value {
	f := st.top()
	if loc < 11 {
		return &f.Regs[loc]
	}
	for c := range f.Stack.Cells {
		if f.Stack.Cells[c].Off == int(loc)-11 {
			return &f.Stack.Cells[c].V
		}
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
