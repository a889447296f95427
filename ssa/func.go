package ssa

import (
	"fmt"

	"github.com/bpf2native/bpf2native/ir"
)

// ID numbers values and blocks within one function; dumps print them.
type ID int32

// Func is one eBPF function in SSA form: a program's entry or one of its
// sub-programs.
type Func struct {
	Name string
	// Index is the function's index in Program.Funcs; CallLocal names its
	// callee by this index.
	Index int
	// Blocks lists the blocks; Blocks[0] is the entry, which has no
	// predecessors and holds the per-function values (InitMem, FP, Arg).
	Blocks []*Block
	// Module and Program are what the function was lifted from; dumps take
	// map and function names from them. Module may be nil.
	Module  *ir.Module
	Program *ir.Program

	nextValue, nextBlock ID
	undef                *Value
	// helperName names helper ids in dumps; nil when the platform is unknown.
	helperName func(int32) string
	// facts are Compile's Options.Facts while it runs.
	facts Facts
	// created, when not nil, collects every value made (opt's worklist).
	created *[]*Value
	// values and args are storage for the values and argument lists to
	// come, allocated a chunk at a time: a function's values then sit
	// together in memory, in the order they were made, and cost the
	// garbage collector a few large objects instead of many small ones.
	values []Value
	args   []*Value
	// dfs is postorder's stack, kept between calls.
	dfs []dfsFrame
}

// valueChunk is how many values (and argument slots) newValue allocates
// at once.
const valueChunk = 256

// BlockKind says how a block ends.
type BlockKind uint8

const (
	BlockInvalid BlockKind = iota
	// BlockPlain jumps to its one successor.
	BlockPlain
	// BlockIf goes to Succs[0] if Controls[0] (a Bool) is true, else to
	// Succs[1].
	BlockIf
	// BlockRet returns Controls[0] (r0, I64); Controls[1] is the final Mem.
	BlockRet
	// BlockTailRet ends the function after a successful tail call: it
	// returns 0 and the runtime runs the program the tail call selected
	// (ebpf-for-windows' protocol, which bpf2c follows). Controls[0] is the
	// final Mem.
	BlockTailRet
)

var blockKindNames = [...]string{BlockInvalid: "Invalid", BlockPlain: "Plain", BlockIf: "If", BlockRet: "Ret", BlockTailRet: "TailRet"}

func (k BlockKind) String() string {
	if int(k) < len(blockKindNames) {
		return blockKindNames[k]
	}
	return fmt.Sprintf("BlockKind(%d)", uint8(k))
}

// Block is a basic block: values in execution order (phis first), then a
// terminator given by Kind, Controls and Succs.
type Block struct {
	ID       ID
	Func     *Func
	Kind     BlockKind
	Values   []*Value
	Controls []*Value
	Succs    []*Block
	// Preds may name a block twice (an If whose successors coincide); phi
	// arguments follow Preds one for one.
	Preds []*Block
}

// Value is one SSA value.
type Value struct {
	ID    ID
	Op    Op
	Type  Type
	Args  []*Value
	Block *Block
	// Aux is the op's immediate: a constant, helper id, map index, callee,
	// argument number (see OpInfo.Aux).
	Aux int64
	// Off is the byte offset of a memory access or map value address.
	Off int64
	// Insn is the index into Program.Insns of the instruction the value was
	// lifted from, or -1; verifier facts are keyed by it.
	Insn int
}

// NumValues returns an upper bound of the value IDs, for dense tables.
func (f *Func) NumValues() int { return int(f.nextValue) }

// NumBlocks returns an upper bound of the block IDs.
func (f *Func) NumBlocks() int { return int(f.nextBlock) }

// Entry returns the entry block.
func (f *Func) Entry() *Block { return f.Blocks[0] }

// NewBlock appends an empty block of kind k.
func (f *Func) NewBlock(k BlockKind) *Block {
	b := &Block{ID: f.nextBlock, Func: f, Kind: k}
	f.nextBlock++
	f.Blocks = append(f.Blocks, b)
	return b
}

func (f *Func) newValue(op Op, t Type, b *Block, insn int, args ...*Value) *Value {
	if t == TypeInvalid {
		t = op.Info().Type
	}
	if len(f.values) == 0 {
		f.values = make([]Value, valueChunk)
	}
	v := &f.values[0]
	f.values = f.values[1:]
	*v = Value{ID: f.nextValue, Op: op, Type: t, Block: b, Insn: insn}
	f.nextValue++
	if f.created != nil {
		*f.created = append(*f.created, v)
	}
	if n := len(args); n > 0 {
		if len(f.args) < n {
			f.args = make([]*Value, max(n, valueChunk))
		}
		// Capacity n, as if allocated alone: appending to v.Args moves
		// it rather than overwrite the next value's arguments.
		v.Args = f.args[:n:n]
		f.args = f.args[n:]
		copy(v.Args, args)
	}
	return v
}

// NewValue appends a value to b; t may be TypeInvalid for ops whose result
// type the op table fixes.
func (b *Block) NewValue(op Op, t Type, insn int, args ...*Value) *Value {
	v := b.Func.newValue(op, t, b, insn, args...)
	b.Values = append(b.Values, v)
	return v
}

// NewValueAux is NewValue with Aux set.
func (b *Block) NewValueAux(op Op, t Type, aux int64, insn int, args ...*Value) *Value {
	v := b.NewValue(op, t, insn, args...)
	v.Aux = aux
	return v
}

// insertValueBefore makes a new value and places it before value index i
// of b.
func (b *Block) insertValueBefore(i int, op Op, t Type, insn int, args ...*Value) *Value {
	v := b.Func.newValue(op, t, b, insn, args...)
	b.Values = append(b.Values, nil)
	copy(b.Values[i+1:], b.Values[i:])
	b.Values[i] = v
	return v
}

// AddEdgeTo adds the edge b -> c.
func (b *Block) AddEdgeTo(c *Block) {
	b.Succs = append(b.Succs, c)
	c.Preds = append(c.Preds, b)
}

// SetControls sets the terminator's controls.
func (b *Block) SetControls(vs ...*Value) { b.Controls = append(b.Controls[:0], vs...) }

// predIndex returns the index of the i-th edge from p in b.Preds: when b
// is reached twice from p, k selects which of p's successor slots.
func (b *Block) predIndex(p *Block, k int) int {
	for i, q := range b.Preds {
		if q == p {
			if k == 0 {
				return i
			}
			k--
		}
	}
	panic(fmt.Sprintf("BUG: b%d is not a predecessor of b%d", p.ID, b.ID))
}

// succSlot returns which occurrence of c in b.Succs index i is, counting
// from zero, so that edges can be matched to b's entries in c.Preds.
func (b *Block) succSlot(i int) int {
	k := 0
	for j := 0; j < i; j++ {
		if b.Succs[j] == b.Succs[i] {
			k++
		}
	}
	return k
}

// removeSucc removes the edge b.Succs[i] -> c together with c's phi
// arguments for it.
func (b *Block) removeSucc(i int) {
	c := b.Succs[i]
	c.removePred(c.predIndex(b, b.succSlot(i)))
	b.Succs = append(b.Succs[:i], b.Succs[i+1:]...)
}

// removePred removes predecessor i of b and the matching phi arguments.
func (b *Block) removePred(i int) {
	b.Preds = append(b.Preds[:i], b.Preds[i+1:]...)
	for _, v := range b.Values {
		if v.Op == OpPhi {
			v.Args = append(v.Args[:i], v.Args[i+1:]...)
		}
	}
}

// replacePred renames predecessor old of b to new, keeping the phi
// arguments in place: the edge now comes from new.
func (b *Block) replacePred(old, new *Block) {
	for i, p := range b.Preds {
		if p == old {
			b.Preds[i] = new
		}
	}
}

// copyOf turns v into a copy of w.
func (v *Value) copyOf(w *Value) {
	if v == w {
		panic(fmt.Sprintf("BUG: v%d made a copy of itself", v.ID))
	}
	v.reset(OpCopy)
	v.Args = append(v.Args, w)
}

// reset turns v into an argument-less value of op, keeping its type when
// op's type varies.
func (v *Value) reset(op Op) {
	v.Op = op
	if t := op.Info().Type; t != TypeInvalid {
		v.Type = t
	}
	for i := range v.Args {
		v.Args[i] = nil
	}
	v.Args = v.Args[:0]
	v.Aux, v.Off = 0, 0
}

// setConst turns v into a constant of its own type.
func (v *Value) setConst(c uint64) {
	switch v.Type {
	case TypeI64:
		v.reset(OpConst64)
		v.Aux = int64(c)
	case TypeI32:
		v.reset(OpConst32)
		v.Aux = int64(int32(uint32(c)))
	case TypeBool:
		v.reset(OpConstBool)
		v.Aux = int64(c & 1)
	default:
		panic(fmt.Sprintf("BUG: constant of type %s", v.Type))
	}
}

// isConst reports whether v is a constant, and its bits (an I32 constant
// zero-extended, the representation the evaluator uses).
func (v *Value) isConst() (uint64, bool) {
	switch v.Op {
	case OpConst64:
		return uint64(v.Aux), true
	case OpConst32:
		return uint64(uint32(v.Aux)), true
	case OpConstBool:
		return uint64(v.Aux), true
	}
	return 0, false
}

// Undef returns the function's undefined value, creating it in the entry
// block on first use.
func (f *Func) Undef() *Value {
	if f.undef == nil || f.undef.Op != OpUndef || f.undef.Block == nil {
		// At the front, so it precedes every use in the entry block too.
		f.undef = f.Entry().insertValueBefore(0, OpUndef, TypeI64, -1)
	}
	return f.undef
}
