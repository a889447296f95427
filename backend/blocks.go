package backend

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bpf2native/bpf2native/regalloc"
)

// BlockInstr is what a machine's instruction type must offer for Blocks to
// hold it: the allocator's view of it, and a printed form for dumps.
type BlockInstr interface {
	regalloc.Instr
	fmt.Stringer
}

// Block is one basic block of a machine's code.
type Block[I BlockInstr] struct {
	Label  Label
	Instrs []I
	Succs  []Label
	Depth  int
}

// Blocks is the code a Machine builds for one function and the bookkeeping
// every ISA does alike: blocks by label, lowering calls collected bottom-up
// (the driver lowers a block from its end, so each call's code is a group
// and the groups are reversed when the block ends), the layout order, and
// the view the register allocator works on. The zero value is ready for a
// new function.
type Blocks[I BlockInstr] struct {
	byLabel []*Block[I]
	order   []*Block[I] // layout order once lowering is done
	pos     []int       // by label: index in order
	cur     *Block[I]
	// code holds the code of the current block's lowering calls in the
	// order they were made (bottom-up): call k's is code[calls[k]:
	// calls[k+1]], and code[pending:] is the current call's so far. One
	// buffer serves every block.
	code    []I
	calls   []int
	pending int
}

// Start begins block l, which branches to succs and sits at loop depth
// depth.
func (bs *Blocks[I]) Start(l Label, succs []Label, depth int) {
	for len(bs.byLabel) <= int(l) {
		bs.byLabel = append(bs.byLabel, nil)
	}
	bs.cur = &Block[I]{Label: l, Succs: slices.Clone(succs), Depth: depth}
	bs.byLabel[l] = bs.cur
	// Only the current call's code carries over.
	bs.code = bs.code[:copy(bs.code, bs.code[bs.pending:])]
	bs.calls = bs.calls[:0]
	bs.pending = 0
}

// End finishes the current block: its lowering calls' code, in program
// order.
func (bs *Blocks[I]) End() {
	bs.Flush()
	bs.cur.Instrs = slices.Grow(bs.cur.Instrs, len(bs.code))
	end := len(bs.code)
	for i := len(bs.calls) - 1; i >= 0; i-- {
		bs.cur.Instrs = append(bs.cur.Instrs, bs.code[bs.calls[i]:end]...)
		end = bs.calls[i]
	}
	clear(bs.code)
	bs.code, bs.calls, bs.pending = bs.code[:0], bs.calls[:0], 0
	bs.cur = nil
}

// Flush closes the code of one lowering call.
func (bs *Blocks[I]) Flush() {
	if len(bs.code) > bs.pending {
		bs.calls = append(bs.calls, bs.pending)
		bs.pending = len(bs.code)
	}
}

// Add appends i to the current lowering call's code.
func (bs *Blocks[I]) Add(i I) { bs.code = append(bs.code, i) }

// Layout returns the blocks in the order the driver laid them out.
func (bs *Blocks[I]) Layout(c *FuncContext) []*Block[I] {
	if bs.order == nil {
		bs.pos = make([]int, len(bs.byLabel))
		for k, l := range c.Layout() {
			bs.order = append(bs.order, bs.byLabel[l])
			bs.pos[l] = k
		}
	}
	return bs.order
}

// SetLayout replaces the layout order (after branch layout reordered or
// dropped blocks).
func (bs *Blocks[I]) SetLayout(order []*Block[I]) {
	bs.order = order
	for k, b := range order {
		for len(bs.pos) <= int(b.Label) {
			bs.pos = append(bs.pos, 0)
		}
		bs.pos[b.Label] = k
	}
}

// Format prints the blocks in layout order.
func (bs *Blocks[I]) Format(c *FuncContext) string {
	var b strings.Builder
	for _, bl := range bs.Layout(c) {
		fmt.Fprintf(&b, "L%d:", bl.Label)
		if bl.Depth > 0 {
			fmt.Fprintf(&b, " ; loop depth %d", bl.Depth)
		}
		b.WriteByte('\n')
		for _, i := range bl.Instrs {
			fmt.Fprintf(&b, "  %s\n", i)
		}
	}
	return b.String()
}

// Function presents the blocks to the register allocator; reload and spill
// make the ISA's stack-slot load and store.
func (bs *Blocks[I]) Function(c *FuncContext, reload, spill func(regalloc.Reg, int) I) regalloc.Function {
	return &raFunc[I]{bs: bs, c: c, reload: reload, spill: spill}
}

type raFunc[I BlockInstr] struct {
	bs            *Blocks[I]
	c             *FuncContext
	reload, spill func(regalloc.Reg, int) I
}

func (f *raFunc[I]) NumBlocks() int { return len(f.bs.Layout(f.c)) }
func (f *raFunc[I]) Block(i int) regalloc.Block {
	return &raBlock[I]{f: f, b: f.bs.Layout(f.c)[i]}
}
func (f *raFunc[I]) NewVReg() regalloc.Reg { return f.c.NewVReg() }
func (f *raFunc[I]) Reload(dst regalloc.Reg, slot int) regalloc.Instr {
	return f.reload(dst, slot)
}
func (f *raFunc[I]) Spill(src regalloc.Reg, slot int) regalloc.Instr {
	return f.spill(src, slot)
}

type raBlock[I BlockInstr] struct {
	f *raFunc[I]
	b *Block[I]
}

func (b *raBlock[I]) Instrs() []regalloc.Instr {
	is := make([]regalloc.Instr, len(b.b.Instrs))
	for i, in := range b.b.Instrs {
		is[i] = in
	}
	return is
}

func (b *raBlock[I]) SetInstrs(is []regalloc.Instr) {
	b.b.Instrs = b.b.Instrs[:0]
	for _, in := range is {
		b.b.Instrs = append(b.b.Instrs, in.(I))
	}
}

func (b *raBlock[I]) Succs() []int {
	b.f.bs.Layout(b.f.c)
	s := make([]int, len(b.b.Succs))
	for k, l := range b.b.Succs {
		s[k] = b.f.bs.pos[l]
	}
	return s
}

func (b *raBlock[I]) LoopDepth() int { return b.b.Depth }

// Prepend puts is before the current lowering call's code so far.
func (bs *Blocks[I]) Prepend(is []I) { bs.code = slices.Insert(bs.code, bs.pending, is...) }
