//go:build ignore

/* SPDX-License-Identifier: MIT */
/*
 * An XDP packet counter: packets and bytes per (EtherType, IP protocol) in a
 * hash map, a running total in a global, and a minimum length, set from Go
 * before the program is loaded, below which packets are dropped.
 */
#include "bpf_helpers.h"

struct flow_key {
	__u16 eth_proto;
	__u8 ip_proto;
	__u8 pad;
};

struct counters {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow_key);
	__type(value, struct counters);
	__uint(max_entries, 64);
} flows SEC(".maps");

/* Configuration: read-only for the program, set by Go before load. */
volatile const __u32 min_len = 0;

/* State: written by the program, read (and reset) by Go. */
__u64 total_packets = 0;
__u64 dropped_packets = 0;

SEC("xdp")
int count_packets(struct xdp_md *ctx)
{
	void *data = ctx->data;
	void *end = ctx->data_end;
	__u8 *eth = data;
	struct flow_key key = {};
	struct counters *c;
	__u64 len = end - data;

	total_packets++;
	if (len < min_len) {
		dropped_packets++;
		return XDP_DROP;
	}
	if (eth + 14 > (__u8 *)end)
		return XDP_PASS;
	key.eth_proto = bpf_ntohs(*(__u16 *)(eth + 12));
	/* IPv4: the protocol is byte 9 of the IP header. */
	if (key.eth_proto == 0x0800 && eth + 14 + 20 <= (__u8 *)end)
		key.ip_proto = eth[14 + 9];

	c = bpf_map_lookup_elem(&flows, &key);
	if (c) {
		__sync_fetch_and_add(&c->packets, 1);
		__sync_fetch_and_add(&c->bytes, len);
	} else {
		struct counters init = {1, len};
		bpf_map_update_elem(&flows, &key, &init, BPF_NOEXIST);
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "MIT";
