// Package ir is the module model every later stage of bpf2native reads: the
// programs of one eBPF object with their functions and decoded instructions,
// the maps and global sections they reference, the helpers they call and the
// source position of each instruction.
//
// An ir.Module is produced by frontend/elf from a clang-built object, or by
// Decode from raw bytecode (the conformance suite), and is never mutated by
// later stages: the verifier, the lifter to SSA, the interpreter and the
// linkers all read it. Its text dump is stable, so tests compare it against
// golden files.
//
// Instructions reuse cilium/ebpf's asm.Instruction for decoding and printing.
// What ir adds is resolution: every jump and local call knows the index of
// the instruction it reaches, every map load knows the map it names, and every
// instruction knows its function and its source line.
package ir
