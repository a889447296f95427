// Package collection runs an eBPF collection embedded in a Go package: the
// runtime library of the packages `bpf2native gen` writes for go:generate.
//
// A generated package embeds two things: the eBPF object clang built (the
// description of programs, maps and globals, and the code the interpreter
// runs) and, per architecture, the native code bpf2native compiled from it
// (an ELF object of linker/elf, verified when it was generated). NewSpec
// decodes the eBPF object; Spec.Load creates the maps and globals in a
// host.Runtime and binds the programs to an engine:
//
//   - EngineNative runs the embedded native code in process (package
//     loader): linux/amd64 and linux/arm64 builds with cgo.
//   - EngineInterp runs the reference interpreter (package interp), with
//     every memory access checked, on any OS and architecture Go builds for.
//   - EngineAuto, the default, picks native code where this build can run
//     it and the interpreter elsewhere; the environment variable
//     BPF2NATIVE_ENGINE=interp (or native) overrides it, so a test suite can
//     be run under either engine unchanged.
//
// Both engines share the same runtime, so programs, maps and globals behave
// the same whichever runs them. The generated code stays thin and typed:
// Map, Variable and VariableSpec are generic over the Go types the generator
// derived from BTF, and encode them in the little-endian layout eBPF uses.
//
// A Collection serializes its program runs and map operations: it may be
// used from several goroutines, one operation at a time.
package collection
