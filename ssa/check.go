package ssa

import (
	"errors"
	"fmt"
	"math"
)

// ErrCheck is wrapped by every invariant violation Check reports.
var ErrCheck = errors.New("ssa check failed")

// Check verifies the invariants every pass must preserve:
//   - block structure: the entry has no predecessors, each kind has its
//     number of successors and controls of the right types, and Succs and
//     Preds describe the same edges;
//   - values: each in its block once, arguments as many and of the types
//     the op table says, phis first with one argument per predecessor, the
//     per-function values only in the entry block, no FwdRef left;
//   - dominance: every use of a value in a reachable block is dominated by
//     its definition (a phi's use sits at the end of its predecessor);
//   - memory: along every path exactly one memory state is current; each
//     memory operation consumes the current one, a tuple's SelectMem
//     follows it before memory is used again, a memory phi merges the
//     states at the ends of the predecessors, and a return passes on the
//     final state.
func Check(f *Func) error {
	c := &checker{f: f}
	c.run()
	if len(c.errs) > 0 {
		return fmt.Errorf("%w: %s: %w", ErrCheck, f.Name, errors.Join(c.errs...))
	}
	return nil
}

type checker struct {
	f    *Func
	errs []error
	// defined[id] is the value with that ID if it is in some block.
	defined map[ID]*Value
	// pos[id] is a value's index in its block.
	pos map[ID]int
}

func (c *checker) errorf(format string, args ...any) {
	if len(c.errs) < 20 {
		c.errs = append(c.errs, fmt.Errorf(format, args...))
	}
}

func (c *checker) run() {
	f := c.f
	if len(f.Blocks) == 0 {
		c.errorf("no blocks")
		return
	}
	if len(f.Entry().Preds) > 0 {
		c.errorf("entry block b%d has predecessors", f.Entry().ID)
	}
	c.defined = map[ID]*Value{}
	c.pos = map[ID]int{}
	blocks := map[*Block]bool{}
	for _, b := range f.Blocks {
		if blocks[b] {
			c.errorf("b%d listed twice", b.ID)
		}
		blocks[b] = true
		if b.Func != f {
			c.errorf("b%d belongs to another function", b.ID)
		}
		if b.ID >= f.nextBlock {
			c.errorf("b%d has an ID beyond the function's counter", b.ID)
		}
		for i, v := range b.Values {
			if c.defined[v.ID] != nil {
				c.errorf("v%d defined twice", v.ID)
			}
			if v.ID >= f.nextValue {
				c.errorf("v%d has an ID beyond the function's counter", v.ID)
			}
			c.defined[v.ID] = v
			c.pos[v.ID] = i
			if v.Block != b {
				c.errorf("v%d is in b%d but says b%d", v.ID, b.ID, v.Block.ID)
			}
		}
	}
	for _, b := range f.Blocks {
		c.checkBlock(b, blocks)
		for i, v := range b.Values {
			c.checkValue(b, i, v)
		}
	}
	if len(c.errs) > 0 {
		return // dominance and memory assume sound structure
	}
	dom := newDomTree(f)
	c.checkDominance(dom)
	c.checkMemory(dom)
}

func (c *checker) checkBlock(b *Block, blocks map[*Block]bool) {
	nsucc, controls := 0, []Type(nil)
	switch b.Kind {
	case BlockPlain:
		nsucc = 1
	case BlockIf:
		nsucc, controls = 2, []Type{TypeBool}
	case BlockRet:
		controls = []Type{TypeI64, TypeMem}
	case BlockTailRet:
		controls = []Type{TypeMem}
	default:
		c.errorf("b%d has kind %s", b.ID, b.Kind)
		return
	}
	if len(b.Succs) != nsucc {
		c.errorf("b%d: %s block with %d successors", b.ID, b.Kind, len(b.Succs))
	}
	if len(b.Controls) != len(controls) {
		c.errorf("b%d: %s block with %d controls", b.ID, b.Kind, len(b.Controls))
	} else {
		for i, v := range b.Controls {
			if v == nil || c.defined[v.ID] != v {
				c.errorf("b%d: control %d is not a value of the function", b.ID, i)
			} else if v.Type != controls[i] {
				c.errorf("b%d: control %d v%d has type %s, want %s", b.ID, i, v.ID, v.Type, controls[i])
			}
		}
	}
	count := func(list []*Block, x *Block) int {
		n := 0
		for _, y := range list {
			if y == x {
				n++
			}
		}
		return n
	}
	for _, s := range b.Succs {
		if !blocks[s] {
			c.errorf("b%d: successor b%d is not in the function", b.ID, s.ID)
		} else if count(b.Succs, s) != count(s.Preds, b) {
			c.errorf("b%d -> b%d: %d edges but b%d lists b%d %d times as predecessor", b.ID, s.ID, count(b.Succs, s), s.ID, b.ID, count(s.Preds, b))
		}
	}
	for _, p := range b.Preds {
		if !blocks[p] {
			c.errorf("b%d: predecessor b%d is not in the function", b.ID, p.ID)
		} else if count(p.Succs, b) == 0 {
			c.errorf("b%d lists b%d as predecessor, which does not jump to it", b.ID, p.ID)
		}
	}
}

func (c *checker) checkValue(b *Block, i int, v *Value) {
	info := v.Op.Info()
	if v.Op == OpInvalid || v.Op >= opCount {
		c.errorf("v%d has op %s", v.ID, v.Op)
		return
	}
	if v.Op == OpFwdRef {
		c.errorf("v%d: FwdRef left after SSA construction", v.ID)
		return
	}
	if v.Op == OpPhi && i > 0 && b.Values[i-1].Op != OpPhi {
		c.errorf("v%d: phi after a non-phi in b%d", v.ID, b.ID)
	}
	if isFunctionValue(v.Op) && b != c.f.Entry() {
		c.errorf("v%d: %s outside the entry block", v.ID, v.Op)
	}
	for k, a := range v.Args {
		if a == nil || c.defined[a.ID] != a {
			c.errorf("v%d: argument %d is not a value of the function", v.ID, k)
			return
		}
	}
	if t := info.Type; t != TypeInvalid && v.Type != t {
		c.errorf("v%d: %s has type %s, want %s", v.ID, v.Op, v.Type, t)
	}
	switch {
	case v.Op == OpPhi:
		if len(v.Args) != len(b.Preds) {
			c.errorf("v%d: phi with %d arguments in b%d with %d predecessors", v.ID, len(v.Args), b.ID, len(b.Preds))
		}
		for k, a := range v.Args {
			if a.Type != v.Type {
				c.errorf("v%d: phi of type %s has argument %d v%d of type %s", v.ID, v.Type, k, a.ID, a.Type)
			}
		}
		if v.Type == TypeTuple || v.Type == TypeInvalid {
			c.errorf("v%d: phi of type %s", v.ID, v.Type)
		}
	case v.Op == OpCondSelect:
		if len(v.Args) != 3 {
			c.errorf("v%d: CondSelect with %d arguments", v.ID, len(v.Args))
			return
		}
		if v.Args[0].Type != TypeBool {
			c.errorf("v%d: CondSelect on v%d of type %s", v.ID, v.Args[0].ID, v.Args[0].Type)
		}
		if v.Type != TypeI64 && v.Type != TypeI32 || v.Args[1].Type != v.Type || v.Args[2].Type != v.Type {
			c.errorf("v%d: CondSelect of type %s between %s and %s", v.ID, v.Type, v.Args[1].Type, v.Args[2].Type)
		}
	case v.Op == OpCopy:
		if len(v.Args) != 1 {
			c.errorf("v%d: copy with %d arguments", v.ID, len(v.Args))
		} else if v.Args[0].Type != v.Type {
			c.errorf("v%d: copy of type %s from v%d of type %s", v.ID, v.Type, v.Args[0].ID, v.Args[0].Type)
		}
	default:
		if len(v.Args) != len(info.Args) {
			c.errorf("v%d: %s with %d arguments, want %d", v.ID, v.Op, len(v.Args), len(info.Args))
			return
		}
		for k, a := range v.Args {
			if a.Type != info.Args[k] {
				c.errorf("v%d: %s argument %d v%d has type %s, want %s", v.ID, v.Op, k, a.ID, a.Type, info.Args[k])
			}
		}
	}
	switch info.Aux {
	case AuxInt32:
		if v.Aux < math.MinInt32 || v.Aux > math.MaxInt32 {
			c.errorf("v%d: Const32 with aux %d out of range", v.ID, v.Aux)
		}
	case AuxBool:
		if v.Aux != 0 && v.Aux != 1 {
			c.errorf("v%d: ConstBool with aux %d", v.ID, v.Aux)
		}
	case AuxArg:
		if v.Aux < 0 || v.Aux > 4 {
			c.errorf("v%d: Arg %d out of range", v.ID, v.Aux)
		}
	}
	if v.Op == OpSelectMem || v.Op == OpSelectVal {
		if t := v.Args[0]; t.Type == TypeTuple && t.Block != v.Block {
			c.errorf("v%d: %s of v%d from another block", v.ID, v.Op, t.ID)
		}
	}
	for k, a := range v.Args {
		if a.Type == TypeTuple && v.Op != OpSelectMem && v.Op != OpSelectVal {
			c.errorf("v%d: argument %d is the tuple v%d", v.ID, k, a.ID)
		}
	}
}

func (c *checker) checkDominance(dom *domTree) {
	// defBefore reports whether def is available at position i of block b
	// (i = len(b.Values) is the block's end).
	defBefore := func(def *Value, b *Block, i int) bool {
		if !dom.reachable(def.Block) {
			return false
		}
		if def.Block == b {
			return c.pos[def.ID] < i
		}
		return dom.dominates(def.Block, b)
	}
	for _, b := range c.f.Blocks {
		if !dom.reachable(b) {
			continue
		}
		for i, v := range b.Values {
			for k, a := range v.Args {
				if v.Op == OpPhi {
					p := b.Preds[k]
					if dom.reachable(p) && !defBefore(a, p, len(p.Values)) {
						c.errorf("v%d: phi argument %d v%d does not dominate the end of b%d", v.ID, k, a.ID, p.ID)
					}
				} else if !defBefore(a, b, i) {
					c.errorf("v%d: argument v%d does not dominate its use", v.ID, a.ID)
				}
			}
		}
		for _, a := range b.Controls {
			if !defBefore(a, b, len(b.Values)) {
				c.errorf("b%d: control v%d does not dominate the block's end", b.ID, a.ID)
			}
		}
	}
}

func (c *checker) checkMemory(dom *domTree) {
	end := make([]*Value, c.f.NumBlocks())
	for _, b := range dom.rpo {
		var cur *Value
		for _, v := range b.Values {
			if v.Op == OpPhi && v.Type == TypeMem {
				if cur != nil {
					c.errorf("b%d: two memory phis", b.ID)
				}
				cur = v
			}
		}
		if cur == nil && b != c.f.Entry() {
			for _, p := range b.Preds {
				if dom.number[p.ID] >= 0 && dom.number[p.ID] < dom.number[b.ID] {
					cur = end[p.ID]
					break
				}
			}
		}
		var pending *Value // a tuple whose SelectMem is due
		for _, v := range b.Values {
			info := v.Op.Info()
			switch {
			case v.Op == OpPhi:
				continue
			case v.Op == OpInitMem:
				if cur != nil {
					c.errorf("v%d: InitMem while memory v%d is current", v.ID, cur.ID)
				}
				cur = v
				continue
			case v.Op == OpSelectMem:
				if v.Args[0] != pending {
					c.errorf("v%d: SelectMem of v%d, which is not the pending memory operation", v.ID, v.Args[0].ID)
				}
				pending, cur = nil, v
				continue
			case v.Op == OpCopy && v.Type == TypeMem:
				if v.Args[0] != cur {
					c.errorf("v%d: copies memory v%d while v%d is current", v.ID, v.Args[0].ID, id(cur))
				}
				cur = v
				continue
			}
			if !info.ReadsMem {
				for _, a := range v.Args {
					if a.Type == TypeMem {
						c.errorf("v%d: %s takes memory", v.ID, v.Op)
					}
				}
				continue
			}
			if pending != nil {
				c.errorf("v%d: uses memory before the SelectMem of v%d", v.ID, pending.ID)
			}
			if m := v.Args[len(v.Args)-1]; m != cur {
				c.errorf("v%d: uses memory v%d while v%d is current", v.ID, m.ID, id(cur))
			}
			switch v.Type {
			case TypeMem:
				cur = v
			case TypeTuple:
				pending, cur = v, nil
			}
		}
		if pending != nil {
			c.errorf("b%d: ends before the SelectMem of v%d", b.ID, pending.ID)
		}
		end[b.ID] = cur
		switch b.Kind {
		case BlockRet:
			if b.Controls[1] != cur {
				c.errorf("b%d: returns memory v%d while v%d is current", b.ID, b.Controls[1].ID, id(cur))
			}
		case BlockTailRet:
			if b.Controls[0] != cur {
				c.errorf("b%d: returns memory v%d while v%d is current", b.ID, b.Controls[0].ID, id(cur))
			}
		}
	}
	for _, b := range dom.rpo {
		var phi *Value
		for _, v := range b.Values {
			if v.Op == OpPhi && v.Type == TypeMem {
				phi = v
			}
		}
		for k, p := range b.Preds {
			if !dom.reachable(p) {
				continue
			}
			want := end[p.ID]
			got := want
			if phi != nil {
				got = phi.Args[k]
			} else if b != c.f.Entry() {
				got = c.memAtStart(b, dom, end)
			}
			if got != want {
				c.errorf("b%d: memory from b%d is v%d, but v%d is current at its end", b.ID, p.ID, id(got), id(want))
			}
		}
	}
}

// memAtStart is the memory state checkMemory assumed on entry to a block
// without a memory phi.
func (c *checker) memAtStart(b *Block, dom *domTree, end []*Value) *Value {
	for _, p := range b.Preds {
		if dom.number[p.ID] >= 0 && dom.number[p.ID] < dom.number[b.ID] {
			return end[p.ID]
		}
	}
	return nil
}

func id(v *Value) ID {
	if v == nil {
		return -1
	}
	return v.ID
}
