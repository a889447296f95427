/* SPDX-License-Identifier: MIT */
/* Unsafe: checks 14 bytes against data_end, then reads a 4-byte word at 14. */
#include "../include/bpf2native.h"

SEC("xdp")
int oob_packet(struct xdp_md *ctx)
{
	u8 *data = ctx->data, *end = ctx->data_end;

	if (data + 14 > end)
		return XDP_DROP;
	return *(u32 *)(data + 14) == 0 ? XDP_PASS : XDP_DROP;
}
