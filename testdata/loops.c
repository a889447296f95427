/* SPDX-License-Identifier: MIT */
/*
 * Bounded loops of every shape clang emits as real back-edges (unrolling disabled):
 * a counted loop over the buffer filling a stack histogram, a nested pattern search,
 * a while loop with a data-dependent trip count and an explicit cap, a do-while
 * loop, and a count-down loop reading the histogram back with a variable index.
 *
 * Helper-free: also compiles with gcc as plain C (gcc oracle).
 *   sample_loops  (sample_ext)
 */
#include "bpf2native.h"

#define PATTERN_LEN 3

SEC("sample_ext")
u64 sample_loops(sample_program_context_t *ctx)
{
	u8 *p = ctx->data_start;
	u8 *end = ctx->data_end;
	u32 hist[16] = {0};
	u32 matches = 0, steps = 0, digits = 0, weighted = 0;
	u32 x;
	int i, j;

	/* Nibble histogram of the whole buffer. */
	NO_UNROLL
	for (i = 0; i < MAX_PACKET; i++) {
		if (p + i + 1 > end)
			break;
		hist[p[i] & 0xF]++;
		hist[p[i] >> 4]++;
	}

	/* Count the places where the first PATTERN_LEN bytes occur again later. */
	if (p + PATTERN_LEN <= end) {
		NO_UNROLL
		for (i = 1; i < MAX_PACKET; i++) {
			int same = 1;
			if (p + i + PATTERN_LEN > end)
				break;
			NO_UNROLL
			for (j = 0; j < PATTERN_LEN; j++) {
				if (p[i + j] != p[j]) {
					same = 0;
					break;
				}
			}
			matches += same;
		}
	}

	/* Collatz steps from a start taken from the buffer, capped at 512 steps. */
	x = (u32)(end - p) + (p < end ? p[0] : 0) + 1;
	NO_UNROLL
	while (x != 1 && steps < 512) {
		x = (x & 1) ? 3 * x + 1 : x / 2;
		steps++;
	}

	/* Decimal digit sum of the match count (runs at least once). */
	x = matches + steps * 1000;
	NO_UNROLL
	do {
		digits += x % 10;
		x /= 10;
	} while (x != 0);

	/* Weighted histogram, counting down. */
	NO_UNROLL
	for (i = 15; i >= 0; i--)
		weighted = weighted * 31 + hist[i] * (u32)(i + 1);

	return ((u64)matches << 48) ^ ((u64)steps << 32) ^ ((u64)digits << 24) ^ weighted;
}
