// Package amd64 is bpf2native's x86-64 machine: it lowers optimized SSA
// to amd64 instructions on virtual registers (lower.go), presents them to
// the ISA-independent register allocator (machine.go, instr.go), lays out
// the frame and adds the prologue and epilogues (machine_pro_epi_logue.go)
// and encodes through golang-asm (instr_encoding.go, internal/asm). The
// System V and Microsoft x64 conventions are two backend.ABI values
// (abi.go); the machine reads them and hard-codes neither.
//
// Importing the package registers the arch "amd64" with package backend.
package amd64
