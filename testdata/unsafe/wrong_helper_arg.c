/* SPDX-License-Identifier: MIT */
/* Unsafe: hands the packet to bpf_map_lookup_elem as if it were a map. */
#include "../include/bpf2native.h"

SEC("xdp")
int wrong_helper_arg(struct xdp_md *ctx)
{
	u8 *data = ctx->data, *end = ctx->data_end;
	u32 key = 0;

	if (data + 8 > end)
		return XDP_DROP;
	return bpf_map_lookup_elem(data, &key) ? XDP_PASS : XDP_DROP;
}
