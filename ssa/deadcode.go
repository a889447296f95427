package ssa

import "fmt"

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

// deadcodeCompact is deadcode, then compact: what lifting leaves is mostly
// dead, so this is where the survivors are best packed together.
func deadcodeCompact(f *Func) {
	deadcode(f)
	compact(f)
}

// compactAbove is the number of values from which compact copies them:
// past a few megabytes a function's values outgrow a core's cache, and
// every later pass pays for their scattering; below, the copy (and the
// garbage collection its allocation brings forward) costs more than the
// passes win.
var compactAbove = 1 << 15

// compact moves the values of large functions into one array, in block
// order, leaving behind the dead values that were made alongside them, so
// that each pass walks memory in order. Values keep their IDs; only their
// addresses change.
func compact(f *Func) {
	n := 0
	for _, b := range f.Blocks {
		n += len(b.Values)
	}
	if n < compactAbove {
		return
	}
	store := make([]Value, n)
	at := make([]int32, f.NumValues()) // by ID: index in store, or -1
	for id := range at {
		at[id] = -1
	}
	moved := func(v *Value) *Value {
		if at[v.ID] < 0 {
			panic(fmt.Sprintf("BUG: v%d is used but in no block", v.ID))
		}
		return &store[at[v.ID]]
	}
	i := 0
	for _, b := range f.Blocks {
		for k, v := range b.Values {
			store[i] = *v
			at[v.ID] = int32(i)
			b.Values[k] = &store[i]
			i++
		}
	}
	// Argument lists stay where they are; they now name the moved values.
	for i := range store {
		for j, a := range store[i].Args {
			store[i].Args[j] = moved(a)
		}
	}
	for _, b := range f.Blocks {
		for k, c := range b.Controls {
			b.Controls[k] = moved(c)
		}
	}
	if u := f.undef; u != nil && u.Block != nil {
		f.undef = moved(u)
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
