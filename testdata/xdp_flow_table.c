/* SPDX-License-Identifier: MIT */
/*
 * IPv4 flow table in a hash map keyed by the 5-tuple: a new flow is inserted with
 * BPF_NOEXIST and its start time, a known flow's counters are bumped atomically in
 * place, and a TCP FIN or RST removes the flow. Sources listed in a second hash map
 * are dropped before any of that.
 *
 * Uses maps and helpers: BPF only (not for the gcc oracle).
 *   xdp_flows  (xdp)
 */
#include "bpf2native.h"
#include "net_headers.h"

struct flow_key {
	u32 saddr;
	u32 daddr;
	u16 sport;
	u16 dport;
	u8 proto;
	u8 pad[3]; /* explicit and zeroed: the key is hashed as raw bytes */
};

struct flow_stats {
	u64 packets;
	u64 bytes;
	u64 first_seen_ns;
	u32 tcp_flags_seen;
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct flow_key);
	__type(value, struct flow_stats);
	__uint(max_entries, 4096);
} flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u32);  /* IPv4 source address, network order */
	__type(value, u8); /* any value: presence means blocked */
	__uint(max_entries, 256);
} blocked_sources SEC(".maps");

SEC("xdp")
int xdp_flows(struct xdp_md *ctx)
{
	u8 *data = (u8 *)(long)ctx->data;
	u8 *end = (u8 *)(long)ctx->data_end;
	struct ethhdr *eth = (struct ethhdr *)data;
	struct flow_key key = {0};
	struct flow_stats *st;
	struct iphdr *ip;
	u8 *l4;
	u8 flags = 0;
	u64 len = (u64)(end - data);

	if ((u8 *)(eth + 1) > end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (struct iphdr *)(eth + 1);
	if ((u8 *)(ip + 1) > end)
		return XDP_DROP;

	if (bpf_map_lookup_elem(&blocked_sources, &ip->saddr))
		return XDP_DROP;

	key.saddr = ip->saddr;
	key.daddr = ip->daddr;
	key.proto = ip->protocol;
	l4 = (u8 *)ip + (ip->ver_ihl & 0xF) * 4;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *tcp = (struct tcphdr *)l4;
		if ((u8 *)(tcp + 1) > end)
			return XDP_DROP;
		key.sport = tcp->source;
		key.dport = tcp->dest;
		flags = tcp->flags;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *udp = (struct udphdr *)l4;
		if ((u8 *)(udp + 1) > end)
			return XDP_DROP;
		key.sport = udp->source;
		key.dport = udp->dest;
	}

	if (flags & (TCP_FIN | TCP_RST)) {
		bpf_map_delete_elem(&flows, &key);
		return XDP_PASS;
	}

	st = bpf_map_lookup_elem(&flows, &key);
	if (st) {
		__sync_fetch_and_add(&st->packets, 1);
		__sync_fetch_and_add(&st->bytes, len);
		__sync_fetch_and_or(&st->tcp_flags_seen, flags);
	} else {
		struct flow_stats fresh = {
			.packets = 1,
			.bytes = len,
			.first_seen_ns = bpf_ktime_get_ns(),
			.tcp_flags_seen = flags,
		};
		/* Another CPU may have inserted the flow meanwhile: then keep its entry. */
		bpf_map_update_elem(&flows, &key, &fresh, BPF_NOEXIST);
	}
	return XDP_PASS;
}
