/* SPDX-License-Identifier: MIT */
/*
 * Atomic read-modify-write on global variables, one of each eBPF atomic operation
 * in 32 and 64 bits: add without fetch (the old "xadd"), fetch-add, fetch-or,
 * fetch-and, fetch-xor, compare-and-exchange and exchange. Operands come from the
 * buffer so nothing folds. The globals persist between runs like any .bss/.data.
 *
 * Helper-free: also compiles with gcc as plain C (gcc oracle).
 *   sample_atomics  (sample_ext)
 */
#include "bpf2native.h"

#define ATOMIC_WORDS 64

u64 total64;
u32 total32;
u64 count64;
u32 bits_or32;
u64 bits_and64 = ~0ULL;
u32 bits_xor32;
u64 last_cas64;
u32 last_xchg32;

SEC("sample_ext")
u64 sample_atomics(sample_program_context_t *ctx)
{
	u8 *p = ctx->data_start;
	u8 *end = ctx->data_end;
	u64 olds = 0;
	int i;

	NO_UNROLL
	for (i = 0; i < ATOMIC_WORDS; i++) {
		u32 w;
		u64 expected;
		if (p + i * 4 + 4 > end)
			break;
		w = *(u32 *)(p + i * 4);

		/* Results unused: plain atomic add (no fetch). */
		__sync_fetch_and_add(&total64, w);
		__sync_fetch_and_add(&total32, w);

		/* Results used: the fetch forms. */
		olds += __sync_fetch_and_add(&count64, 1);
		olds ^= __sync_fetch_and_or(&bits_or32, w);
		olds += __sync_fetch_and_and(&bits_and64, ((u64)w << 32) | ~w);
		olds ^= (u64)__sync_fetch_and_xor(&bits_xor32, w) << 16;

		/* Replace last_cas64 only when it still holds what was read; the loaded
		 * value changes whenever the packet words differ. */
		expected = last_cas64;
		olds += __sync_val_compare_and_swap(&last_cas64, expected & (w | 1), expected + w);
		olds ^= __sync_lock_test_and_set(&last_xchg32, w);
	}
	return olds;
}
