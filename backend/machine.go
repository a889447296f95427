package backend

import (
	"github.com/bpf2native/bpf2native/regalloc"
	"github.com/bpf2native/bpf2native/ssa"
)

// Label names a machine block: one per SSA block, plus one per edge that
// needs a block of its own for phi copies (an If edge into a block with
// phis). Labels are numbered in the order the driver creates them.
type Label int

// Machine lowers one function at a time to one ISA under one ABI. The
// driver (Compile) calls it in this order for each function:
//
//	StartFunc
//	for each machine block, in layout order:
//	    StartBlock
//	    LowerBranch                    (SSA blocks)  or  InsertJump (edge blocks)
//	    InsertMove ...                 phi copies, last one first
//	    LowerValue ...                 the block's values, last one first
//	    EndBlock
//	Function → regalloc.Allocate → Finalize → Encode
//
// Within a block the calls go bottom-up: each call's instructions come
// before those of the previous call. Lowering a value may fold a producer
// into it (a compare into its branch, a constant into an immediate) by
// asking FuncContext.Fold; the driver then skips the producer. Format may
// be called at any point after EndBlock of the last block.
//
// A machine that records a line table (Code.Lines) attributes what it
// emits for LowerValue(v) to v.Insn, what it emits for LowerBranch of an If
// block to the Insn of its control, and everything else (other
// terminators, InsertMove, InsertJump, the allocator's spills and reloads,
// prologue and epilogue) to -1.
type Machine interface {
	// RegisterInfo describes the registers under the machine's ABI.
	RegisterInfo() *regalloc.RegisterInfo
	// StartFunc begins a function.
	StartFunc(c *FuncContext)
	// StartBlock begins machine block l with the given successors and
	// loop depth.
	StartBlock(l Label, succs []Label, loopDepth int)
	// LowerValue lowers one SSA value.
	LowerValue(v *ssa.Value)
	// LowerBranch lowers b's terminator; targets are the labels of its
	// successor edges, in Succs order.
	LowerBranch(b *ssa.Block, targets []Label)
	// InsertMove copies src to dst, both virtual registers.
	InsertMove(dst, src regalloc.Reg)
	// InsertJump ends an edge block with a jump to target.
	InsertJump(target Label)
	EndBlock()

	// Function presents the lowered code to the register allocator.
	Function() regalloc.Function
	// Finalize lays out the frame the allocation needs and adds the
	// prologue and epilogues.
	Finalize(res regalloc.Result) error
	// Encode produces the function's machine code.
	Encode() (*Code, error)
	// Format returns the code in its current state as text, one
	// instruction a line; dumps and tests compare it.
	Format() string
}

// Code is one function's machine code as the machine produced it, before
// the driver places it in the object.
type Code struct {
	Bytes  []byte
	Relocs []CodeReloc
	// FrameSize, Unwind and Lines are as in Func; a machine that does not
	// record lines leaves Lines nil.
	FrameSize int
	Unwind    []UnwindCode
	Lines     []Line
}

// CodeRelocKind says what a CodeReloc refers to.
type CodeRelocKind int

const (
	// RelocHelper refers to the helper-table slot of helper Index.
	RelocHelper CodeRelocKind = iota
	// RelocMap refers to the map-table slot of ir.Module.Maps[Index].
	RelocMap
	// RelocMapValue refers to the map-value-table slot of Maps[Index].
	RelocMapValue
	// RelocCall is a call of function Index of the same program; the
	// driver resolves it once functions have addresses.
	RelocCall
	// RelocHelperIDs refers to slot Index (always 0: the table's start)
	// of the helper-id table.
	RelocHelperIDs
)

// CodeReloc is a reference from a function's code, in the ISA's form.
type CodeReloc struct {
	Offset int
	Form   RelocForm
	Kind   CodeRelocKind
	Index  int
	// Addend is as in Reloc.
	Addend int64
}
