package backend

// Branch layout after register allocation. Allocation leaves every machine
// block ending in explicit jumps (an If's "jcc then; jmp else", a Plain's
// "jmp succ", an edge block's "jmp succ") and needs no code on edges, so
// blocks may be rearranged, duplicated and dropped freely as long as each
// keeps its instructions. OptimizeBranches does what both ISAs need:
//
//  1. Threading: a jump to a block that only jumps goes straight to the
//     final target (edge blocks whose phi copies coalesced away become
//     such blocks).
//  2. Tail duplication: a jump to a small block that is not laid out next
//     is replaced by a copy of that block. On a loop's back edge this is
//     loop rotation: the latch ends with the header's test, so an
//     iteration runs one conditional jump instead of a test, a jump over
//     the exit and an unconditional jump back; on a jump to an exit it
//     copies the epilogue and ret.
//  3. Fall-through: jumps to the next block disappear, "jcc next; jmp B"
//     becomes "jncc B", and "jcc A; jmp B" with B earlier in the layout (a
//     loop's back edge, usually taken) becomes "jncc B; jmp A", so the
//     taken branch is the only one executed per iteration.
//
// Blocks no jump reaches any more are dropped; the entry stays first.

// BranchBlock is one machine block for OptimizeBranches.
type BranchBlock[I any] struct {
	Label  Label
	Instrs []I
}

// BranchOps tells OptimizeBranches how a machine's instructions branch.
type BranchOps[I any] struct {
	// Jump reports whether in is an unconditional jump to a block, and
	// its target.
	Jump func(in I) (Label, bool)
	// CondJump reports whether in is a conditional jump to a block (not
	// to a label inside its own block), and its target.
	CondJump func(in I) (Label, bool)
	// Retarget points a jump or conditional jump at l.
	Retarget func(in I, l Label)
	// Invert negates a conditional jump's condition.
	Invert func(in I)
	// Clone copies an instruction; ok is false for instructions that may
	// not appear twice in a function (local labels and their jumps).
	Clone func(in I) (c I, ok bool)
}

// Tail duplication limits, in instructions of the copied block: blocks
// reached by a backward jump (loop headers, rotated into their latches)
// and other blocks.
const (
	maxDupBackward = 8
	maxDupForward  = 4
)

// OptimizeBranches improves the jumps of blocks in layout order (see the
// comment at the top of this file) and returns the new layout.
func OptimizeBranches[I any](blocks []*BranchBlock[I], ops BranchOps[I]) []*BranchBlock[I] {
	if len(blocks) == 0 {
		return blocks
	}
	// Labels are small and dense: tables by label are slices.
	labels := 0
	for _, b := range blocks {
		labels = max(labels, int(b.Label)+1)
	}
	byLabel := labelTable[*BranchBlock[I]](make([]*BranchBlock[I], labels))
	for _, b := range blocks {
		byLabel[b.Label] = b
	}
	// 1. Threading.
	onlyJump := func(b *BranchBlock[I]) (Label, bool) {
		if len(b.Instrs) != 1 {
			return 0, false
		}
		return ops.Jump(b.Instrs[0])
	}
	final := func(l Label) Label {
		for steps := 0; steps < len(blocks); steps++ {
			b := byLabel.get(l)
			if b == nil || b == blocks[0] {
				return l
			}
			t, ok := onlyJump(b)
			if !ok || t == l {
				return l
			}
			l = t
		}
		return l
	}
	target := func(in I) (Label, bool) {
		if l, ok := ops.Jump(in); ok {
			return l, true
		}
		return ops.CondJump(in)
	}
	for _, b := range blocks {
		for _, in := range b.Instrs {
			if l, ok := target(in); ok {
				if f := final(l); f != l {
					ops.Retarget(in, f)
				}
			}
		}
	}
	blocks = reachable(blocks, byLabel, target)

	// 2. Tail duplication.
	pos := labelTable[int](make([]int, labels))
	for i, b := range blocks {
		pos[b.Label] = i
	}
	for i, b := range blocks {
		n := len(b.Instrs)
		if n == 0 {
			continue
		}
		l, ok := ops.Jump(b.Instrs[n-1])
		if !ok || (i+1 < len(blocks) && blocks[i+1].Label == l) {
			continue
		}
		t := byLabel.get(l)
		limit := maxDupForward
		if pos.get(l) <= i {
			limit = maxDupBackward
		}
		if t == b || t == blocks[0] || len(t.Instrs) > limit {
			continue
		}
		copies := make([]I, 0, len(t.Instrs))
		for _, in := range t.Instrs {
			c, ok := ops.Clone(in)
			if !ok {
				copies = nil
				break
			}
			copies = append(copies, c)
		}
		if copies == nil {
			continue
		}
		b.Instrs = append(b.Instrs[:n-1], copies...)
	}
	blocks = reachable(blocks, byLabel, target)

	// 3. Fall-through.
	for i := range blocks {
		pos[blocks[i].Label] = i
	}
	for k, b := range blocks {
		next := Label(-1)
		if k+1 < len(blocks) {
			next = blocks[k+1].Label
		}
		n := len(b.Instrs)
		if n == 0 {
			continue
		}
		jl, isJump := ops.Jump(b.Instrs[n-1])
		if !isJump {
			continue
		}
		if jl == next {
			b.Instrs = b.Instrs[:n-1]
			n--
			if n > 0 {
				if cl, ok := ops.CondJump(b.Instrs[n-1]); ok && cl == next {
					// jcc next; (jmp next): nothing to do either way.
					b.Instrs = b.Instrs[:n-1]
				}
			}
			continue
		}
		if n < 2 {
			continue
		}
		cj := b.Instrs[n-2]
		cl, ok := ops.CondJump(cj)
		if !ok {
			continue
		}
		switch {
		case cl == next:
			// jcc next; jmp B  =>  jncc B
			ops.Invert(cj)
			ops.Retarget(cj, jl)
			b.Instrs = b.Instrs[:n-1]
		case pos.get(jl) <= k && pos.get(cl) > k:
			// jcc A; jmp B with B a backward target: the loop continues
			// by the conditional jump, the exit is the jump.
			ops.Invert(cj)
			ops.Retarget(cj, jl)
			ops.Retarget(b.Instrs[n-1], cl)
		}
	}
	return blocks
}

// reachable returns the blocks a path of jumps from the entry reaches, in
// their order. Every block ends in a jump or a return here: none falls
// through.
func reachable[I any](blocks []*BranchBlock[I], byLabel labelTable[*BranchBlock[I]], target func(I) (Label, bool)) []*BranchBlock[I] {
	seen := labelTable[bool](make([]bool, len(byLabel)))
	seen[blocks[0].Label] = true
	work := []*BranchBlock[I]{blocks[0]}
	for len(work) > 0 {
		b := work[len(work)-1]
		work = work[:len(work)-1]
		for _, in := range b.Instrs {
			if l, ok := target(in); ok && !seen.get(l) && byLabel.get(l) != nil {
				seen[l] = true
				work = append(work, byLabel[l])
			}
		}
	}
	out := blocks[:0:0]
	for _, b := range blocks {
		if seen.get(b.Label) {
			out = append(out, b)
		}
	}
	return out
}

// labelTable is a table indexed by the labels of the blocks given to
// OptimizeBranches; a label outside them (a jump to no block) reads as the
// zero value.
type labelTable[T any] []T

func (t labelTable[T]) get(l Label) T {
	if l < 0 || int(l) >= len(t) {
		var zero T
		return zero
	}
	return t[l]
}
