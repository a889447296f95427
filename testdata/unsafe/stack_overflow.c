/* SPDX-License-Identifier: MIT */
/* Unsafe: each function uses 300 bytes of stack; called in a chain, the frames
 * need 600 bytes where eBPF allows 512 in all. */
#include "../include/bpf2native.h"

static __noinline u32 inner(u32 seed)
{
	volatile u8 buf[300];

	for (int i = 0; i < 300; i++)
		buf[i] = (u8)(seed + i);
	return buf[seed % 300];
}

SEC("sample_ext")
int stack_overflow(sample_program_context_t *ctx)
{
	volatile u8 buf[300];

	for (int i = 0; i < 300; i++)
		buf[i] = (u8)(ctx->uint32_data + i);
	return inner(buf[ctx->uint16_data % 300]);
}
