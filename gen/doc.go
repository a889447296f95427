// Package gen is the generator behind `bpf2native gen`, bpf2native's
// equivalent of cilium/ebpf's bpf2go for go:generate: from an eBPF program
// in C (or an object clang already built) it writes a Go package that runs
// the program in process, natively where it can and under the interpreter
// everywhere else, through a typed API.
//
// Generate compiles the C with clang as bpf2go does (cilium/ebpf's
// cmd/bpf2go/gen: fixed flags, debug paths made relative, DWARF stripped, so
// the object is reproducible), verifies every program, compiles native code
// for each requested architecture (linker/elf objects), derives Go types
// from BTF with btf.GoFormatter, and returns the files:
//
//	STEM_bpfel.o                the eBPF object (embedded; what bpf2go writes)
//	STEM_bpf2native.go          the typed API and the embedding of the eBPF object
//	STEM_bpf2native_ARCH.o      native code for linux/ARCH, per architecture
//	STEM_bpf2native_ARCH.go     its embedding, built only on linux/ARCH
//	STEM_bpf2native_other.go    everywhere else: no native code, the interpreter runs
//	STEM_kernel_bpfel.go        with Kernel: bpf2go's cilium/ebpf bindings of the
//	                            same object, to load it into a Linux kernel
//	STEM_windows_ARCH.sys       with Windows: the driver for ebpf-for-windows
//
// The generated code calls package collection, which loads the embedded
// objects and runs them. Every file is a function of the inputs alone: the
// same source and flags give the same bytes, so a CI job can regenerate and
// compare.
//
// The package uses cilium/ebpf's bpf2go gen package, which does not build
// on Windows; neither does this one.
package gen
