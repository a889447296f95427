package backend

import (
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/regalloc"
	"github.com/bpf2native/bpf2native/ssa"
)

// Target selects the code Compile generates.
type Target struct {
	// Arch is a registered arch name ("amd64", "arm64").
	Arch string
	// ABI is one of the arch's ABIs ("sysv", "windows"; "aapcs64"); ""
	// selects the arch's default.
	ABI string
}

// Options control Compile.
type Options struct {
	// Facts, when not nil, holds verifier facts by program index (nil
	// entries know nothing); the SSA pipeline drops guards they prove dead.
	Facts []ssa.Facts
	// Disable names optional SSA passes to skip.
	Disable []string
	// Dump, when not nil, receives every function after lowering, after
	// register allocation and after finalization.
	Dump io.Writer
}

// ErrCompile is wrapped by errors of code generation proper (as opposed to
// lifting and the SSA pipeline, whose errors wrap ssa's sentinels).
var ErrCompile = errors.New("code generation failed")

// Compile translates every program of mod into native code for target.
// Each program's functions (its entry, then its sub-programs) are lifted,
// optimized, lowered, allocated, finalized and encoded; a sub-program that
// several programs call is emitted once for each. The output depends only
// on the input: the same module gives the same bytes.
func Compile(mod *ir.Module, target Target, opts Options) (*Object, error) {
	arch, err := LookupArch(target.Arch)
	if err != nil {
		return nil, err
	}
	abi, err := arch.ABI(target.ABI)
	if err != nil {
		return nil, err
	}
	obj := &Object{Arch: arch.Name, ABI: abi.Name}
	type placed struct {
		fn   Func
		code *Code
		// first is the index in obj.Funcs of the program's entry, so
		// RelocCall's function index can be resolved.
		first int
	}
	var funcs []placed
	helperSet := map[int32]bool{}
	mapSet := map[int]bool{}
	for pi, p := range mod.Programs {
		fs, err := ssa.Build(mod, p)
		if err != nil {
			return nil, err
		}
		var facts ssa.Facts
		if pi < len(opts.Facts) {
			facts = opts.Facts[pi]
		}
		first := len(funcs)
		for _, f := range fs {
			if err := ssa.Compile(f, ssa.Options{Facts: facts, Disable: opts.Disable}); err != nil {
				return nil, fmt.Errorf("program %s: function %s: %w", p.Name, f.Name, err)
			}
		}
		ssa.PruneCallArgs(fs)
		for fi, f := range fs {
			// Nothing here holds on to the SSA while it is compiled, so
			// that CompileFunc can let it go once it is lowered.
			name := f.Name
			fs[fi] = nil
			code, err := CompileFunc(f, abi, arch.NewMachine(abi), opts.Dump)
			if err != nil {
				return nil, fmt.Errorf("program %s: function %s: %w", p.Name, name, err)
			}
			fn := Func{Name: p.Name, Program: pi, FrameSize: code.FrameSize, Unwind: code.Unwind, Lines: code.Lines}
			if fi > 0 {
				// A sub-program is emitted once per program that calls it;
				// the program's name keeps the copies apart.
				fn.Name, fn.Program = p.Name+"."+name, -1
			}
			for _, r := range code.Relocs {
				switch r.Kind {
				case RelocHelper:
					helperSet[int32(r.Index)] = true
				case RelocMap, RelocMapValue:
					mapSet[r.Index] = true
				case RelocHelperIDs:
					obj.HelperIDSlots = HelperIDSlots
				}
			}
			funcs = append(funcs, placed{fn: fn, code: code, first: first})
		}
	}
	for id := range helperSet {
		obj.Helpers = append(obj.Helpers, id)
	}
	sort.Slice(obj.Helpers, func(i, j int) bool { return obj.Helpers[i] < obj.Helpers[j] })
	for m := range mapSet {
		obj.Maps = append(obj.Maps, m)
	}
	sort.Ints(obj.Maps)
	helperSlot := map[int32]int{}
	for i, id := range obj.Helpers {
		helperSlot[id] = i
	}
	mapSlot := map[int]int{}
	for i, m := range obj.Maps {
		mapSlot[m] = i
	}

	// Lay the functions out, then resolve local calls and translate table
	// references into the object's relocations.
	for i := range funcs {
		for k := 0; len(obj.Text)%TextAlign != 0; k++ {
			fill := byte(0)
			if len(arch.Fill) > 0 {
				fill = arch.Fill[k%len(arch.Fill)]
			}
			obj.Text = append(obj.Text, fill)
		}
		funcs[i].fn.Offset = len(obj.Text)
		funcs[i].fn.Size = len(funcs[i].code.Bytes)
		obj.Text = append(obj.Text, funcs[i].code.Bytes...)
	}
	for _, pf := range funcs {
		for _, r := range pf.code.Relocs {
			off := pf.fn.Offset + r.Offset
			switch r.Kind {
			case RelocCall:
				callee := pf.first + r.Index
				if callee >= len(funcs) {
					return nil, fmt.Errorf("%w: %s: bad local call relocation %+v", ErrCompile, pf.fn.Name, r)
				}
				// value = S + A - P, as the linker would compute it.
				v := int64(funcs[callee].fn.Offset) + r.Addend - int64(off)
				if err := patchCall(obj.Text[off:], r.Form, v); err != nil {
					return nil, fmt.Errorf("%w: %s: local call at %#x: %w", ErrCompile, pf.fn.Name, off, err)
				}
			case RelocHelper:
				obj.Relocs = append(obj.Relocs, Reloc{Offset: off, Form: r.Form, Table: HelperTable, Slot: helperSlot[int32(r.Index)], Addend: r.Addend})
			case RelocMap:
				obj.Relocs = append(obj.Relocs, Reloc{Offset: off, Form: r.Form, Table: MapTable, Slot: mapSlot[r.Index], Addend: r.Addend})
			case RelocMapValue:
				obj.Relocs = append(obj.Relocs, Reloc{Offset: off, Form: r.Form, Table: MapValueTable, Slot: mapSlot[r.Index], Addend: r.Addend})
			case RelocHelperIDs:
				obj.Relocs = append(obj.Relocs, Reloc{Offset: off, Form: r.Form, Table: HelperIDTable, Slot: r.Index, Addend: r.Addend})
			}
		}
		obj.Funcs = append(obj.Funcs, pf.fn)
	}
	sort.SliceStable(obj.Relocs, func(i, j int) bool { return obj.Relocs[i].Offset < obj.Relocs[j].Offset })
	return obj, nil
}

func putLE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// patchCall writes the resolved displacement v of a local call into the
// field at b, in form f.
func patchCall(b []byte, f RelocForm, v int64) error {
	switch f {
	case PCRel32:
		if v != int64(int32(v)) {
			return fmt.Errorf("displacement %#x does not fit 32 bits", v)
		}
		putLE32(b, uint32(int32(v)))
	case AArch64Call26:
		if v%4 != 0 || v < -(1<<27) || v >= 1<<27 {
			return fmt.Errorf("displacement %#x is not a BL's (4-byte aligned, within 128 MiB)", v)
		}
		ins := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
		putLE32(b, ins&^0x3ffffff|uint32(v>>2)&0x3ffffff)
	default:
		return fmt.Errorf("form %d is not a call", f)
	}
	return nil
}

// CompileFunc lowers an optimized SSA function with m, allocates its
// registers, finalizes and encodes it. When dump is not nil it receives
// the code after each of those stages.
func CompileFunc(f *ssa.Func, abi *ABI, m Machine, dump io.Writer) (*Code, error) {
	c := newFuncContext(f, abi, m)
	m.StartFunc(c)
	c.lower(m)
	fname := f.Name
	stage := func(name string) {
		if dump != nil {
			fmt.Fprintf(dump, "# %s %s\n%s", fname, name, m.Format())
		}
	}
	stage("lowered")
	fn := m.Function()
	// From here on the machine code is all there is: without the SSA
	// form the garbage collector has much less to trace while the code is
	// allocated and encoded.
	c.release()
	res, err := regalloc.Allocate(fn, m.RegisterInfo())
	if err != nil {
		return nil, fmt.Errorf("%w: register allocation: %w", ErrCompile, err)
	}
	stage("allocated")
	if err := m.Finalize(res); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCompile, err)
	}
	stage("finalized")
	code, err := m.Encode()
	if err != nil {
		return nil, fmt.Errorf("%w: encoding: %w", ErrCompile, err)
	}
	return code, nil
}

// FuncContext is the driver's side of lowering one function: the virtual
// register of each value, use counts, folding and block labels. Machines
// call it; they never walk the SSA themselves.
type FuncContext struct {
	Func *ssa.Func
	ABI  *ABI

	vreg   []regalloc.Reg // by value ID
	alias  []bool         // by value ID: shares its argument's register, no code
	folded []bool         // by value ID: computed as part of its user
	uses   []int32        // by value ID
	next   regalloc.Reg
	label  []Label // by block ID
	depth  []int   // loop depth by block ID
	labels int
	layout []Label
}

// ZeroExtender is implemented by machines whose 32-bit results leave the
// upper half of their register zero: ZeroExt32to64 of such a value needs
// no code.
type ZeroExtender interface {
	ZeroExtends(v *ssa.Value) bool
}

// aliases reports whether v can share its argument's register and needs
// no code: copies; truncations, since an I32 lives in the low half of a
// 64-bit register whose upper half nothing reads; and zero extensions of
// values the machine computes zero-extended. The register is defined once
// (or, for a phi, only by the copies on edges into its block), so the
// argument's register holds v's value wherever v is used.
func aliases(v *ssa.Value, m Machine) bool {
	switch v.Op {
	case ssa.OpCopy:
		return v.Type != ssa.TypeMem
	case ssa.OpTrunc64to32:
		return true
	case ssa.OpZeroExt32to64:
		z, ok := m.(ZeroExtender)
		return ok && z.ZeroExtends(v.Args[0])
	}
	return false
}

func newFuncContext(f *ssa.Func, abi *ABI, m Machine) *FuncContext {
	c := &FuncContext{
		Func:   f,
		ABI:    abi,
		vreg:   make([]regalloc.Reg, f.NumValues()),
		alias:  make([]bool, f.NumValues()),
		folded: make([]bool, f.NumValues()),
		uses:   make([]int32, f.NumValues()),
		next:   regalloc.FirstVirtual,
		label:  make([]Label, f.NumBlocks()),
	}
	for i := range c.vreg {
		c.vreg[i] = regalloc.NoReg
	}
	for _, b := range f.Blocks {
		for _, v := range b.Values {
			for _, a := range v.Args {
				c.uses[a.ID]++
			}
		}
		for _, v := range b.Controls {
			c.uses[v.ID]++
		}
	}
	// Values that live in a register get one virtual register each;
	// SelectVal shares its call's, which defines it.
	for _, b := range f.Blocks {
		for _, v := range b.Values {
			switch {
			case v.Type == ssa.TypeMem:
			case v.Op == ssa.OpSelectVal:
			case m != nil && aliases(v, m):
				c.alias[v.ID] = true
			default:
				c.vreg[v.ID] = c.NewVReg()
			}
		}
	}
	var root func(v *ssa.Value) regalloc.Reg
	root = func(v *ssa.Value) regalloc.Reg {
		if c.vreg[v.ID] == regalloc.NoReg && (c.alias[v.ID] || v.Op == ssa.OpSelectVal) {
			c.vreg[v.ID] = root(v.Args[0])
		}
		return c.vreg[v.ID]
	}
	for _, b := range f.Blocks {
		for _, v := range b.Values {
			if v.Op == ssa.OpSelectVal || c.alias[v.ID] {
				root(v)
			}
		}
	}
	for _, b := range f.Blocks {
		c.label[b.ID] = c.newLabel()
	}
	c.depth = loopDepths(f)
	return c
}

// release drops what only lowering needs: the SSA function and the
// tables indexed by its values and blocks. Labels, the layout and new
// virtual registers remain.
func (c *FuncContext) release() {
	c.Func = nil
	c.vreg, c.alias, c.folded, c.uses, c.label, c.depth = nil, nil, nil, nil, nil, nil
}

func (c *FuncContext) newLabel() Label {
	c.labels++
	return Label(c.labels - 1)
}

// NewVReg returns a fresh virtual register.
func (c *FuncContext) NewVReg() regalloc.Reg {
	c.next++
	return c.next - 1
}

// VRegOf returns the virtual register holding v.
func (c *FuncContext) VRegOf(v *ssa.Value) regalloc.Reg {
	r := c.vreg[v.ID]
	if r == regalloc.NoReg {
		panic(fmt.Sprintf("BUG: %s has no register", v.LongString()))
	}
	return r
}

// Uses returns how many arguments and controls name v, less the uses
// consumed so far.
func (c *FuncContext) Uses(v *ssa.Value) int { return int(c.uses[v.ID]) }

// Fold reports whether the pure value v can be computed as part of its
// only remaining user, a value or control of block b that is being
// lowered, and if so consumes that use, so that the driver does not lower
// v on its own.
func (c *FuncContext) Fold(v *ssa.Value, b *ssa.Block) bool {
	info := v.Op.Info()
	if v.Block != b || c.uses[v.ID] != 1 || info.SideEffects || info.ReadsMem || v.Op == ssa.OpPhi {
		return false
	}
	c.uses[v.ID] = 0
	c.folded[v.ID] = true
	return true
}

// Consume records that a user was lowered without v's register: v was
// encoded as an immediate, or as the base of an address (FP). A value
// whose uses are all consumed gets no code.
func (c *FuncContext) Consume(v *ssa.Value) {
	if c.uses[v.ID] <= 0 {
		panic(fmt.Sprintf("BUG: %s consumed more often than used", v.LongString()))
	}
	c.uses[v.ID]--
}

// Use records a new use of v, by a user that reads it directly instead of
// through a value it consumed (see Consume).
func (c *FuncContext) Use(v *ssa.Value) { c.uses[v.ID]++ }

// Label returns the label of SSA block b.
func (c *FuncContext) Label(b *ssa.Block) Label { return c.label[b.ID] }

// NumLabels returns the number of labels created so far.
func (c *FuncContext) NumLabels() int { return c.labels }

// lower drives m over the function. The layout is a reverse postorder of
// the SSA blocks, each followed by the edge blocks holding the phi copies
// of its If edges; a block is laid out after every block that dominates
// it. Blocks are lowered in the opposite order, and each block bottom-up,
// so that every register use of a value is seen before the value itself:
// a value whose uses were all folded into their users needs no code.
func (c *FuncContext) lower(m Machine) {
	f := c.Func
	type edge struct {
		label Label
		succ  *ssa.Block
		pred  int
	}
	type item struct {
		b       *ssa.Block // nil for an edge block
		targets []Label
		e       edge
	}
	var items []item
	for _, b := range reversePostorder(f) {
		targets := make([]Label, len(b.Succs))
		var edges []edge
		for i, s := range b.Succs {
			targets[i] = c.label[s.ID]
			if b.Kind == ssa.BlockIf && hasPhis(s) {
				e := edge{label: c.newLabel(), succ: s, pred: predIndex(b, i)}
				targets[i] = e.label
				edges = append(edges, e)
			}
		}
		items = append(items, item{b: b, targets: targets})
		c.layout = append(c.layout, c.label[b.ID])
		for _, e := range edges {
			items = append(items, item{e: e})
			c.layout = append(c.layout, e.label)
		}
	}
	for k := len(items) - 1; k >= 0; k-- {
		it := items[k]
		if it.b == nil {
			e := it.e
			m.StartBlock(e.label, []Label{c.label[e.succ.ID]}, c.depth[e.succ.ID])
			m.InsertJump(c.label[e.succ.ID])
			c.phiMoves(m, e.succ, e.pred)
			m.EndBlock()
			continue
		}
		b := it.b
		m.StartBlock(c.label[b.ID], it.targets, c.depth[b.ID])
		m.LowerBranch(b, it.targets)
		if b.Kind == ssa.BlockPlain && hasPhis(b.Succs[0]) {
			c.phiMoves(m, b.Succs[0], predIndex(b, 0))
		}
		for i := len(b.Values) - 1; i >= 0; i-- {
			v := b.Values[i]
			if c.skip(v) {
				if c.uses[v.ID] == 0 && !c.folded[v.ID] && !v.Op.Info().SideEffects && v.Op != ssa.OpPhi {
					// Dead once its users folded it away: its arguments
					// lose a use, and may need no code either.
					for _, a := range v.Args {
						c.uses[a.ID]--
					}
				}
				continue
			}
			m.LowerValue(v)
		}
		m.EndBlock()
	}
}

// Layout returns the labels of the machine blocks in layout order; the
// entry block's label is first.
func (c *FuncContext) Layout() []Label { return c.layout }

// reversePostorder returns the blocks reachable from the entry in reverse
// postorder of a depth-first search that visits successors in order.
func reversePostorder(f *ssa.Func) []*ssa.Block {
	seen := make([]bool, f.NumBlocks())
	var post []*ssa.Block
	var dfs func(b *ssa.Block)
	dfs = func(b *ssa.Block) {
		seen[b.ID] = true
		for _, s := range b.Succs {
			if !seen[s.ID] {
				dfs(s)
			}
		}
		post = append(post, b)
	}
	dfs(f.Entry())
	for i, j := 0, len(post)-1; i < j; i, j = i+1, j-1 {
		post[i], post[j] = post[j], post[i]
	}
	return post
}

// skip reports whether v needs no code of its own.
func (c *FuncContext) skip(v *ssa.Value) bool {
	switch {
	case v.Op == ssa.OpPhi, v.Op == ssa.OpSelectVal, v.Op == ssa.OpSelectMem, v.Op == ssa.OpInitMem, c.alias[v.ID]:
		// Phis are defined by the copies on their edges; SelectVal by its
		// call.
		return true
	case c.uses[v.ID] == 0 && !v.Op.Info().SideEffects:
		return true
	}
	return false
}

func hasPhis(b *ssa.Block) bool {
	for _, v := range b.Values {
		if v.Op == ssa.OpPhi && v.Type != ssa.TypeMem {
			return true
		}
	}
	return false
}

// predIndex returns the index in b.Succs[i].Preds of the edge b -> Succs[i].
func predIndex(b *ssa.Block, i int) int {
	s := b.Succs[i]
	k := 0 // which occurrence of s in b.Succs
	for j := 0; j < i; j++ {
		if b.Succs[j] == s {
			k++
		}
	}
	for j, p := range s.Preds {
		if p == b {
			if k == 0 {
				return j
			}
			k--
		}
	}
	panic(fmt.Sprintf("BUG: b%d is not a predecessor of b%d", b.ID, s.ID))
}

// phiMoves emits the copies of s's phis for the edge from predecessor
// pred, sequencing the parallel copy so that no source is overwritten
// before it is read (a cycle goes through a fresh register).
func (c *FuncContext) phiMoves(m Machine, s *ssa.Block, pred int) {
	type move struct{ dst, src regalloc.Reg }
	var pending []move
	for _, v := range s.Values {
		if v.Op != ssa.OpPhi || v.Type == ssa.TypeMem {
			continue
		}
		if mv := (move{c.VRegOf(v), c.VRegOf(v.Args[pred])}); mv.dst != mv.src {
			pending = append(pending, mv)
		}
	}
	var seq []move
	for len(pending) > 0 {
		progress := false
		for i := 0; i < len(pending); i++ {
			mv := pending[i]
			blocked := false
			for j, o := range pending {
				if j != i && o.src == mv.dst {
					blocked = true
					break
				}
			}
			if !blocked {
				seq = append(seq, mv)
				pending = append(pending[:i], pending[i+1:]...)
				i--
				progress = true
			}
		}
		if !progress {
			// Every destination is still to be read: a cycle. Save one
			// destination and read the saved copy instead.
			d := pending[0].dst
			t := c.NewVReg()
			seq = append(seq, move{t, d})
			for j := range pending {
				if pending[j].src == d {
					pending[j].src = t
				}
			}
		}
	}
	// The machine prepends each call's code: insert the last move first.
	for i := len(seq) - 1; i >= 0; i-- {
		m.InsertMove(seq[i].dst, seq[i].src)
	}
}

// loopDepths returns each block's loop nesting depth: for every back edge
// u -> h (h on the DFS stack), the blocks that reach u without passing h,
// and h itself, are one loop deeper.
func loopDepths(f *ssa.Func) []int {
	depth := make([]int, f.NumBlocks())
	state := make([]uint8, f.NumBlocks()) // 0 new, 1 on stack, 2 done
	type backEdge struct{ u, h *ssa.Block }
	var backs []backEdge
	var dfs func(b *ssa.Block)
	dfs = func(b *ssa.Block) {
		state[b.ID] = 1
		for _, s := range b.Succs {
			switch state[s.ID] {
			case 0:
				dfs(s)
			case 1:
				backs = append(backs, backEdge{b, s})
			}
		}
		state[b.ID] = 2
	}
	dfs(f.Entry())
	// in[id] == k+1 marks the blocks of back edge k's loop, so that each
	// loop costs its own size, not the function's.
	in := make([]int32, f.NumBlocks())
	var work []*ssa.Block
	for k, e := range backs {
		mark := int32(k + 1)
		in[e.h.ID] = mark
		depth[e.h.ID]++
		work = append(work[:0], e.u)
		for len(work) > 0 {
			b := work[len(work)-1]
			work = work[:len(work)-1]
			if in[b.ID] == mark {
				continue
			}
			in[b.ID] = mark
			depth[b.ID]++
			work = append(work, b.Preds...)
		}
	}
	return depth
}
