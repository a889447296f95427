/* SPDX-License-Identifier: MIT */
/* Unsafe: stores the packet's address into a map, where user space can read it. */
#include "../include/bpf2native.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, u64);
	__uint(max_entries, 1);
} leak SEC(".maps");

SEC("xdp")
int pointer_leak(struct xdp_md *ctx)
{
	u32 key = 0;
	u64 *slot = bpf_map_lookup_elem(&leak, &key);

	if (slot)
		*slot = (u64)ctx->data;
	return XDP_PASS;
}
