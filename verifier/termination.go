package verifier

import "math"

// Termination (Options.CheckTermination) is proven per loop head H with a
// ranking argument that the abstract states already carry:
//
//   - Every scalar entering H (registers and spilled cells of the running
//     frame) is stamped with a ghost relation ID naming (H, location), Delta
//     0. Adding constants keeps the ID and accumulates Delta, so a value
//     that reaches a back edge with H's ghost ID and Delta d is provably
//     "its value at H, plus d" (mod 2^64).
//   - H's state, a fixpoint, bounds that location over every iteration:
//     [lo, hi] unsigned.
//   - If on every back edge the same location has H's ghost ID, a Delta
//     of one sign, and a value that proves the addition did not wrap, then
//     the location moves strictly monotonically within [lo, hi], so the
//     loop runs at most (hi-lo)/|d|+1 times; that must not exceed
//     Limits.LoopIterations.
//
// Ghost IDs of the heads of enclosing loops are kept (not restamped), so an
// outer loop's counter survives an inner loop that does not touch it.

const ghostBase = -(1 << 24)

func ghostID(head, key int) int32 { return int32(ghostBase - head*1024 - key) }

func isGhost(id int32) bool { return id <= ghostBase }

func ghostHead(id int32) int { return int((ghostBase - int(id)) / 1024) }

// loopRange returns the instruction range [start, end) of the loop headed
// by block b of function fn: from its head to the end of its last back
// edge's block.
func (a *analyzer) loopRange(fn, b int) (int, int) {
	f := &a.fns[fn]
	start, end := f.blocks[b].start, f.blocks[b].end
	for _, blk := range f.blocks {
		for _, s := range blk.succs {
			if s == b && blk.start >= start {
				end = max(end, blk.end)
			}
		}
	}
	return start, end
}

// encloses reports whether the loop headed at instruction outer contains
// the loop head at instruction inner.
func (a *analyzer) encloses(fn, outerBlock, innerInsn int) bool {
	s, e := a.loopRange(fn, outerBlock)
	return innerInsn > s && innerInsn < e
}

// stamp gives the scalars entering loop head k their ghost IDs.
func (a *analyzer) stamp(k nodeKey, st *State) {
	fn := a.ctxs[k.ctx].fn
	head := a.fns[fn].blocks[k.block].start
	keep := func(id int32) bool {
		if !isGhost(id) {
			return false
		}
		h := ghostHead(id)
		return h != head && a.encloses(fn, a.fns[fn].blockAt[h], head)
	}
	f := st.top()
	for r := range f.Regs {
		if v := &f.Regs[r]; stampable(v) && !keep(v.ID) {
			v.ID, v.Delta = ghostID(head, r), 0
		}
	}
	for c := range f.Stack.Cells {
		if v := &f.Stack.Cells[c].V; stampable(v) && !keep(v.ID) {
			v.ID, v.Delta = ghostID(head, 11+f.Stack.Cells[c].Off), 0
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
	for _, c := range f.Stack.Cells {
		if c.Off == int(loc)-11 {
			return c.V, true
		}
	}
	return Value{}, false
}

// checkTermination reports every loop head with no ranking location.
func (a *analyzer) checkTermination() {
	for k, edges := range a.backEdges {
		in := a.in[k]
		if in == nil {
			continue
		}
		fn := a.ctxs[k.ctx].fn
		head := a.fns[fn].blocks[k.block].start
		limit := uint64(a.opts.Limits.LoopIterations)
		best := uint64(math.MaxUint64)
		for loc := location(0); loc < 11+StackSize; loc++ {
			hv, ok := valueAt(in, loc)
			if !ok || !stampable(&hv) || hv.ID != ghostID(head, int(loc)) {
				continue
			}
			var step uint64
			sign := 0
			for _, e := range edges {
				v, ok := valueAt(e, loc)
				if !ok || v.Kind != hv.Kind || v.ID != hv.ID || v.Delta == 0 {
					sign = 2
					break
				}
				d := v.Delta
				s := 1
				if d < 0 {
					s, d = -1, -d
				}
				// No wrap: an increase by d that wrapped would leave a
				// value below d; a decrease that wrapped one above
				// 2^64-1-d.
				if (s > 0 && v.Num.UMin < uint64(d)) || (s < 0 && v.Num.UMax > math.MaxUint64-uint64(d)) {
					sign = 2
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
