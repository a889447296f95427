package ssa

import "fmt"

// varBuilder turns variables that are assigned more than once (eBPF
// registers while lifting, promoted stack slots later) into SSA values on a
// finished CFG. It is the forward-reference scheme of Go's ssagen: a block
// that reads a variable before writing it gets a FwdRef placeholder; once
// every block's reads and writes are recorded, resolve turns each
// placeholder into a copy of its single predecessor's definition or a phi
// of all of them, creating placeholders in predecessors as needed. The
// copies and the phis that turn out trivial are left for copyelim.
type varBuilder struct {
	f *Func
	// defs[b] holds the value of each variable at the current point of
	// block b while it is being filled, and at its end afterwards.
	defs []scope
	// fwd[b] are b's placeholders.
	fwd []scope
	// order records placeholders as they are made, for resolve's worklist.
	order []*Value
	// initial gives a variable's value where the function starts (and in
	// blocks without predecessors).
	initial func(x int) *Value
	typeOf  func(x int) Type
}

func newVarBuilder(f *Func, typeOf func(int) Type, initial func(int) *Value) *varBuilder {
	return &varBuilder{f: f, initial: initial, typeOf: typeOf}
}

// scope maps a block's variables to values. A block names few variables,
// so they are a list searched in order; a block that names many gets an
// index, so that no lookup costs more than a map's.
type scope struct {
	list  []binding
	index map[int]int // variable -> position in list, once list is long
}

type binding struct {
	x int
	v *Value
}

// indexAbove is the length from which a scope is indexed.
const indexAbove = 16

func (s *scope) get(x int) *Value {
	if s.index != nil {
		if i, ok := s.index[x]; ok {
			return s.list[i].v
		}
		return nil
	}
	for _, e := range s.list {
		if e.x == x {
			return e.v
		}
	}
	return nil
}

func (s *scope) set(x int, v *Value) {
	if s.index != nil {
		if i, ok := s.index[x]; ok {
			s.list[i].v = v
			return
		}
		s.index[x] = len(s.list)
		s.list = append(s.list, binding{x, v})
		return
	}
	for i := range s.list {
		if s.list[i].x == x {
			s.list[i].v = v
			return
		}
	}
	s.list = append(s.list, binding{x, v})
	if len(s.list) > indexAbove {
		s.index = make(map[int]int, len(s.list))
		for i, e := range s.list {
			s.index[e.x] = i
		}
	}
}

func (vb *varBuilder) grow() {
	if n := vb.f.NumBlocks(); len(vb.defs) < n {
		vb.defs = append(vb.defs, make([]scope, n-len(vb.defs))...)
		vb.fwd = append(vb.fwd, make([]scope, n-len(vb.fwd))...)
	}
}

// write records v as variable x's value from here on in b.
func (vb *varBuilder) write(b *Block, x int, v *Value) {
	vb.grow()
	vb.defs[b.ID].set(x, v)
}

// read returns variable x's value at the current point of b.
func (vb *varBuilder) read(b *Block, x int) *Value {
	vb.grow()
	if v := vb.defs[b.ID].get(x); v != nil {
		return v
	}
	v := vb.placeholder(b, x)
	vb.write(b, x, v)
	return v
}

// end returns variable x's value at the end of a finished block b.
func (vb *varBuilder) end(b *Block, x int) *Value {
	vb.grow()
	if v := vb.defs[b.ID].get(x); v != nil {
		return v
	}
	return vb.placeholder(b, x)
}

func (vb *varBuilder) placeholder(b *Block, x int) *Value {
	if v := vb.fwd[b.ID].get(x); v != nil {
		return v
	}
	v := vb.f.newValue(OpFwdRef, vb.typeOf(x), b, -1)
	v.Aux = int64(x)
	vb.fwd[b.ID].set(x, v)
	vb.order = append(vb.order, v)
	return v
}

// resolve replaces every placeholder by a copy or a phi and places them at
// the start of their blocks: new phis first, with the block's existing phis,
// then copies.
func (vb *varBuilder) resolve() {
	for i := 0; i < len(vb.order); i++ {
		v := vb.order[i]
		b, x := v.Block, int(v.Aux)
		switch len(b.Preds) {
		case 0:
			init := vb.initial(x)
			if init == nil {
				panic(fmt.Sprintf("BUG: variable %d has no initial value", x))
			}
			v.Op, v.Aux = OpCopy, 0
			v.Args = []*Value{init}
		case 1:
			v.Op, v.Aux = OpCopy, 0
			v.Args = []*Value{vb.end(b.Preds[0], x)}
		default:
			v.Op, v.Aux = OpPhi, 0
			v.Args = make([]*Value, len(b.Preds))
			for k, p := range b.Preds {
				v.Args[k] = vb.end(p, x)
			}
		}
	}
	placed := make([][]*Value, vb.f.NumBlocks())
	for _, v := range vb.order {
		placed[v.Block.ID] = append(placed[v.Block.ID], v)
	}
	for _, b := range vb.f.Blocks {
		if len(placed[b.ID]) == 0 {
			continue
		}
		vals := make([]*Value, 0, len(b.Values)+len(placed[b.ID]))
		for _, v := range placed[b.ID] {
			if v.Op == OpPhi {
				vals = append(vals, v)
			}
		}
		n := 0
		for n < len(b.Values) && b.Values[n].Op == OpPhi {
			n++
		}
		vals = append(vals, b.Values[:n]...)
		// Copies of the per-function values go after them.
		for n < len(b.Values) && isFunctionValue(b.Values[n].Op) {
			vals = append(vals, b.Values[n])
			n++
		}
		for _, v := range placed[b.ID] {
			if v.Op == OpCopy {
				vals = append(vals, v)
			}
		}
		b.Values = append(vals, b.Values[n:]...)
	}
	vb.order = nil
}

// isFunctionValue reports whether op is one of the values that exist once
// per function at the start of the entry block.
func isFunctionValue(op Op) bool {
	return op == OpInitMem || op == OpFP || op == OpArg || op == OpUndef
}
