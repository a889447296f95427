package ssa

import "fmt"

// copyelim makes every use of a copy use the copied value, turns trivial
// phis (whose arguments are one value, or the phi itself) into copies until
// none is left, and deletes the copies.
func copyelim(f *Func) {
	var phis []*Value
	for _, b := range f.Blocks {
		for _, v := range b.Values {
			if v.Op == OpPhi {
				phis = append(phis, v)
			}
		}
	}
	// Sweeps over the phis alone until none turns trivial: a phi becomes
	// trivial only when another it merges did.
	for changed := len(phis) > 0; changed; {
		changed = false
		kept := phis[:0]
		for _, v := range phis {
			if w := trivialPhi(v); w != nil {
				v.copyOf(w)
				changed = true
				continue
			}
			kept = append(kept, v)
		}
		phis = kept
	}
	for _, b := range f.Blocks {
		for _, v := range b.Values {
			for i, a := range v.Args {
				v.Args[i] = copySource(a)
			}
		}
		for i, c := range b.Controls {
			b.Controls[i] = copySource(c)
		}
	}
	for _, b := range f.Blocks {
		kept := b.Values[:0]
		for _, v := range b.Values {
			if v.Op == OpCopy {
				v.dead()
				continue
			}
			kept = append(kept, v)
		}
		clear(b.Values[len(kept):])
		b.Values = kept
	}
}

// trivialPhi returns the one value phi v merges, or nil if it merges
// several.
func trivialPhi(v *Value) *Value {
	var w *Value
	for _, a := range v.Args {
		a = copySource(a)
		if a == v || a == w {
			continue
		}
		if w != nil {
			return nil
		}
		w = a
	}
	return w
}

// copySource follows a chain of copies to the value copied.
func copySource(v *Value) *Value {
	for n := 0; v.Op == OpCopy; n++ {
		if n > 1<<20 {
			panic(fmt.Sprintf("BUG: cycle of copies through v%d", v.ID))
		}
		v = v.Args[0]
	}
	return v
}

// dead detaches a value that has been removed from its block.
func (v *Value) dead() {
	clear(v.Args)
	v.Args = nil
	v.Block = nil
}
