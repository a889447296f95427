/* SPDX-License-Identifier: MIT */
/*
 * Packet header parser: Ethernet (with up to two VLAN tags), IPv4 (with options),
 * IPv6 (with up to four extension headers), TCP and UDP. Every header access is
 * preceded by a bounds check against data_end, in the shape verifiers accept.
 *
 * Helper-free: also compiles with gcc as plain C (gcc oracle).
 *   xdp_firewall     (xdp)         returns an XDP verdict
 *   sample_classify  (sample_ext)  returns the parse result packed into a u64
 */
#include "bpf2native.h"
#include "net_headers.h"

struct pkt_info {
	u16 l3_proto;  /* ethertype after VLAN tags */
	u8 l4_proto;   /* IP protocol after IPv6 extension headers */
	u8 vlans;      /* VLAN tags seen */
	u8 ttl;        /* IPv4 TTL or IPv6 hop limit */
	u8 tcp_flags;
	u16 sport;     /* host byte order */
	u16 dport;
	u16 l4_offset; /* offset of the L4 header from data */
	u8 fragment;   /* IPv4 MF set or fragment offset non-zero, or IPv6 fragment header */
};

enum parse_result {
	PARSE_OK = 0,
	PARSE_TRUNCATED = 1, /* a header runs past data_end */
	PARSE_BAD_HEADER = 2, /* a field has an impossible value */
};

static __always_inline int parse_l4(u8 *pos, u8 *end, struct pkt_info *pi)
{
	if (pi->fragment)
		return PARSE_OK; /* only the first fragment carries the L4 header */
	if (pi->l4_proto == IPPROTO_TCP) {
		struct tcphdr *tcp = (struct tcphdr *)pos;
		if ((u8 *)(tcp + 1) > end)
			return PARSE_TRUNCATED;
		if ((tcp->doff_res >> 4) < 5)
			return PARSE_BAD_HEADER;
		pi->sport = bpf_ntohs(tcp->source);
		pi->dport = bpf_ntohs(tcp->dest);
		pi->tcp_flags = tcp->flags;
	} else if (pi->l4_proto == IPPROTO_UDP) {
		struct udphdr *udp = (struct udphdr *)pos;
		if ((u8 *)(udp + 1) > end)
			return PARSE_TRUNCATED;
		pi->sport = bpf_ntohs(udp->source);
		pi->dport = bpf_ntohs(udp->dest);
	}
	return PARSE_OK;
}

static __always_inline int parse_packet(u8 *data, u8 *end, struct pkt_info *pi)
{
	struct ethhdr *eth = (struct ethhdr *)data;
	u8 *pos;
	u16 proto;
	int i;

	if ((u8 *)(eth + 1) > end)
		return PARSE_TRUNCATED;
	proto = bpf_ntohs(eth->h_proto);
	pos = (u8 *)(eth + 1);

	NO_UNROLL
	for (i = 0; i < 2; i++) {
		struct vlan_hdr *vlan = (struct vlan_hdr *)pos;
		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((u8 *)(vlan + 1) > end)
			return PARSE_TRUNCATED;
		proto = bpf_ntohs(vlan->encap_proto);
		pos = (u8 *)(vlan + 1);
		pi->vlans++;
	}
	pi->l3_proto = proto;

	if (proto == ETH_P_IP) {
		struct iphdr *ip = (struct iphdr *)pos;
		u32 hlen;
		if ((u8 *)(ip + 1) > end)
			return PARSE_TRUNCATED;
		if ((ip->ver_ihl >> 4) != 4)
			return PARSE_BAD_HEADER;
		hlen = (ip->ver_ihl & 0xF) * 4;
		if (hlen < sizeof(*ip))
			return PARSE_BAD_HEADER;
		/* Options make the header variable-length: check the whole of it. */
		if (pos + hlen > end)
			return PARSE_TRUNCATED;
		pi->l4_proto = ip->protocol;
		pi->ttl = ip->ttl;
		pi->fragment = (bpf_ntohs(ip->frag_off) & 0x3FFF) != 0;
		pos += hlen;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)pos;
		u8 next;
		if ((u8 *)(ip6 + 1) > end)
			return PARSE_TRUNCATED;
		if ((bpf_ntohl(ip6->ver_tc_flow) >> 28) != 6)
			return PARSE_BAD_HEADER;
		pi->ttl = ip6->hop_limit;
		next = ip6->nexthdr;
		pos = (u8 *)(ip6 + 1);
		/* Walk a bounded chain of extension headers. */
		NO_UNROLL
		for (i = 0; i < 4; i++) {
			struct ipv6_opt_hdr *opt = (struct ipv6_opt_hdr *)pos;
			if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING &&
			    next != IPPROTO_DSTOPTS && next != IPPROTO_FRAGMENT)
				break;
			if ((u8 *)(opt + 1) > end)
				return PARSE_TRUNCATED;
			if (next == IPPROTO_FRAGMENT) {
				pi->fragment = 1;
				next = opt->nexthdr;
				pos += 8; /* fixed size; hdrlen is reserved */
			} else {
				next = opt->nexthdr;
				pos += ((u32)opt->hdrlen + 1) * 8;
			}
		}
		pi->l4_proto = next;
	} else {
		return PARSE_OK; /* not IP: nothing more to parse */
	}
	pi->l4_offset = (u16)(pos - data);
	return parse_l4(pos, end, pi);
}

/* Drop what a small edge firewall would: malformed IP, telnet, chargen, SYN+FIN
 * scans and TTL-expired packets. Everything else passes. */
SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	u8 *data = (u8 *)(long)ctx->data;
	u8 *end = (u8 *)(long)ctx->data_end;
	struct pkt_info pi = {0};
	int res = parse_packet(data, end, &pi);

	if (res != PARSE_OK)
		return XDP_DROP;
	if (pi.l3_proto != ETH_P_IP && pi.l3_proto != ETH_P_IPV6)
		return XDP_PASS;
	if (pi.ttl <= 1)
		return XDP_DROP;
	if (pi.l4_proto == IPPROTO_TCP) {
		if (pi.dport == 23)
			return XDP_DROP;
		if ((pi.tcp_flags & (TCP_SYN | TCP_FIN)) == (TCP_SYN | TCP_FIN))
			return XDP_DROP;
	}
	if (pi.l4_proto == IPPROTO_UDP && pi.dport == 19)
		return XDP_DROP;
	return XDP_PASS;
}

/* Every parsed field in one u64, so that a differential test sees all of them:
 * bits 62..63 parse result, 48..61 L4 offset, 32..47 ethertype, 24..31 L4 protocol,
 * 16..23 TCP flags, 8..15 TTL, 4..7 VLAN count, 0 fragment, and the two ports
 * xor-ed over the middle (a digest, not meant to be unpacked). */
SEC("sample_ext")
u64 sample_classify(sample_program_context_t *ctx)
{
	struct pkt_info pi = {0};
	u64 res = (u64)parse_packet(ctx->data_start, ctx->data_end, &pi);

	return (res << 62) | ((u64)(pi.l4_offset & 0x3FFF) << 48) | ((u64)pi.l3_proto << 32) |
	       ((u64)pi.l4_proto << 24) | ((u64)pi.tcp_flags << 16) | ((u64)pi.ttl << 8) |
	       ((u64)(pi.vlans & 0xF) << 4) | pi.fragment |
	       (((u64)pi.sport << 40) ^ ((u64)pi.dport << 16));
}
