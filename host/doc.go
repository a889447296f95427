// Package host is the runtime that eBPF programs run against in this
// process: their maps, their helpers, their context and packet, all in real
// host memory.
//
// Both engines share it. The interpreter (package interp) reads and writes
// program memory through Go slices after checking every access against the
// regions listed here; native code compiled by bpf2native and loaded into the
// process later dereferences the same addresses directly. That is why every
// buffer a program can see is a Go-allocated byte slice kept alive by the
// Runtime or the Context (Go's collector does not move heap objects) and every
// eBPF pointer is that slice's real address.
//
// Helpers are implemented once, under their canonical names, and bound to the
// ids a platform's table gives those names, so "bpf_tail_call" is helper 5 on
// Windows and 12 on Linux without a second implementation. A helper reads its
// pointer arguments through a Memory supplied by whoever runs the program, so
// the interpreter can check them and native code can pass an unchecked view.
//
// A Runtime is not safe for concurrent use: one program runs at a time.
package host
