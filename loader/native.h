// Native side of package loader: calling compiled programs and the helper
// trampolines they call back through.
#ifndef BPF2NATIVE_LOADER_NATIVE_H
#define BPF2NATIVE_LOADER_NATIVE_H

#include <stdint.h>

// BPF2NATIVE_TRAMPOLINES is how many helper-table slots an image may have:
// one C trampoline per slot, since the code passes the helper nothing but
// r1-r5 and the trampoline's own address is all that tells slots apart.
#define BPF2NATIVE_TRAMPOLINES 256

extern void *bpf2native_trampolines[BPF2NATIVE_TRAMPOLINES];

// The functions of the helper-id table (callx): code passes the helper id
// it asked for as a sixth argument. bpf2native_callx_helper runs the
// helper of that id; bpf2native_callx_trap, in the slots of ids without a
// helper and in slot 0 (where ids beyond the table go), stops the run.
extern void *bpf2native_callx_helper;
extern void *bpf2native_callx_trap;

// bpf2native_call calls fn(ctx, r2) with run as the thread's current run,
// which the trampolines hand to Go. If a helper aborts the run, it returns 0
// and sets *aborted.
uint64_t bpf2native_call(uintptr_t fn, uintptr_t ctx, uint64_t r2, uintptr_t run, int *aborted);

// bpf2native_flush makes freshly written code visible to instruction fetch
// (a no-op on amd64, required on arm64).
void bpf2native_flush(uintptr_t start, uintptr_t end);

#endif
