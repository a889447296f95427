/* SPDX-License-Identifier: MIT */
/*
 * Operations that -mcpu=v4 encodes with the v4 instructions: sign-extending loads
 * (ldsx) of signed char, short and int, sign-extending register moves (movsx) from
 * narrowing casts, signed division and modulo (sdiv/smod) in 32 and 64 bits, and
 * unconditional byte swaps (bswap16/32/64) from __builtin_bswap*. Compiled for v3 the
 * same source gives the older sequences (shift pairs, be/le, unsigned division with
 * sign fix-ups below), so X.o and X.v4.o must compute the same results.
 *
 * Division is guarded in the source (divisor zero, INT_MIN / -1) because those are
 * undefined in C; the eBPF-defined results are the conformance suite's business.
 *
 * Helper-free: also compiles with gcc as plain C (gcc oracle).
 *   sample_v4  (sample_ext)
 */
#include "bpf2native.h"

#if defined(__bpf__) && !defined(__BPF_FEATURE_SDIV_SMOD)
/* Before v4 eBPF has only unsigned division: clang rejects signed division, so divide
 * the magnitudes and restore the signs (quotient negative when the signs differ,
 * remainder with the sign of the dividend). Callers exclude b == 0 and MIN / -1. */
static __always_inline s64 sdiv64(s64 a, s64 b)
{
	u64 ua = a < 0 ? -(u64)a : (u64)a, ub = b < 0 ? -(u64)b : (u64)b;
	u64 q = ua / ub;
	return (s64)(((a < 0) != (b < 0)) ? -q : q);
}
static __always_inline s64 smod64(s64 a, s64 b)
{
	u64 ua = a < 0 ? -(u64)a : (u64)a, ub = b < 0 ? -(u64)b : (u64)b;
	u64 r = ua % ub;
	return (s64)(a < 0 ? -r : r);
}
static __always_inline s32 sdiv32(s32 a, s32 b)
{
	u32 ua = a < 0 ? -(u32)a : (u32)a, ub = b < 0 ? -(u32)b : (u32)b;
	u32 q = ua / ub;
	return (s32)(((a < 0) != (b < 0)) ? -q : q);
}
static __always_inline s32 smod32(s32 a, s32 b)
{
	u32 ua = a < 0 ? -(u32)a : (u32)a, ub = b < 0 ? -(u32)b : (u32)b;
	u32 r = ua % ub;
	return (s32)(a < 0 ? -r : r);
}
#else
#define sdiv64(a, b) ((a) / (b))
#define smod64(a, b) ((a) % (b))
#define sdiv32(a, b) ((a) / (b))
#define smod32(a, b) ((a) % (b))
#endif

#define S32_MIN ((s32)0x80000000)
#define S64_MIN ((s64)0x8000000000000000ULL)

SEC("sample_ext")
u64 sample_v4(sample_program_context_t *ctx)
{
	u8 *p = ctx->data_start;
	u8 *end = ctx->data_end;
	u64 acc = 0; /* unsigned: wraps instead of overflowing */
	u64 swaps = 0;
	int i;

	/* 16 bytes per step: a signed byte, a signed short, a signed int and a u64. */
	for (i = 0; i < MAX_PACKET / 16; i++) {
		u8 *q = p + i * 16;
		s8 b;
		s16 h;
		s32 w, d32;
		s64 v, d64;
		u64 u;

		if (q + 16 > end)
			break;
		b = *(s8 *)q;            /* ldsx 8 */
		h = *(s16 *)(q + 2);     /* ldsx 16 */
		w = *(s32 *)(q + 4);     /* ldsx 32 when widened */
		u = *(u64 *)(q + 8);
		v = w;

		/* movsx: narrow a computed register value, then widen it again (narrowing an
		 * out-of-range value keeps the low bits, as gcc and clang define it). */
		acc += (s64)(s8)(u + i);
		acc += (s64)(s16)((u32)w + (u32)h + i);
		acc += (s64)(s32)(u ^ acc);

		/* Signed division by one divisor and modulo by another: with the same
		 * divisor clang would compute the remainder from the quotient. */
		d32 = b;
		if (d32 != 0 && !(w == S32_MIN && d32 == -1))
			acc += sdiv32(w, d32);
		d32 = h;
		if (d32 != 0 && !(w == S32_MIN && d32 == -1))
			acc ^= smod32(w, d32);
		v = (s64)((u64)v * 65599 + u);
		d64 = h;
		if (d64 != 0 && !(v == S64_MIN && d64 == -1))
			acc += sdiv64(v, d64);
		d64 = (s64)u >> 40;
		if (d64 != 0 && !(v == S64_MIN && d64 == -1))
			acc ^= smod64(v, d64);

		swaps ^= __builtin_bswap64(u) + __builtin_bswap32((u32)w) + __builtin_bswap16((u16)h);
	}
	return acc ^ (swaps << 1);
}
