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
//     difference of their Deltas (so bounding one copy bounds all), packet
//     pointers with one ID share their variable part (so a check of
//     p+14 <= data_end makes p's first 14 bytes readable), nullable pointers
//     with one ID are null together (so a null check of a copy counts).
//
// Packet bounds are two facts: State.PacketMin, a proven lower bound on the
// packet length that pointers at constant offsets use, and Value.Range, the
// bytes proven before data_end past one pointer with a variable offset.
// The stack is one tag per byte (uninitialised, number, other) plus the
// values spilled whole, which is how pointers survive a spill.
//
// # Analysis
//
// Functions are analysed once per calling context (the chain of local
// calls), so a callee sees its arguments' exact types; contexts are limited
// to 8 frames and the stack summed over a chain to 512 bytes. A worklist
// iterates blocks to a fixpoint, joining at block entries and widening at
// loop heads (to thresholds taken from the program's comparison constants)
// after a few plain rounds; descending (narrowing) rounds then recover
// bounds widening overshot. A final pass over the fixpoint reports
// diagnostics and records Facts, so no diagnostic comes from a state that
// was not yet stable. After a failed check the path goes on with a repaired
// state, so independent errors are all reported.
//
// With Options.CheckTermination every loop needs a ranking location: a
// register or spilled value that changes by a constant on every iteration
// without wrapping and is bounded at the loop head (termination.go).
//
// # Checks
//
// Reads of registers and stack need initialisation; every load, store and
// atomic is checked against its region (stack frame bounds, context fields
// and their writability, packet bytes proven before data_end, metadata
// proven before data, map value size, read-only globals); atomics need
// natural alignment; pointers may not be stored where the runtime or
// another program sees them (maps, packets, context) nor returned; helper
// calls are checked against the platform's prototypes (platform.Helper)
// and their return types applied; helpers that move the packet invalidate
// every packet pointer.
//
// # Assumptions
//
// The runtime delivers at most MaxPacketSize bytes of linear packet data;
// legacy packet loads (BPF_ABS/IND) are bounds-checked by the code
// generator, as their semantics require.
package verifier
