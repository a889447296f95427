package ssa

// deadcode removes the blocks the entry cannot reach and the values
// nothing needs: a value is live if it has side effects, controls a live
// block, or is an argument of a live value.
func deadcode(f *Func) {
	removeUnreachable(f)
	live := make([]bool, f.NumValues())
	var work []*Value
	mark := func(v *Value) {
		if !live[v.ID] {
			live[v.ID] = true
			work = append(work, v)
		}
	}
	for _, b := range f.Blocks {
		for _, c := range b.Controls {
			mark(c)
		}
		for _, v := range b.Values {
			if v.Op.Info().SideEffects {
				mark(v)
			}
		}
	}
	for len(work) > 0 {
		v := work[len(work)-1]
		work = work[:len(work)-1]
		for _, a := range v.Args {
			mark(a)
		}
	}
	for _, b := range f.Blocks {
		kept := b.Values[:0]
		for _, v := range b.Values {
			if live[v.ID] {
				kept = append(kept, v)
			} else {
				v.dead()
			}
		}
		clear(b.Values[len(kept):])
		b.Values = kept
	}
}

// removeUnreachable deletes the blocks the entry cannot reach, with their
// edges into reachable blocks.
func removeUnreachable(f *Func) {
	reachable := make([]bool, f.NumBlocks())
	for _, b := range postorder(f) {
		reachable[b.ID] = true
	}
	for _, b := range f.Blocks {
		if reachable[b.ID] {
			continue
		}
		for i := len(b.Succs) - 1; i >= 0; i-- {
			if reachable[b.Succs[i].ID] {
				b.removeSucc(i)
			}
		}
	}
	kept := f.Blocks[:0]
	for _, b := range f.Blocks {
		if reachable[b.ID] {
			kept = append(kept, b)
			continue
		}
		b.Succs = nil
		for _, v := range b.Values {
			v.dead()
		}
		b.Values, b.Controls, b.Preds = nil, nil, nil
	}
	clear(f.Blocks[len(kept):])
	f.Blocks = kept
}
