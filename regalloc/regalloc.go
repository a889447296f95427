package regalloc

// The allocator works on the machine code a backend has lowered, not on SSA:
// virtual registers (VRegs) may be defined more than once (phi copies, the
// two-address forms of x86), and physical registers appear in the code
// wherever the ISA or the ABI fixes one (call arguments and results, shift
// counts, division). Allocation is iterated linear scan over live ranges
// with lifetime holes:
//
//  1. Number the instructions in layout order. Instruction k reads its uses
//     at position 2k and writes its defs at 2k+1, so a register whose last
//     read is at k can be written by k itself (mov v, rdi may put v in rdi).
//
//  2. Liveness. Live-in and live-out sets of virtual registers per block,
//     by backward data flow over a worklist of blocks to a fixed point.
//     The sets are sorted lists over the "global" registers only, those
//     read in some block before being written there: the rest never
//     cross a block boundary, and few registers are live at any boundary,
//     so this stays near linear in the function's size. (Until the first
//     round spills them, constants that CSE shared across a large function
//     are the exception: live across most of it, they make the first
//     round's sets grow with the function's size.) Then, walking the blocks and
//     their instructions backwards (Wimmer and Franz, "Linear Scan Register
//     Allocation on SSA Form", BuildIntervals), each virtual register gets
//     an interval: a sorted list of disjoint ranges [from, to) with holes
//     where it is dead. Physical registers get fixed ranges the same way,
//     from each def (or block start) to the last use; a backend keeps them
//     within one block. A call's clobbers are one-position fixed ranges of
//     every register it clobbers at its def position, so anything live
//     across the call conflicts with every caller-saved register.
//
//  3. Scan. Intervals in order of start; each gets the first register, in
//     this order, whose fixed ranges and already assigned intervals it does
//     not intersect over its whole life: a hint (the other side of a copy,
//     so the copy disappears), a caller-saved register, a callee-saved one
//     already in use, any other callee-saved one. If none is free, the
//     interval competes with those holding a register: the conflicting
//     intervals of the register with the cheapest conflicts are evicted
//     if their spill weight (uses and defs weighted by 10^loop depth, per
//     unit of length) is below the current interval's, else the current
//     interval itself is spilled. Holes matter: two intervals that
//     interleave without overlapping share a register.
//
//  4. Spill. A spilled register defined once by an instruction that reads
//     nothing (a constant; see Rematerializer) is recomputed before each
//     use instead, and its definition dropped. Any other spilled register
//     gets a stack slot for its whole life, and
//     the code is rewritten: each instruction that reads it reads a fresh
//     virtual register reloaded just before, each one that writes it writes
//     a fresh one stored just after (the same fresh register when one
//     instruction both reads and writes it, as two-address code requires).
//     The fresh registers live for one instruction and may not be spilled.
//     Then allocation starts over from step 2. Every round spills at least
//     one spillable interval and creates only unspillable ones, so this
//     ends; in practice one or two rounds.
//
//  5. Assign. Every operand is rewritten to its physical register through
//     the Instr interface, copies that became "mov r, r" are removed, and
//     the result says which callee-saved registers the prologue must save
//     and how many spill slots the frame needs.
//
// Because a virtual register keeps one location for its whole life, no
// moves are needed on control-flow edges: the backend's phi copies are the
// only edge code, and they are ordinary instructions in blocks. What this
// gives up compared with a splitting allocator is keeping a long-lived
// value in a register in one region and on the stack in another; the
// spill-everywhere rewrite keeps that cost local to each use.

// Reg is a register operand. Values below FirstVirtual are physical
// registers, numbered as the ISA encodes them; the rest are virtual.
type Reg uint32

// FirstVirtual is the first virtual register number.
const FirstVirtual Reg = 64

// NoReg is the absence of a register.
const NoReg Reg = ^Reg(0)

// IsVirtual reports whether r is a virtual register.
func (r Reg) IsVirtual() bool { return r >= FirstVirtual && r != NoReg }

// IsPhysical reports whether r is a physical register.
func (r Reg) IsPhysical() bool { return r < FirstVirtual }

// RegSet is a set of physical registers.
type RegSet uint64

// Has reports whether r is in s.
func (s RegSet) Has(r Reg) bool { return r < FirstVirtual && s&(1<<r) != 0 }

// Add returns s with r added.
func (s RegSet) Add(r Reg) RegSet { return s | 1<<r }

// Regs returns the registers in s in ascending order.
func (s RegSet) Regs() []Reg {
	var rs []Reg
	for r := Reg(0); r < FirstVirtual; r++ {
		if s.Has(r) {
			rs = append(rs, r)
		}
	}
	return rs
}

// NewRegSet returns the set of rs.
func NewRegSet(rs ...Reg) RegSet {
	var s RegSet
	for _, r := range rs {
		s = s.Add(r)
	}
	return s
}

// RegisterInfo describes an ISA's registers under one ABI.
type RegisterInfo struct {
	// Allocatable lists the registers the allocator may assign, in order
	// of preference; registers the ISA reserves (the stack pointer) are
	// not in it.
	Allocatable []Reg
	// CallerSaved are the registers a call may change; CalleeSaved those a
	// function must restore if it uses them.
	CallerSaved, CalleeSaved RegSet
	// Name names a physical register in dumps and errors.
	Name func(Reg) string
}

// Function is the code being allocated, as the backend presents it.
type Function interface {
	// NumBlocks returns the number of blocks; Block(0) is the entry and
	// block order is layout order.
	NumBlocks() int
	Block(i int) Block
	// NewVReg returns a virtual register not used so far.
	NewVReg() Reg
	// Reload returns an instruction loading spill slot slot into dst;
	// Spill one storing src into it. Slots are 8 bytes, numbered from 0;
	// the backend places them in the frame.
	Reload(dst Reg, slot int) Instr
	Spill(src Reg, slot int) Instr
}

// Block is a basic block of machine code.
type Block interface {
	Instrs() []Instr
	// SetInstrs replaces the block's instructions (spill code, removed
	// copies).
	SetInstrs([]Instr)
	// Succs returns the indices of the successor blocks.
	Succs() []int
	// LoopDepth is the block's loop nesting depth, for spill weights.
	LoopDepth() int
}

// Instr is one machine instruction. An instruction reads all of its uses
// before it writes any def.
type Instr interface {
	// Uses and Defs append the instruction's register operands, in a
	// stable order, to buf. A register both read and written (the
	// destination of a two-address instruction) is in both.
	Uses(buf []Reg) []Reg
	Defs(buf []Reg) []Reg
	// AssignUse and AssignDef replace the i-th use or def (in the order
	// Uses and Defs give) with r.
	AssignUse(i int, r Reg)
	AssignDef(i int, r Reg)
	// Clobbers returns the registers the instruction changes besides its
	// defs: for a call, the caller-saved registers.
	Clobbers() RegSet
	// IsCopy reports whether the instruction is a register-to-register
	// move of its one use to its one def.
	IsCopy() bool
}

// Result is what allocation decided beyond the rewritten code.
type Result struct {
	// UsedCalleeSaved are the callee-saved registers the code writes,
	// which the prologue must save.
	UsedCalleeSaved RegSet
	// SpillSlots is the number of 8-byte spill slots used.
	SpillSlots int
	// Rounds is the number of allocation rounds (1 when nothing spilled).
	Rounds int
}

// Rematerializer may be implemented by instructions that compute their one
// def from nothing but constants (an immediate, a table slot's address):
// the allocator then recomputes a spilled value before each use instead of
// storing and reloading it. Remat returns a new instruction computing the
// same value into dst; it reads no register and changes nothing else (no
// flags), since it is placed just before an arbitrary instruction. ok is
// false when the instruction cannot be repeated.
type Rematerializer interface {
	Remat(dst Reg) (in Instr, ok bool)
}
