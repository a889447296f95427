package ssa

// cse replaces a value by an equal one that dominates it. Two values are
// equal when they have the same op, type, immediates and arguments (in
// either order for commutative ops) and the op has no side effects. Loads
// qualify: their memory argument is part of the key, so two loads are
// merged only when no store, call or atomic separates them.
func cse(f *Func) {
	type key struct {
		op       Op
		typ      Type
		aux, off int64
		args     [3]ID
	}
	dom := newDomTree(f)
	n := 0
	for _, b := range f.Blocks {
		n += len(b.Values)
	}
	// Along a long chain of blocks nearly every value is available at
	// once: room for all of them up front spares the map and the stack
	// their growth.
	avail := make(map[key]*Value, n)
	// added holds the keys the blocks on the walk's path made available,
	// each block's after its dominator's.
	added := make([]key, 0, n)
	var walk func(b *Block)
	walk = func(b *Block) {
		mark := len(added)
		for _, v := range b.Values {
			info := v.Op.Info()
			if info.SideEffects || len(v.Args) > 3 || v.Type == TypeTuple {
				continue
			}
			switch v.Op {
			case OpPhi, OpCopy, OpFwdRef, OpInitMem, OpFP, OpUndef:
				continue
			}
			k := key{op: v.Op, typ: v.Type, aux: v.Aux, off: v.Off}
			for i, a := range v.Args {
				k.args[i] = a.ID + 1 // 0 means no argument
			}
			if info.Commutative && k.args[0] > k.args[1] {
				k.args[0], k.args[1] = k.args[1], k.args[0]
			}
			if w := avail[k]; w != nil {
				v.copyOf(w)
				continue
			}
			avail[k] = v
			added = append(added, k)
		}
		for _, c := range dom.children[b.ID] {
			walk(c)
		}
		for _, k := range added[mark:] {
			delete(avail, k)
		}
		added = added[:mark]
	}
	walk(f.Entry())
	copyelim(f)
}
