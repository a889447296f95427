/* SPDX-License-Identifier: MIT */
/*
 * Per-protocol traffic counters in an array map (shared by all CPUs, so updated with
 * atomic adds on the map value) and a per-CPU array (one copy per CPU, so a plain
 * increment is race-free). A config array can ask for IPv6 to be dropped.
 *
 * Uses maps and helpers: BPF only (not for the gcc oracle).
 *   xdp_count  (xdp)
 */
#include "bpf2native.h"
#include "net_headers.h"

enum proto_slot { SLOT_OTHER, SLOT_IPV4, SLOT_IPV6, SLOT_ARP, NUM_SLOTS };

struct traffic {
	u64 packets;
	u64 bytes;
};

struct config {
	u32 drop_ipv6;
	u32 min_len;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, struct traffic);
	__uint(max_entries, NUM_SLOTS);
} proto_traffic SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, u32);
	__type(value, u64);
	__uint(max_entries, 1);
} cpu_packets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, struct config);
	__uint(max_entries, 1);
} xdp_config SEC(".maps");

SEC("xdp")
int xdp_count(struct xdp_md *ctx)
{
	u8 *data = (u8 *)(long)ctx->data;
	u8 *end = (u8 *)(long)ctx->data_end;
	struct ethhdr *eth = (struct ethhdr *)data;
	u32 zero = 0, slot = SLOT_OTHER;
	struct traffic *t;
	struct config *cfg;
	u64 *cpu_count;

	if ((u8 *)(eth + 1) <= end) {
		switch (bpf_ntohs(eth->h_proto)) {
		case ETH_P_IP:
			slot = SLOT_IPV4;
			break;
		case ETH_P_IPV6:
			slot = SLOT_IPV6;
			break;
		case 0x0806:
			slot = SLOT_ARP;
			break;
		}
	}

	cpu_count = bpf_map_lookup_elem(&cpu_packets, &zero);
	if (cpu_count)
		(*cpu_count)++;

	t = bpf_map_lookup_elem(&proto_traffic, &slot);
	if (t) {
		__sync_fetch_and_add(&t->packets, 1);
		__sync_fetch_and_add(&t->bytes, (u64)(end - data));
	}

	cfg = bpf_map_lookup_elem(&xdp_config, &zero);
	if (!cfg)
		return XDP_PASS;
	if (slot == SLOT_IPV6 && cfg->drop_ipv6)
		return XDP_DROP;
	if ((u64)(end - data) < cfg->min_len)
		return XDP_DROP;
	return XDP_PASS;
}
