/* SPDX-License-Identifier: MIT */
/* Unsafe: the loop runs until the context says stop, which may be never. */
#include "../include/bpf2native.h"

SEC("sample_ext")
int unbounded_loop(sample_program_context_t *ctx)
{
	volatile u32 *flag = &ctx->uint32_data;
	u32 n = 0;

	while (*flag != 0)
		n++;
	return n;
}
