/* SPDX-License-Identifier: MIT */
/*
 * Tail calls through a program array whose slots are filled statically in the
 * object (libbpf-style .values initialiser, relocations against .maps): the
 * dispatcher picks a slot from the first byte of the buffer. Slot 0 tail-calls on
 * into slot 1; slot 2 is left empty, so bpf_tail_call fails and the caller's
 * fall-through path runs. On ebpf-for-windows a successful tail call ends the
 * caller and the runtime runs the target with the same context.
 *
 * Uses maps and helpers: BPF only (not for the gcc oracle).
 *   sample_dispatch  (sample_ext)    sample_tail0, sample_tail1  (sample_ext/0, /1)
 */
#include "bpf2native.h"

#define SLOTS 3

u64 tail_hops; /* callee entries so far, to observe the chain from outside */

int sample_tail0(sample_program_context_t *ctx);
int sample_tail1(sample_program_context_t *ctx);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(max_entries, SLOTS);
	__array(values, int(sample_program_context_t *));
} jump_table SEC(".maps") = {
	.values = {
		[0] = (void *)&sample_tail0,
		[1] = (void *)&sample_tail1,
	},
};

SEC("sample_ext/0")
int sample_tail0(sample_program_context_t *ctx)
{
	__sync_fetch_and_add(&tail_hops, 1);
	bpf_tail_call(ctx, &jump_table, 1);
	return 100; /* only if slot 1 is empty */
}

SEC("sample_ext/1")
int sample_tail1(sample_program_context_t *ctx)
{
	__sync_fetch_and_add(&tail_hops, 1);
	return 200 + (ctx->data_start < ctx->data_end ? ctx->data_start[0] : 0);
}

SEC("sample_ext")
int sample_dispatch(sample_program_context_t *ctx)
{
	u8 *p = ctx->data_start;
	u32 slot;

	if (p + 1 > ctx->data_end)
		return 0;
	slot = p[0] % SLOTS;
	bpf_tail_call(ctx, &jump_table, slot);
	return 300 + slot; /* empty slot (2), or the tail call limit was reached */
}
