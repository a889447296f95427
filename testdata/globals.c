/* SPDX-License-Identifier: MIT */
/*
 * Global variables in every section clang puts them in for BPF:
 *   .rodata         const tables, and a libbpf-style "const volatile" knob whose
 *                   loads clang may not fold (a loader may patch it before loading)
 *   .rodata.str1.1  a string literal read with variable indices
 *   .data           initialised variables
 *   .bss            zero-initialised variables, updated on every run
 *   .data.custom    a named data section chosen with a section attribute
 * State in .data/.bss persists from one run to the next (also in the gcc oracle, where
 * all inputs of one driver run share the globals), so the results depend on the
 * order of the inputs.
 *
 * Helper-free: also compiles with gcc as plain C (gcc oracle).
 *   sample_globals  (sample_ext)
 */
#include "bpf2native.h"

#define NUM_METHODS 4
#define METHOD_LEN 4

const volatile u32 cfg_big_packet = 512;
static const u32 method_weight[NUM_METHODS + 1] = {1, 10, 100, 1000, 10000};

u64 seed = 0x243F6A8885A308D3ULL;
static u32 generation = 1;

u64 runs;
u64 bytes_seen;
static u32 method_hits[NUM_METHODS + 1];

__attribute__((section(".data.custom"))) u32 custom_multiplier = 33;

/* Index of the HTTP method the buffer starts with (0-3), or NUM_METHODS for none. The
 * four 4-byte method names are packed into one literal. */
static __always_inline u32 match_method(u8 *p, u8 *end)
{
	u32 m, j;

	if (p + METHOD_LEN > end)
		return NUM_METHODS;
	NO_UNROLL
	for (m = 0; m < NUM_METHODS; m++) {
		NO_UNROLL
		for (j = 0; j < METHOD_LEN; j++) {
			if (p[j] != (u8)"GET POSTPUT HEAD"[m * METHOD_LEN + j])
				break;
		}
		if (j == METHOD_LEN)
			return m;
	}
	return NUM_METHODS;
}

SEC("sample_ext")
u64 sample_globals(sample_program_context_t *ctx)
{
	u8 *p = ctx->data_start;
	u8 *end = ctx->data_end;
	u64 len = (u64)(end - p);
	u32 m = match_method(p, end);

	runs++;
	bytes_seen += len;
	method_hits[m]++;
	seed = seed * custom_multiplier + len + method_weight[m];
	if (len > cfg_big_packet)
		generation++;
	return seed ^ ((u64)generation << 48) ^ ((u64)method_hits[m] << 32) ^ (runs << 16) ^
	       bytes_seen;
}
