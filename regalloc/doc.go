// Package regalloc is bpf2native's register allocator. It knows no ISA: a
// backend presents its machine code through the Function, Block and Instr
// interfaces and its registers as data (RegisterInfo), including the
// registers its instructions fix (call arguments, shift counts, division)
// and those calls clobber. Allocate assigns physical registers to virtual
// ones over live ranges, spills where registers run out, inserts the
// reloads and stores, removes copies that became no-ops and reports the
// callee-saved registers the prologue must save.
//
// regalloc.go states the interfaces and explains the algorithm; the
// tests run it on a small mock ISA.
package regalloc
