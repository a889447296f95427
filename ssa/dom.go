package ssa

// domTree is the dominator tree of a function's reachable blocks, computed
// with the iterative algorithm of Cooper, Harvey and Kennedy ("A Simple,
// Fast Dominance Algorithm"): eBPF functions are small enough that its
// simplicity wins over Lengauer-Tarjan.
type domTree struct {
	// rpo lists the reachable blocks in reverse postorder.
	rpo []*Block
	// number[id] is a block's index in rpo, -1 if unreachable.
	number   []int
	idom     []*Block
	children [][]*Block
	// in and out number the tree's preorder walk, so that dominance is an
	// interval test.
	in, out []int
}

// dfsFrame is a block on postorder's stack and its next successor.
type dfsFrame struct {
	b    *Block
	next int
}

func postorder(f *Func) []*Block {
	seen := make([]bool, f.NumBlocks())
	order := make([]*Block, 0, len(f.Blocks))
	stack := append(f.dfs[:0], dfsFrame{f.Entry(), 0})
	seen[f.Entry().ID] = true
	for len(stack) > 0 {
		top := &stack[len(stack)-1]
		if top.next < len(top.b.Succs) {
			s := top.b.Succs[top.next]
			top.next++
			if !seen[s.ID] {
				seen[s.ID] = true
				stack = append(stack, dfsFrame{s, 0})
			}
			continue
		}
		order = append(order, top.b)
		stack = stack[:len(stack)-1]
	}
	f.dfs = stack
	return order
}

func newDomTree(f *Func) *domTree {
	po := postorder(f)
	n := f.NumBlocks()
	d := &domTree{number: make([]int, n), idom: make([]*Block, n), children: make([][]*Block, n), in: make([]int, n), out: make([]int, n)}
	for i := range d.number {
		d.number[i] = -1
	}
	for i := len(po) - 1; i >= 0; i-- {
		d.number[po[i].ID] = len(d.rpo)
		d.rpo = append(d.rpo, po[i])
	}
	entry := f.Entry()
	d.idom[entry.ID] = entry
	intersect := func(a, b *Block) *Block {
		for a != b {
			for d.number[a.ID] > d.number[b.ID] {
				a = d.idom[a.ID]
			}
			for d.number[b.ID] > d.number[a.ID] {
				b = d.idom[b.ID]
			}
		}
		return a
	}
	for changed := true; changed; {
		changed = false
		for _, b := range d.rpo[1:] {
			var idom *Block
			for _, p := range b.Preds {
				if d.idom[p.ID] == nil {
					continue // not processed yet, or unreachable
				}
				if idom == nil {
					idom = p
				} else {
					idom = intersect(p, idom)
				}
			}
			if d.idom[b.ID] != idom {
				d.idom[b.ID] = idom
				changed = true
			}
		}
	}
	for _, b := range d.rpo[1:] {
		p := d.idom[b.ID]
		d.children[p.ID] = append(d.children[p.ID], b)
	}
	d.idom[entry.ID] = nil
	clock := 0
	var walk func(b *Block)
	walk = func(b *Block) {
		clock++
		d.in[b.ID] = clock
		for _, c := range d.children[b.ID] {
			walk(c)
		}
		clock++
		d.out[b.ID] = clock
	}
	walk(entry)
	return d
}

// reachable reports whether b can be reached from the entry.
func (d *domTree) reachable(b *Block) bool { return d.number[b.ID] >= 0 }

// dominates reports whether a dominates b (every block dominates itself).
// Both must be reachable.
func (d *domTree) dominates(a, b *Block) bool {
	return d.in[a.ID] <= d.in[b.ID] && d.out[b.ID] <= d.out[a.ID]
}
