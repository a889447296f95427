//go:build linux && (amd64 || arm64) && cgo

#include <setjmp.h>
#include <stdint.h>

#include "native.h"
#include "_cgo_export.h"

// The run in progress on this thread and where to go when a helper aborts
// it. A cgo call keeps its goroutine on one thread until it returns, so
// thread-local state follows the run into every callback it makes.
static __thread uintptr_t current_run;
static __thread jmp_buf *current_abort;

uint64_t bpf2native_call(uintptr_t fn, uintptr_t ctx, uint64_t r2, uintptr_t run, int *aborted)
{
	uintptr_t saved_run = current_run;
	jmp_buf *saved_abort = current_abort;
	jmp_buf abort_to;
	volatile uint64_t r0 = 0;

	current_run = run;
	current_abort = &abort_to;
	// The program's ABI is uint64_t f(void *ctx); passing r2 in the second
	// argument register as well is harmless there and lets code built for
	// raw-memory programs (the conformance suite's r2 = length) see it.
	if (setjmp(abort_to) == 0) {
		r0 = ((uint64_t (*)(void *, uint64_t))fn)((void *)ctx, r2);
	} else {
		// A helper failed in a way no verified program can cause. The
		// Go callback has already returned, so jumping over the
		// generated code's frames (which hold nothing to unwind) is safe.
		*aborted = 1;
	}
	current_run = saved_run;
	current_abort = saved_abort;
	return r0;
}

void bpf2native_flush(uintptr_t start, uintptr_t end)
{
	__builtin___clear_cache((char *)start, (char *)end);
}

#define TRAMPOLINE(hi, lo)                                                              \
	static uint64_t trampoline_##hi##_##lo(uint64_t r1, uint64_t r2, uint64_t r3,   \
					       uint64_t r4, uint64_t r5)                \
	{                                                                               \
		int abort = 0;                                                          \
		uint64_t r0 = bpf2nativeHelper(current_run, (hi) * 16 + (lo), r1, r2,   \
					       r3, r4, r5, &abort);                     \
		if (abort)                                                              \
			longjmp(*current_abort, 1);                                     \
		return r0;                                                              \
	}
#define TRAMPOLINE_ROW(hi)                                                                  \
	TRAMPOLINE(hi, 0) TRAMPOLINE(hi, 1) TRAMPOLINE(hi, 2) TRAMPOLINE(hi, 3)             \
	TRAMPOLINE(hi, 4) TRAMPOLINE(hi, 5) TRAMPOLINE(hi, 6) TRAMPOLINE(hi, 7)             \
	TRAMPOLINE(hi, 8) TRAMPOLINE(hi, 9) TRAMPOLINE(hi, 10) TRAMPOLINE(hi, 11)           \
	TRAMPOLINE(hi, 12) TRAMPOLINE(hi, 13) TRAMPOLINE(hi, 14) TRAMPOLINE(hi, 15)

TRAMPOLINE_ROW(0) TRAMPOLINE_ROW(1) TRAMPOLINE_ROW(2) TRAMPOLINE_ROW(3)
TRAMPOLINE_ROW(4) TRAMPOLINE_ROW(5) TRAMPOLINE_ROW(6) TRAMPOLINE_ROW(7)
TRAMPOLINE_ROW(8) TRAMPOLINE_ROW(9) TRAMPOLINE_ROW(10) TRAMPOLINE_ROW(11)
TRAMPOLINE_ROW(12) TRAMPOLINE_ROW(13) TRAMPOLINE_ROW(14) TRAMPOLINE_ROW(15)

#define ADDRESS(hi, lo) (void *)trampoline_##hi##_##lo,
#define ADDRESS_ROW(hi)                                                             \
	ADDRESS(hi, 0) ADDRESS(hi, 1) ADDRESS(hi, 2) ADDRESS(hi, 3) ADDRESS(hi, 4)  \
	ADDRESS(hi, 5) ADDRESS(hi, 6) ADDRESS(hi, 7) ADDRESS(hi, 8) ADDRESS(hi, 9)  \
	ADDRESS(hi, 10) ADDRESS(hi, 11) ADDRESS(hi, 12) ADDRESS(hi, 13)             \
	ADDRESS(hi, 14) ADDRESS(hi, 15)

void *bpf2native_trampolines[BPF2NATIVE_TRAMPOLINES] = {
	ADDRESS_ROW(0) ADDRESS_ROW(1) ADDRESS_ROW(2) ADDRESS_ROW(3)
	ADDRESS_ROW(4) ADDRESS_ROW(5) ADDRESS_ROW(6) ADDRESS_ROW(7)
	ADDRESS_ROW(8) ADDRESS_ROW(9) ADDRESS_ROW(10) ADDRESS_ROW(11)
	ADDRESS_ROW(12) ADDRESS_ROW(13) ADDRESS_ROW(14) ADDRESS_ROW(15)
};

static uint64_t callx_helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, uint64_t id)
{
	int abort = 0;
	uint64_t r0 = bpf2nativeHelperByID(current_run, id, r1, r2, r3, r4, r5, &abort);
	if (abort)
		longjmp(*current_abort, 1);
	return r0;
}

static uint64_t callx_trap(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, uint64_t id)
{
	(void)r1; (void)r2; (void)r3; (void)r4; (void)r5;
	bpf2nativeNoHelper(current_run, id);
	longjmp(*current_abort, 1);
}

void *bpf2native_callx_helper = (void *)callx_helper;
void *bpf2native_callx_trap = (void *)callx_trap;
