// Package interp is bpf2native's reference interpreter: the semantics of the
// whole eBPF instruction set of RFC 9669 (every conformance group, plus the
// legacy packet loads and callx), executed with checked memory.
//
// Every load, store and atomic, and every pointer a helper is handed, is
// checked against the regions the program was given: its stack frames, its
// context field by field, its packet and the map values of its host.Runtime.
// A violation ends the run with an error naming the program, the instruction
// slot, its source line when known and the access; it never crashes the
// process. That makes the interpreter an oracle twice over: for native code,
// whose results must match it, and for the verifier, whose accepted programs
// must never fault here.
//
// Programs are pre-decoded once (Compile) into a compact form with jump
// targets resolved to indices, immediates widened and one dense opcode per
// behaviour, so the run loop is a single switch. Pre-decoding also picks
// unchecked forms for stack accesses at constant r10 offsets that provably
// stay in the current frame, and fuses the most frequent instruction pairs
// (mov+ALU into a three-address operation, add+conditional jump,
// mov+add+conditional jump) into superinstructions. Other accesses are
// checked inline against the stack and the windows of the last two regions
// accessed, and against every region otherwise.
package interp
