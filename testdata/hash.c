/* SPDX-License-Identifier: MIT */
/*
 * Hash kernels over the whole buffer: FNV-1a (byte at a time, 64-bit multiply),
 * a MurmurHash3-style 32-bit hash (word at a time, rotates, tail bytes) and a
 * Jenkins lookup3-style hash (12-byte blocks, three-word mix). They are benchmark
 * kernels as much as tests: long loop-carried chains of ALU work with one bounds
 * check per iteration. ctx->uint32_data is the seed.
 *
 * Helper-free: also compiles with gcc as plain C (gcc oracle).
 *   sample_fnv1a    (sample_ext)
 *   sample_murmur3  (sample_ext)
 *   sample_jhash    (sample_ext)
 */
#include "bpf2native.h"

#define FNV64_OFFSET 0xcbf29ce484222325ULL
#define FNV64_PRIME 0x100000001b3ULL

static __always_inline u32 rotl32(u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

SEC("sample_ext")
u64 sample_fnv1a(sample_program_context_t *ctx)
{
	u8 *p = ctx->data_start;
	u8 *end = ctx->data_end;
	u64 h = FNV64_OFFSET ^ ctx->uint32_data;
	int i;

	for (i = 0; i < MAX_PACKET; i++) {
		if (p + i + 1 > end)
			break;
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return h;
}

/* The 32-bit finaliser: every input bit affects every output bit. */
static __always_inline u32 fmix32(u32 h)
{
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

SEC("sample_ext")
u64 sample_murmur3(sample_program_context_t *ctx)
{
	const u32 c1 = 0xcc9e2d51, c2 = 0x1b873593;
	u8 *p = ctx->data_start;
	u8 *end = ctx->data_end;
	u32 h = ctx->uint32_data;
	u32 k, n = 0;
	int i;

	for (i = 0; i < MAX_PACKET / 4; i++) {
		if (p + i * 4 + 4 > end)
			break;
		k = *(u32 *)(p + i * 4); /* host order; eBPF targets are little-endian here */
		k *= c1;
		k = rotl32(k, 15);
		k *= c2;
		h ^= k;
		h = rotl32(h, 13);
		h = h * 5 + 0xe6546b64;
		n += 4;
	}
	/* 0..3 tail bytes, little-endian into one word. */
	k = 0;
	for (i = 0; i < 3; i++) {
		if (p + n + i + 1 > end)
			break;
		k |= (u32)p[n + i] << (i * 8);
	}
	if (p + n < end) {
		k *= c1;
		k = rotl32(k, 15);
		k *= c2;
		h ^= k;
	}
	h ^= (u32)(end - p);
	return fmix32(h);
}

#define JMIX(a, b, c)                                                                      \
	do {                                                                               \
		a -= c; a ^= rotl32(c, 4); c += b;                                         \
		b -= a; b ^= rotl32(a, 6); a += c;                                         \
		c -= b; c ^= rotl32(b, 8); b += a;                                         \
		a -= c; a ^= rotl32(c, 16); c += b;                                        \
		b -= a; b ^= rotl32(a, 19); a += c;                                        \
		c -= b; c ^= rotl32(b, 4); b += a;                                         \
	} while (0)

#define JFINAL(a, b, c)                                                                    \
	do {                                                                               \
		c ^= b; c -= rotl32(b, 14);                                                \
		a ^= c; a -= rotl32(c, 11);                                                \
		b ^= a; b -= rotl32(a, 25);                                                \
		c ^= b; c -= rotl32(b, 16);                                                \
		a ^= c; a -= rotl32(c, 4);                                                 \
		b ^= a; b -= rotl32(a, 14);                                                \
		c ^= b; c -= rotl32(b, 24);                                                \
	} while (0)

/* lookup3-style: every full 12-byte block is mixed, the 0..11 remaining bytes are
 * added byte by byte into a, b, c, then the final avalanche. Returns b:c. */
SEC("sample_ext")
u64 sample_jhash(sample_program_context_t *ctx)
{
	u8 *p = ctx->data_start;
	u8 *end = ctx->data_end;
	u32 len = (u32)(end - p);
	u32 a, b, c, n = 0;
	u32 tail[3] = {0, 0, 0};
	int i;

	a = b = c = 0xdeadbeef + len + ctx->uint32_data;
	for (i = 0; i < MAX_PACKET / 12; i++) {
		if (p + n + 12 > end)
			break;
		a += *(u32 *)(p + n);
		b += *(u32 *)(p + n + 4);
		c += *(u32 *)(p + n + 8);
		JMIX(a, b, c);
		n += 12;
	}
	for (i = 0; i < 11; i++) {
		if (p + n + i + 1 > end)
			break;
		tail[i / 4] += (u32)p[n + i] << ((i % 4) * 8);
	}
	a += tail[0];
	b += tail[1];
	c += tail[2];
	JFINAL(a, b, c);
	return ((u64)b << 32) | c;
}
