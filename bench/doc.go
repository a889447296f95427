// Command bench measures bpf2native against C, in one run so that the
// ratios compare numbers taken under the same machine load, and prints the
// Markdown tables of docs/BENCHMARKS.md:
//
//	go run ./bench            (or: make bench)
//
// Run time: each compute-heavy testdata program is compiled from its
// clang-built eBPF object by backend.Compile (amd64, System V) and linked by
// linker/elf into an ELF object; its C source is compiled as a plain
// function by gcc -O2 and by clang-19 -O2. One C driver per program
// (bench/c/cbench.c, built with gcc) links all three, fills the native
// object's tables (globals point at copies of their initial bytes) and
// times each in a loop, in C, interleaving the engines batch by batch. The
// interpreter is timed on the same packet from Go. Every engine's result
// must equal the interpreter's. Code size is the native program's functions
// (entry and sub-programs) against the C function and the functions of its
// object it calls (nm -S, objdump -d).
//
// Compile speed: the whole pipeline (load or decode, lift, SSA passes,
// lowering, register allocation, encoding, metadata and ELF link) on the
// largest testdata object and on generated one-function programs of
// 10,000, 30,000 and 100,000 instructions (-sizes), in instructions per
// second, with the time of each stage.
//
// Flags select the parts (-runtime, -compile, -kernels), the timing
// (-batch, -batches), keep the work directory with every object and driver
// (-keep), or profile the compiler (-cpuprofile). Work files go to a
// private directory under $TMPDIR (native-bench-*).
//
// -arch arm64 (make bench-arm64) prints the arm64 table instead: native
// code for arm64/aapcs64 and the C source built by aarch64-linux-gnu-gcc
// -O2 in the same C driver (static, no clang), run under qemu-user (-exec),
// and the interpreter as this program built with GOARCH=arm64 and run under
// qemu with -interp-only. Ratios only: qemu's absolute times mean nothing.
package main
