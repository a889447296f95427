// Package loader runs bpf2native's native code inside this process: from a
// backend.Object in memory (Load) or from an ELF object linker/elf wrote
// (LoadELF). It binds the code to a host.Runtime — helpers, maps, global
// sections — shared with the interpreter, so the same program can run on
// both and be compared.
//
// An Image is one mapping: the code, then the helper, map and map-value
// tables on pages of their own. The mapping is created writable and not
// executable; once the code is copied and relocated and the tables filled,
// the code pages become read+execute and the table pages read-only. No page
// is ever writable and executable at once.
//
// Helper slots hold C trampolines (cgo) that call back into Go and dispatch
// to the runtime's helpers with an unchecked host.Memory: native code has no
// memory checks, the verifier is the safety. A helper error (a pointer or
// map no verified program could pass) aborts the run: the trampoline unwinds
// to the call with longjmp and Run returns the error. Tail calls follow
// ebpf-for-windows: a program returns right after a successful bpf_tail_call
// and Run then calls the target with the same context, at most
// host.MaxTailCalls times per run.
//
// The package needs cgo and runs only code for the machine it was built
// for: linux/amd64 (System V) and linux/arm64 (AAPCS64; tested as an arm64
// build under qemu-aarch64, see docs/ARM64.md). Elsewhere Load and LoadELF
// return ErrUnsupported.
package loader
