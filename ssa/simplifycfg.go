package ssa

// simplifyCFG cleans up the control flow graph until nothing changes:
//   - an If on a constant becomes a Plain jump to the side it takes;
//   - an If whose two edges lead to one block, with the same phi arguments
//     on both, becomes a Plain jump;
//   - blocks the entry cannot reach are removed;
//   - a block whose only predecessor jumps only to it is merged into that
//     predecessor;
//   - an empty Plain block is bypassed: its predecessors jump straight to
//     its successor.
func simplifyCFG(f *Func) {
	for changed := true; changed; {
		changed = false
		for _, b := range f.Blocks {
			if b.Kind == BlockIf && foldIf(b) {
				changed = true
			}
		}
		n := len(f.Blocks)
		removeUnreachable(f)
		changed = changed || len(f.Blocks) != n
		for i := 0; i < len(f.Blocks); i++ {
			b := f.Blocks[i]
			if b.Kind == BlockPlain && mergeSucc(b) {
				changed = true
				i-- // b may absorb its new successor too
			}
		}
		for _, b := range append([]*Block(nil), f.Blocks...) {
			if bypass(b) {
				changed = true
			}
		}
		if changed {
			removeUnreachable(f)
		}
	}
	copyelim(f)
}

// foldIf turns an If that always goes one way into a Plain block.
func foldIf(b *Block) bool {
	if c, ok := b.Controls[0].isConst(); ok {
		// Remove the edge not taken: Succs[1] when true, Succs[0] when false.
		b.removeSucc(int(c))
		b.Kind, b.Controls = BlockPlain, nil
		return true
	}
	s := b.Succs[0]
	if s != b.Succs[1] {
		return false
	}
	i, j := s.predIndex(b, 0), s.predIndex(b, 1)
	for _, v := range s.Values {
		if v.Op == OpPhi && v.Args[i] != v.Args[j] {
			return false
		}
	}
	b.removeSucc(1)
	b.Kind, b.Controls = BlockPlain, nil
	return true
}

// mergeSucc appends b's successor to b when b is its only predecessor.
func mergeSucc(b *Block) bool {
	c := b.Succs[0]
	if c == b || len(c.Preds) != 1 || c == b.Func.Entry() {
		return false
	}
	for _, v := range c.Values {
		if v.Op == OpPhi {
			v.copyOf(v.Args[0])
		}
		v.Block = b
	}
	b.Values = append(b.Values, c.Values...)
	b.Kind, b.Controls, b.Succs = c.Kind, c.Controls, c.Succs
	for _, s := range c.Succs {
		s.replacePred(c, b)
	}
	c.Values, c.Controls, c.Succs, c.Preds = nil, nil, nil, nil
	removeBlock(b.Func, c)
	return true
}

// bypass makes the predecessors of an empty Plain block jump to its
// successor directly. The successor's phis get, for each new edge, the
// argument they had for the edge from b: it dominates b, so it dominates
// b's predecessors too.
func bypass(b *Block) bool {
	f := b.Func
	if b.Kind != BlockPlain || len(b.Values) > 0 || b == f.Entry() || len(b.Preds) == 0 {
		return false
	}
	s := b.Succs[0]
	if s == b {
		return false
	}
	idx := s.predIndex(b, 0)
	var phis []*Value
	var fromB []*Value
	for _, v := range s.Values {
		if v.Op == OpPhi {
			phis = append(phis, v)
			fromB = append(fromB, v.Args[idx])
		}
	}
	s.removePred(idx)
	seen := map[*Block]bool{}
	for _, p := range b.Preds {
		if seen[p] {
			continue
		}
		seen[p] = true
		for j, t := range p.Succs {
			if t != b {
				continue
			}
			p.Succs[j] = s
			s.Preds = append(s.Preds, p)
			for k, v := range phis {
				v.Args = append(v.Args, fromB[k])
			}
		}
	}
	b.Preds, b.Succs = nil, nil
	removeBlock(f, b)
	return true
}

func removeBlock(f *Func, b *Block) {
	for i, x := range f.Blocks {
		if x == b {
			f.Blocks = append(f.Blocks[:i], f.Blocks[i+1:]...)
			return
		}
	}
}
