/* SPDX-License-Identifier: MIT */
/* Unsafe: sums an array on the stack of which only the first half was written. */
#include "../include/bpf2native.h"

SEC("sample_ext")
int uninit_stack(sample_program_context_t *ctx)
{
	volatile u32 words[8];
	u32 sum = 0;

	for (int i = 0; i < 4; i++)
		words[i] = ctx->uint32_data + i;
	NO_UNROLL
	for (int i = 0; i < 8; i++)
		sum += words[i];
	return sum;
}
