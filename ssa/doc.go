// Package ssa is the machine-independent middle of bpf2native's optimizing
// compiler: eBPF functions in static single assignment form, the lifter
// that builds them from ir, the passes that improve them, a checker for
// their invariants and an evaluator that runs them.
//
//	ir.Program ──Build──▶ []*Func ──Compile (passes)──▶ []*Func ──▶ backend/<isa>
//	                         │                              │
//	                         └──────── Eval, Check ─────────┘
//
// # The IR
//
// A Func is one eBPF function (a program's entry or a sub-program). Its
// Blocks hold Values in execution order and end in a terminator: Plain
// (jump), If (on a Bool), Ret (r0 and the final memory) or TailRet (the
// end of the program after a successful tail call, as ebpf-for-windows
// runs them: the program returns 0 and the runtime starts the target).
//
// Values have an Op, a Type and arguments; the op table (OpInfo) gives each
// op's argument and result types, whether it commutes, has side effects or
// touches memory, so the checker, printer, evaluator and passes share one
// description. Immediates live in Aux (constants, helper ids, map indices,
// callees) and Off (memory offsets).
//
// Types are I64, I32, Bool, Mem and Tuple. eBPF's 32-bit ALU is modelled
// exactly: its ops take and give I32, and the register write is an explicit
// ZeroExt32to64 of the result, so "32-bit results zero-extend" is visible
// and removable (zeroext) rather than implicit. Mem is a token threaded
// through every load, store, atomic and call, so memory operations are
// ordered by data dependence alone; calls and fetching atomics give a Tuple
// of (I64, Mem) that SelectVal and SelectMem take apart. Along every path
// exactly one memory state is current; Check enforces it.
//
// Merges use phis, not block parameters, as Go's compiler does: a phi has
// one argument per predecessor, in Preds order (a predecessor may appear
// twice when both edges of an If lead to one block). Phis are simpler to
// build from eBPF's registers and cost nothing extra in the passes.
//
// Registers r0-r9 are variables of the lifter and vanish into values; r10
// is the value FP, the address just past the frame's 512-byte stack. r1-r5
// are the function's Args on entry (r1 the context for a program; the
// conformance suite also passes r2). After a helper or function call r1-r5
// are Undef. Division and modulo have eBPF's total semantics (x/0 = 0,
// x%0 = x, INT_MIN/-1 wraps): the guards are part of UDiv64 and friends,
// and divguard replaces them with the unguarded Raw forms where a constant
// or a verifier fact (Facts) proves the divisor safe. Map references are
// MapPtr and MapValue ops naming the map index (and the value offset); the
// backend loads them from its map table.
//
// # Building
//
// Build lifts the blocks of each function that its start reaches, one SSA
// block per ir block (plus a split after each tail call). Registers and
// memory are variables: a read before a block's first write becomes a
// forward reference, resolved afterwards into a copy or a phi of the
// predecessors' values (the scheme of Go's ssagen). The lifter does not
// optimize; early copyelim and deadcode remove what it leaves.
//
// callx (call through a register holding a helper id, as uBPF defines
// it) becomes CallX, whose sixth argument is the id. Legacy packet loads
// (ld abs/ind), kfunc calls and lddw forms other than constants and map
// references are refused with ErrUnsupported.
//
// # Passes
//
// Compile runs the passes in the order of the table in pass.go; the
// "before" constraints beside it state why, and are checked at start-up:
//
//	early copyelim  copies and trivial phis from lifting          (required)
//	early deadcode  unreachable blocks and unused values; a large
//	                function's values are then packed together    (required)
//	opt             constant folding and propagation with eBPF's
//	                exact semantics, algebraic identities, address
//	                folding of FP+constant into access offsets, rotates
//	                and extensions written as shifts, masks of values
//	                known to fit (a worklist, linear in practice)
//	promote         stack slots whose address does not escape and
//	                whose accesses agree in offset and size become
//	                values
//	cse             equal pure computations (loads included, keyed by
//	                their memory state) are computed once
//	late opt        folding what promotion and cse exposed
//	zeroext         ZeroExt32to64 of values with zero upper halves
//	divguard        guards of divisions by proven-safe divisors
//	simplifycfg     constant branches, unreachable and empty blocks,
//	                straight-line merges
//	late deadcode                                                 (required)
//
// After the pipeline, PruneCallArgs works on a program's functions
// together: arguments of local calls that the callee never reads become
// Undef, so no register is set up for them.
//
// Every pass is a func(*Func) and leaves a function Check accepts; tests run
// Check after each. Options.DumpAfter writes the function after one pass or
// after all of them, the raw material of an "explain" command.
//
// # Evaluating
//
// Eval executes a Func directly: values in order, phis on block entry,
// memory through real addresses checked against regions (a stack Eval
// allocates per frame, plus the caller's context, packet and map memory),
// helpers through a callback. It shares the definition of every pure op
// with constant folding (semantics.go), and it is how the tests prove that
// each pass preserves meaning: the conformance suite and randomly
// generated programs must behave the same before and after the pipeline,
// and as the reference interpreter says.
package ssa
