// Package verifier proves eBPF programs memory safe before bpf2native
// compiles them to native code, which has no run-time checks: this package
// is the product's safety. It is a sound abstract interpreter over each
// function's control-flow graph, in the spirit of PREVAIL.
//
// # Domain
//
// A state (State) holds, per call frame, eleven registers and the frame's
// 512-byte stack, plus two packet facts. Each register is a Value:
//
//   - a Kind: uninitialised, scalar, ctx, stack, packet, packet_end,
//     packet_meta, map, shared (map values, globals, helper memory of a
//     known size, possibly null), or unknown (initialised but of no single
//     type: it may be copied, never used);
//   - a Num: for a scalar its value, for a pointer its offset into its
//     region. Num is the reduced product of a signed interval, an unsigned
//     interval and known bits (a tnum); the three refine each other;
//   - relations carried by an ID: scalars with one ID are equal up to the
//     difference of their Deltas (so bounding one copy bounds all); a
//     packet pointer with ID X is data + Y_X + Delta, where a scalar with
//     ID X is Y_X + its Delta, so "data + i" shares i's ID and a check of
//     either bounds the other (moves, spills and fills of numbers and of
//     variable packet pointers all keep their copies related); nullable
//     pointers with one ID are null together. The reserved ID pktLenID
//     names the packet's length: data_end - data is that scalar;
//   - a ghost relation (G, GD): the value of one location at the head of
//     the loop being iterated, plus GD (modulo 2^32 for a 32-bit step
//     that may wrap, or divided by GDiv), which the termination check and
//     the induction variables measure loops with.
//
// Packet bounds are three facts: State.PacketMin, a proven lower bound on
// the packet length that pointers at constant offsets use; Value.Range,
// the bytes proven before data_end past one pointer with a variable
// offset; and for scalars, Value.Bounded/Slack, "i + Slack <= the packet's
// length", which a comparison of i with data_end - data (or of data + i
// with data_end) proves and data + i inherits (State.PktRel keeps the same
// fact per relation ID, for pointers derived later). A pointer's 32-bit
// truncation is unusable, except that the 32-bit difference of two in one
// region is a number: clang computes (u32)(data_end - data) so.
// The stack is one tag per byte (uninitialised, number, other) plus the
// values spilled whole, which is how pointers survive a spill.
//
// # Analysis
//
// Functions are analysed once per calling context (the chain of local
// calls), so a callee sees its arguments' exact types; contexts are limited
// to 8 frames and the stack summed over a chain to 512 bytes (reported at
// the call that first exceeds it, whatever other errors there are). Loops are
// natural loops of the dominator tree (loops.go), so clang's rotated loops
// have their real head. A worklist iterates blocks to a fixpoint, joining
// at block entries and widening at loop heads (to thresholds taken from
// the program's comparison constants, keeping the low known bits: a
// counter stepping by 4 stays a multiple of 4) after a few plain rounds;
// descending (narrowing) rounds then recover bounds widening overshot. A
// final pass over the fixpoint reports diagnostics and records Facts, so
// no diagnostic comes from a state that was not yet stable. After a failed
// check the path goes on with a repaired state, so independent errors are
// all reported.
//
// Loop heads are refined by induction facts (iv.go): locations that enter
// a loop with one constant and change by one constant on every iteration
// are v0 + s·k after k iterations, so the exit test on one ("i != 32")
// bounds the iteration count and thereby every other (an offset 4·i), on
// its own lattice; locations no iteration changes keep their entry value.
// Two that step in proportion from entries affine in an enclosing loop's
// count (j = i; p = &a[i]) keep a constant difference, p = a + 4j, so
// each range bounds the other.
// The facts are gathered by one round of the analysis and used by the
// next, which must confirm them (verifyProgram).
//
// Array segments (segment.go): a value may carry the fact that the stack
// bytes from a constant offset up to itself plus a constant hold numbers.
// Induction variables with a positive step through which the loop stores
// at least a step's width of numbers get the fact at their loop head (an
// empty segment on entry, each back edge must bring it back or the round
// is redone without it); copies and constant moves keep it, a store of
// anything but a number into the frame ends it, and the bytes it proves
// for the value's minimum become initialised, so a loop that ran to its
// bound leaves its whole array initialised and one that stopped early
// leaves a[0..i).
//
// With Options.CheckTermination every loop needs a ranking location: a
// register or spilled value that changes by a constant on every iteration
// without wrapping (or is divided by a constant while positive) and is
// bounded at the loop head (termination.go); a cycle with several entries
// (irreducible control flow) is rejected.
//
// # Checks
//
// Reads of registers and stack need initialisation; every load, store and
// atomic is checked against its region (stack frame bounds, context fields
// and their writability, packet bytes proven before data_end, metadata
// proven before data, map value size, read-only globals); atomics need
// natural alignment; pointers may not be stored where the runtime or
// another program sees them (maps, packets, context) nor returned, and a
// returned number must be one of the program type's results
// (platform.ProgramType.Results, on the low 32 bits for 32-bit hooks); helper
// calls are checked against the platform's prototypes (platform.Helper)
// and their return types applied; helpers that move the packet invalidate
// every packet pointer.
//
// # Assumptions
//
// The runtime delivers at most MaxPacketSize bytes of linear packet data
// (which bounds data_end - data, and every index checked against it) and
// packet addresses do not wrap around the address space; legacy packet
// loads (BPF_ABS/IND) are bounds-checked by the code
// generator, as their semantics require.
package verifier
