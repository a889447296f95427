/* SPDX-License-Identifier: MIT */
/*
 * Bit tricks over every 32-bit word of the buffer: population count, count of leading
 * and trailing zeros, bit reversal by mask-and-shift ladders, Gray code and its
 * inverse (a prefix xor). Each word is replaced by reverse(word) ^ gray(word), so the
 * buffer bytes afterwards check the per-word results; the return value packs the
 * totals (errors, popcount, clz, ctz) with the parity word xor-ed over the low bits.
 * BPF has no popcount/clz instructions, so clang expands the builtins into shift/mask
 * sequences.
 *
 * Helper-free: also compiles with gcc as plain C (gcc oracle).
 *   sample_bits  (sample_ext)
 */
#include "bpf2native.h"

static __always_inline u32 bit_reverse(u32 x)
{
	x = ((x >> 1) & 0x55555555) | ((x & 0x55555555) << 1);
	x = ((x >> 2) & 0x33333333) | ((x & 0x33333333) << 2);
	x = ((x >> 4) & 0x0F0F0F0F) | ((x & 0x0F0F0F0F) << 4);
	x = ((x >> 8) & 0x00FF00FF) | ((x & 0x00FF00FF) << 8);
	return (x >> 16) | (x << 16);
}

static __always_inline u32 gray_decode(u32 g)
{
	g ^= g >> 16;
	g ^= g >> 8;
	g ^= g >> 4;
	g ^= g >> 2;
	g ^= g >> 1;
	return g;
}

SEC("sample_ext")
u64 sample_bits(sample_program_context_t *ctx)
{
	u8 *p = ctx->data_start;
	u8 *end = ctx->data_end;
	u64 pop = 0, lz = 0, tz = 0, round_trip_errors = 0;
	u32 parity = 0;
	int i;

	for (i = 0; i < MAX_PACKET / 4; i++) {
		u32 w, gray;
		if (p + i * 4 + 4 > end)
			break;
		w = *(u32 *)(p + i * 4);
		pop += __builtin_popcount(w);
		parity ^= (u32)__builtin_parity(w) << (i & 31);
		/* clz/ctz of zero is undefined in C: count it as 32, as hardware lzcnt does. */
		lz += w ? __builtin_clz(w) : 32;
		tz += w ? __builtin_ctz(w) : 32;
		gray = w ^ (w >> 1);
		if (gray_decode(gray) != w)
			round_trip_errors++;
		*(u32 *)(p + i * 4) = bit_reverse(w) ^ gray;
	}
	return (round_trip_errors << 60) | (pop << 44) | (lz << 30) | ((tz << 16) ^ parity);
}
