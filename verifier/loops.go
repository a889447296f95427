package verifier

import (
	"github.com/bpf2native/bpf2native/ir"
	"github.com/cilium/ebpf/asm"
)

// Loops are found on the dominator tree, not by instruction order: clang
// rotates loops, so the block that first enters a cycle (its header, which
// dominates it) may come after the blocks that close it. An edge u→h is a
// back edge when h dominates u; h is then a loop head, and its natural
// loop is h plus every block that reaches a back edge's source without
// passing h. Natural loops of a reducible graph nest, which loopOf and
// loopParent record. A retreating edge (to a block on the depth-first
// path) whose target does not dominate its source makes the graph
// irreducible there: its target is a loop head too (every cycle must hold
// a widening point), but the termination proof does not apply to it.

// findLoops sets f's loop heads, loop nesting and irreducible heads.
func (f *function) findLoops() {
	n := len(f.blocks)
	f.loopOf = make([]int, n)
	f.loopParent = make([]int, n)
	f.irreducible = make([]bool, n)
	for b := range f.loopOf {
		f.loopOf[b], f.loopParent[b] = -1, -1
	}
	if n == 0 {
		return
	}
	preds := make([][]int, n)
	for b := range f.blocks {
		for _, s := range f.blocks[b].succs {
			preds[s] = append(preds[s], b)
		}
	}
	// Depth-first search from the entry: postorder, and retreating edges.
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]uint8, n)
	rpoNum := make([]int, n)
	for b := range rpoNum {
		rpoNum[b] = -1
	}
	var post []int
	var retreating [][2]int
	type frame struct{ b, next int }
	stack := []frame{{0, 0}}
	state[0] = onPath
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		succs := f.blocks[top.b].succs
		if top.next < len(succs) {
			s := succs[top.next]
			top.next++
			switch state[s] {
			case unseen:
				state[s] = onPath
				stack = append(stack, frame{s, 0})
			case onPath:
				retreating = append(retreating, [2]int{top.b, s})
			}
			continue
		}
		state[top.b] = done
		post = append(post, top.b)
		stack = stack[:len(stack)-1]
	}
	rpo := make([]int, len(post))
	for k, b := range post {
		rpo[len(post)-1-k] = b
	}
	for k, b := range rpo {
		rpoNum[b] = k
	}
	// Dominators (Cooper, Harvey and Kennedy's iterative algorithm).
	idom := make([]int, n)
	for b := range idom {
		idom[b] = -1
	}
	idom[0] = 0
	intersect := func(a, b int) int {
		for a != b {
			for rpoNum[a] > rpoNum[b] {
				a = idom[a]
			}
			for rpoNum[b] > rpoNum[a] {
				b = idom[b]
			}
		}
		return a
	}
	for changed := true; changed; {
		changed = false
		for _, b := range rpo[1:] {
			nd := -1
			for _, p := range preds[b] {
				if idom[p] < 0 {
					continue
				}
				if nd < 0 {
					nd = p
				} else {
					nd = intersect(p, nd)
				}
			}
			if nd != idom[b] {
				idom[b], changed = nd, true
			}
		}
	}
	// Pre/post numbers on the dominator tree answer "a dominates b" in
	// constant time.
	children := make([][]int, n)
	for _, b := range rpo[1:] {
		children[idom[b]] = append(children[idom[b]], b)
	}
	pre, postN := make([]int, n), make([]int, n)
	clock := 0
	type dframe struct{ b, next int }
	ds := []dframe{{0, 0}}
	pre[0] = clock
	clock++
	for len(ds) > 0 {
		top := &ds[len(ds)-1]
		if top.next < len(children[top.b]) {
			c := children[top.b][top.next]
			top.next++
			pre[c] = clock
			clock++
			ds = append(ds, dframe{c, 0})
			continue
		}
		postN[top.b] = clock
		clock++
		ds = ds[:len(ds)-1]
	}
	dominates := func(a, b int) bool {
		return rpoNum[a] >= 0 && rpoNum[b] >= 0 && pre[a] <= pre[b] && postN[b] <= postN[a]
	}
	// Back edges, grouped by head; retreating edges that are not back
	// edges mark irreducible heads.
	sources := map[int][]int{}
	for b := range f.blocks {
		if rpoNum[b] < 0 {
			continue
		}
		for _, s := range f.blocks[b].succs {
			if dominates(s, b) {
				f.blocks[s].loopHead = true
				sources[s] = append(sources[s], b)
			}
		}
	}
	for _, e := range retreating {
		if !dominates(e[1], e[0]) {
			f.blocks[e[1]].loopHead = true
			f.irreducible[e[1]] = true
		}
	}
	// Natural loops, innermost (latest in reverse postorder) first.
	var heads []int
	for h := range sources {
		heads = append(heads, h)
	}
	for i := 1; i < len(heads); i++ {
		for j := i; j > 0 && rpoNum[heads[j]] > rpoNum[heads[j-1]]; j-- {
			heads[j], heads[j-1] = heads[j-1], heads[j]
		}
	}
	seen := make([]int, n)
	for k, h := range heads {
		gen := k + 1
		seen[h] = gen
		work := append([]int(nil), sources[h]...)
		for len(work) > 0 {
			y := work[len(work)-1]
			work = work[:len(work)-1]
			if seen[y] == gen {
				continue
			}
			seen[y] = gen
			if t := f.loopOf[y]; t < 0 {
				f.loopOf[y] = h
			} else {
				for f.loopParent[t] >= 0 && f.loopParent[t] != h {
					t = f.loopParent[t]
				}
				if t != h {
					f.loopParent[t] = h
				}
			}
			for _, p := range preds[y] {
				if seen[p] != gen && rpoNum[p] >= 0 {
					work = append(work, p)
				}
			}
		}
		if f.loopOf[h] < 0 {
			f.loopOf[h] = h
		}
	}
}

// inLoop reports whether block b belongs to the natural loop headed by h
// (h itself included).
func (f *function) inLoop(h, b int) bool {
	for t := f.loopOf[b]; t >= 0; t = f.loopParent[t] {
		if t == h {
			return true
		}
	}
	return false
}

// findLoopWrites sets f.loopWrites from the registers each block's
// instructions may write.
func (f *function) findLoopWrites(insns []ir.Instruction) {
	f.loopWrites = map[int]uint16{}
	for b, blk := range f.blocks {
		var w uint16
		for i := blk.start; i < blk.end; i++ {
			w |= regsWritten(&insns[i])
		}
		for t := f.loopOf[b]; t >= 0 && w != 0; t = f.loopParent[t] {
			f.loopWrites[t] |= w
		}
	}
}

// regsWritten over-approximates the registers ins may write.
func regsWritten(ins *ir.Instruction) uint16 {
	const callClobbers = 1<<0 | 1<<1 | 1<<2 | 1<<3 | 1<<4 | 1<<5
	switch cls := ins.OpCode.Class(); {
	case cls.IsALU(), cls == asm.LdXClass:
		return 1 << ins.Dst
	case cls == asm.LdClass:
		if ins.OpCode.Mode() == asm.ImmMode {
			return 1 << ins.Dst
		}
		// Legacy packet loads set r0 and clobber r1-r5.
		return callClobbers
	case cls == asm.StXClass && ins.OpCode.Mode() == asm.AtomicMode:
		// Fetching atomics write src, compare-and-exchange r0.
		return 1<<ins.Src | 1<<0
	case cls.IsJump() && ins.OpCode.JumpOp() == asm.Call:
		return callClobbers
	}
	return 0
}
