/* SPDX-License-Identifier: MIT */
/*
 * Insertion sort on the stack: up to 32 little-endian u32 words are copied from the
 * buffer into a stack array, sorted in place (nested loops, data-dependent stack
 * indices), and written back over the buffer. Returns count << 32 | median.
 *
 * Helper-free: also compiles with gcc as plain C (gcc oracle).
 *   sample_sort  (sample_ext)
 */
#include "bpf2native.h"

#define SORT_MAX 32

SEC("sample_ext")
u64 sample_sort(sample_program_context_t *ctx)
{
	u8 *p = ctx->data_start;
	u8 *end = ctx->data_end;
	/*
	 * Zeroed, as eBPF programs do for verifiers that track which stack
	 * bytes are written: the loops below only ever read a[0..n), but
	 * proving it takes j <= i < n across three loops, scaled by 4 and
	 * tied to the first loop's byte offset: relations between registers
	 * of different loops that bpf2native's verifier does not keep.
	 */
	u32 a[SORT_MAX] = {0};
	u32 n = 0, key, j;
	int i, k;

	NO_UNROLL
	for (i = 0; i < SORT_MAX; i++) {
		if (p + i * 4 + 4 > end)
			break;
		a[i] = *(u32 *)(p + i * 4);
		n++;
	}
	if (n == 0)
		return 0;

	NO_UNROLL
	for (i = 1; i < SORT_MAX; i++) {
		if ((u32)i >= n)
			break;
		key = a[i];
		j = i;
		/* Shift larger elements right; at most i steps, so j stays in [0, i]. */
		NO_UNROLL
		for (k = 0; k < SORT_MAX; k++) {
			if (j == 0 || a[j - 1] <= key)
				break;
			a[j] = a[j - 1];
			j--;
		}
		a[j] = key;
	}

	NO_UNROLL
	for (i = 0; i < SORT_MAX; i++) {
		if ((u32)i >= n || p + i * 4 + 4 > end)
			break;
		*(u32 *)(p + i * 4) = a[i];
	}
	return ((u64)n << 32) | a[n / 2];
}
