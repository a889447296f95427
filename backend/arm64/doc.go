// Package arm64 is bpf2native's AArch64 machine: it lowers optimized SSA
// to arm64 instructions on virtual registers (lower.go), presents them to
// the ISA-independent register allocator (machine.go, instr.go), lays out
// the frame and adds the prologue and epilogues (machine_pro_epi_logue.go)
// and encodes through golang-asm (instr_encoding.go, internal/asm). The
// AAPCS64 convention and the Windows ARM64 one of ebpf-for-windows
// drivers are backend.ABI values (abi.go).
//
// Two registers are never allocated: x16 and x17 (IP0 and IP1, which
// AAPCS64 lets any call clobber) are the scratch registers of the
// encoder, for helper-table addresses, large offsets and the status and
// new value of LL/SC loops. x18 (the platform register, reserved on
// Windows and Apple platforms), x29 (the frame pointer of frame records)
// and x30 (the link register) are not allocated either. Atomics are
// load-exclusive/store-exclusive loops, which every ARMv8.0 core runs;
// docs/ARM64.md says why LSE is not the default.
//
// Importing the package registers the arch "arm64" with package backend.
package arm64
