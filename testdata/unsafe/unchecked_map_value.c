/* SPDX-License-Identifier: MIT */
/* Unsafe: the lookup may return NULL and the program dereferences it anyway. */
#include "../include/bpf2native.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, u64);
	__uint(max_entries, 4);
} counts SEC(".maps");

SEC("xdp")
int unchecked_map_value(struct xdp_md *ctx)
{
	u32 key = ctx->ingress_ifindex & 3;
	u64 *count = bpf_map_lookup_elem(&counts, &key);

	*count += 1;
	return XDP_PASS;
}
