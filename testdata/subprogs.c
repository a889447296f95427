/* SPDX-License-Identifier: MIT */
/*
 * bpf-to-bpf calls: static __noinline functions become eBPF sub-programs with their
 * own stack frames. Covers a five-argument call (all of r1-r5), packet pointers
 * passed down a call chain three deep (entry -> checksum_blocks -> block_sum ->
 * fold16), a callee writing through a pointer into its caller's stack, and a u64
 * return. Every argument is data-dependent so that clang cannot specialise a callee.
 *
 * Helper-free: also compiles with gcc as plain C (gcc oracle).
 *   sample_subprogs  (sample_ext)
 */
#include "bpf2native.h"

/* Depth 3: fold a 32-bit one's complement sum. */
static __noinline u32 fold16(u32 sum)
{
	sum = (sum & 0xFFFF) + (sum >> 16);
	return (sum & 0xFFFF) + (sum >> 16);
}

/* Depth 2: one's complement sum of one 64-byte block starting at p. */
static __noinline u32 block_sum(u8 *p, u8 *end)
{
	u32 sum = 0;
	int i;

	for (i = 0; i < 32; i++) {
		if (p + i * 2 + 2 > end)
			break;
		sum += *(u16 *)(p + i * 2);
	}
	return fold16(sum);
}

/* Depth 1: sum of the per-block sums over the whole buffer. */
static __noinline u32 checksum_blocks(u8 *p, u8 *end)
{
	u32 sum = 0;
	int i;

	NO_UNROLL
	for (i = 0; i < MAX_PACKET / 64; i++) {
		if (p + i * 64 + 1 > end)
			break;
		sum += block_sum(p + i * 64, end);
	}
	return fold16(sum);
}

/* Five arguments, all of them used, mixed into a 64-bit result. */
static __noinline u64 mix5(u64 a, u64 b, u32 c, u16 d, u8 e)
{
	u64 x = a * 0x9E3779B97F4A7C15ULL;
	x ^= (b << 7) | (b >> 57);
	x += (u64)c * 0xff51afd7ULL;
	x ^= (u64)d << 40;
	return x - e;
}

/* Min and max byte, stored into the caller's stack through out. */
static __noinline void byte_range(u8 *p, u8 *end, u8 *out)
{
	u8 lo = 0xFF, hi = 0;
	int i;

	for (i = 0; i < MAX_PACKET; i++) {
		if (p + i + 1 > end)
			break;
		if (p[i] < lo)
			lo = p[i];
		if (p[i] > hi)
			hi = p[i];
	}
	out[0] = lo;
	out[1] = hi;
}

SEC("sample_ext")
u64 sample_subprogs(sample_program_context_t *ctx)
{
	u8 *p = ctx->data_start;
	u8 *end = ctx->data_end;
	u8 range[2];
	u32 csum;
	u64 len = (u64)(end - p);

	byte_range(p, end, range);
	csum = checksum_blocks(p, end);
	return mix5(len, csum, ctx->uint32_data + csum, range[0] | (range[1] << 8),
		    (u8)(len ^ range[1]));
}
