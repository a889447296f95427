package verifier

import "math"

// Termination (Options.CheckTermination) is proven per loop head H with a
// ranking argument that the abstract states already carry:
//
//   - Every value entering H (registers and spilled cells of the running
//     frame) is stamped with a ghost (Value.G) naming (H, location), GD 0.
//     Adding constants keeps the ghost and accumulates GD, so a value
//     that reaches a back edge with H's ghost and GD d is provably "its
//     value at H, plus d" (mod 2^64; with GW32, mod 2^32, which is exact
//     where the back edge proves the head's value plus d in [0, 2^32);
//     with GDiv, the value at H divided by GDiv).
//   - H's state, a fixpoint, bounds that location over every iteration:
//     [lo, hi] unsigned.
//   - If on every back edge the same location has H's ghost and moves in
//     one direction (GD of one sign, proven not to wrap; or a division of
//     a value proven positive), then the location moves strictly
//     monotonically within [lo, hi], so the loop runs at most
//     (hi-lo)/|d|+1 times (log(hi) times for divisions); that must not
//     exceed Limits.LoopIterations.
//
// Back edges are those of natural loops (loops.go); a cycle with several
// entries has no head that all its iterations pass, and is rejected.
// Ghosts of the heads of enclosing loops are kept (not restamped) in the
// registers the inner loop never writes and in stack cells, so an outer
// loop's counter survives an inner loop that does not touch it. A register
// the inner loop writes gets the inner ghost whatever it carried: the
// outer one would not survive the join with the back edge anyway, and the
// inner loop's own counter (j = i; while (j--) ...) needs the inner one.

const ghostBase = -(1 << 24)

func ghostID(head, key int) int32 { return int32(ghostBase - head*1024 - key) }

func isGhost(id int32) bool { return id <= ghostBase }

func ghostHead(id int32) int { return int((ghostBase - int(id)) / 1024) }

// ghostLoc is the location whose value at its head ghost id names.
func ghostLoc(id int32) location { return location((ghostBase - int(id)) % 1024) }

// stamp gives the scalars entering loop head k their ghost IDs.
func (a *analyzer) stamp(k nodeKey, st *State) {
	fn := a.ctxs[k.ctx].fn
	head := a.fns[fn].blocks[k.block].start
	written := a.fns[fn].loopWrites[k.block]
	keep := func(id int32) bool {
		if !isGhost(id) {
			return false
		}
		h := ghostHead(id)
		return h != head && a.fns[fn].inLoop(a.fns[fn].blockAt[h], k.block)
	}
	f := st.top()
	for r := range f.Regs {
		if v := &f.Regs[r]; stampable(v) && (written&(1<<r) != 0 || !keep(v.G)) {
			v.G, v.GD, v.GW32, v.GDiv = ghostID(head, r), 0, false, 0
		}
	}
	for c := range f.Stack.Cells {
		if v := &f.Stack.Cells[c].V; stampable(v) && !keep(v.G) {
			v.G, v.GD, v.GW32, v.GDiv = ghostID(head, 11+f.Stack.Cells[c].Off), 0, false, 0
		}
	}
}

// stampable values are those whose progress a ghost ID can measure:
// numbers and pointers that move by constants (not nullable ones, whose ID
// says which are null together).
func stampable(v *Value) bool {
	switch v.Kind {
	case Scalar, Packet, Stack, Ctx:
		return true
	case Shared:
		return !v.Null
	}
	return false
}

// location is a register (0-10) or a stack cell (11 + offset).
type location int

func valueAt(st *State, loc location) (Value, bool) {
	f := st.top()
	if loc < 11 {
		return f.Regs[loc], true
	}
	if k := f.Stack.cellAt(int(loc) - 11); k >= 0 {
		return f.Stack.Cells[k].V, true
	}
	return Value{}, false
}

// checkTermination reports every loop head with no ranking location, and
// every cycle with several entries (irreducible control flow), for which
// the ranking argument does not hold.
func (a *analyzer) checkTermination() {
	for _, k := range a.sortedKeys() {
		f := &a.fns[a.ctxs[k.ctx].fn]
		if f.irreducible[k.block] {
			head := f.blocks[k.block].start
			a.report(head, a.in[k], "loop at instruction %d may not terminate: the cycle through it has more than one entry (irreducible control flow)", a.prog.Insns[head].Slot)
		}
	}
	for k, edges := range a.backEdges {
		in := a.in[k]
		if in == nil {
			continue
		}
		in = a.refineIV(k, in)
		fn := a.ctxs[k.ctx].fn
		head := a.fns[fn].blocks[k.block].start
		limit := uint64(a.opts.Limits.LoopIterations)
		best := uint64(math.MaxUint64)
		for loc := location(0); loc < 11+StackSize; loc++ {
			hv, ok := valueAt(in, loc)
			if !ok || !stampable(&hv) || hv.G != ghostID(head, int(loc)) {
				continue
			}
			var step uint64
			sign := 0
			allDiv, minDiv := true, uint64(math.MaxUint64)
			for _, e := range edges {
				v, ok := valueAt(e, loc)
				if !ok || v.Kind != hv.Kind || v.G != hv.G {
					sign = 2
					break
				}
				x := headValue(e, hv)
				d, s := int64(1), -1
				switch {
				case v.GDiv > 1:
					// x / D < x where x >= 1 (which v >= 1 implies).
					if x.UMin < 1 && v.Num.UMin < 1 {
						sign = 2
					}
					minDiv = min(minDiv, v.GDiv)
				case v.GD == 0:
					sign = 2
				default:
					allDiv = false
					d, s = v.GD, 1
					if d < 0 {
						s, d = -1, -d
					}
					switch {
					case v.GW32:
						// low32(x + GD) is x + GD where that stays in
						// [0, 2^32).
						if x.UMax > math.MaxUint32 || s < 0 && x.UMin < uint64(d) || s > 0 && x.UMax > math.MaxUint32-uint64(d) {
							sign = 2
						}
					case (s > 0 && v.Num.UMin < uint64(d)) || (s < 0 && v.Num.UMax > math.MaxUint64-uint64(d)):
						// No wrap: an increase by d that wrapped would
						// leave a value below d; a decrease that wrapped
						// one above 2^64-1-d.
						sign = 2
					}
				}
				if sign == 2 {
					break
				}
				if sign == 0 {
					sign = s
				} else if sign != s {
					sign = 2
					break
				}
				if step == 0 || uint64(d) < step {
					step = uint64(d)
				}
			}
			if sign == 2 || sign == 0 {
				continue
			}
			n := uint64(math.MaxUint64 - 1)
			if span := hv.Num.UMax - hv.Num.UMin; span < math.MaxUint64 {
				n = span/step + 1
			}
			if allDiv {
				// Division by at least minDiv reaches 0 within
				// log(max) steps.
				k := uint64(1)
				for x := hv.Num.UMax; x > 0; x /= minDiv {
					k++
				}
				n = min(n, k)
			}
			best = min(best, n)
		}
		switch {
		case best == math.MaxUint64:
			a.report(head, in, "loop at instruction %d may not terminate: no register or stack slot moves monotonically toward a bound on every iteration", a.prog.Insns[head].Slot)
		case best > limit:
			a.report(head, in, "loop at instruction %d may run %d times, more than the limit of %d iterations", a.prog.Insns[head].Slot, best, limit)
		}
	}
}

// headValue is what back-edge state e proves about the value a loop head
// location had at the start of the iteration (hv, the head's value): its
// range at the head, narrowed by every exact copy of it in e (a copy
// compared on the way, as "if (x != 0)" before "x - 1").
func headValue(e *State, hv Value) Num {
	n := hv.Num
	e.forEachValue(func(w *Value) {
		if w.Kind == hv.Kind && w.G == hv.G && w.GD == 0 && !w.GW32 && w.GDiv == 0 {
			if m, ok := n.Meet(w.Num); ok {
				n = m
			}
		}
	})
	return n
}

// ghostReduce narrows, in st, every value related by a ghost to a loop
// head's value x by what st proves about x: a value x + d (not wrapped)
// lies in range(x) + d. range(x) is the meet of the exact copies of x
// (ghost delta 0). Flows into loop heads use it, so that "x < 511" tested
// on one copy bounds "x + 1" kept in another register.
func ghostReduce(st *State) {
	type acc struct {
		n    Num
		kind Kind
		ok   bool
	}
	var xs map[int32]*acc
	st.forEachValue(func(w *Value) {
		if w.G == 0 || w.GD != 0 || w.GW32 || w.GDiv != 0 || w.Kind != Scalar {
			return
		}
		if xs == nil {
			xs = map[int32]*acc{}
		}
		x := xs[w.G]
		if x == nil {
			xs[w.G] = &acc{n: w.Num, kind: w.Kind, ok: true}
			return
		}
		if m, ok := x.n.Meet(w.Num); ok {
			x.n = m
		}
	})
	if xs == nil {
		return
	}
	st.forEachValue(func(w *Value) {
		x := xs[w.G]
		if x == nil || w.GDiv != 0 || w.GD == 0 || w.Kind != Scalar || w.GD <= -1<<32 || w.GD >= 1<<32 {
			return
		}
		// x + GD as integers, when x's range is below 2^62.
		if x.n.UMax >= 1<<62 {
			return
		}
		lo, hi := int64(x.n.UMin)+w.GD, int64(x.n.UMax)+w.GD
		if w.GW32 && (lo < 0 || hi > math.MaxUint32) {
			return // it may have wrapped
		}
		if !w.GW32 && lo < 0 {
			return
		}
		if m, ok := w.Num.meetU(uint64(lo), uint64(hi)); ok {
			w.Num = m
		}
	})
}
