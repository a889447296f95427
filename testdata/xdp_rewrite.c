/* SPDX-License-Identifier: MIT */
/*
 * Programs that write packet bytes: a reflector that swaps the Ethernet addresses and
 * decrements the TTL (IPv4, with an incremental RFC 1624 checksum update) or hop limit
 * (IPv6), and a fixer that recomputes a whole IPv4 header checksum.
 *
 * Helper-free: also compiles with gcc as plain C (gcc oracle).
 *   xdp_reflect     (xdp)
 *   xdp_fix_csum    (xdp)
 */
#include "bpf2native.h"
#include "net_headers.h"

/* Fold a 32-bit one's complement sum to 16 bits. Two rounds suffice for any sum of
 * fewer than 65536 16-bit words. */
static __always_inline u16 csum_fold(u32 sum)
{
	sum = (sum & 0xFFFF) + (sum >> 16);
	sum = (sum & 0xFFFF) + (sum >> 16);
	return (u16)sum;
}

SEC("xdp")
int xdp_reflect(struct xdp_md *ctx)
{
	u8 *data = (u8 *)(long)ctx->data;
	u8 *end = (u8 *)(long)ctx->data_end;
	struct ethhdr *eth = (struct ethhdr *)data;
	u8 tmp[ETH_ALEN];
	u16 proto;
	int i;

	if ((u8 *)(eth + 1) > end)
		return XDP_DROP;
	proto = bpf_ntohs(eth->h_proto);

	if (proto == ETH_P_IP) {
		struct iphdr *ip = (struct iphdr *)(eth + 1);
		u32 old_word, new_word, sum;
		if ((u8 *)(ip + 1) > end)
			return XDP_DROP;
		if (ip->ttl <= 1)
			return XDP_DROP;
		/* TTL and protocol share one 16-bit checksum word (TTL in the high byte). */
		old_word = ((u32)ip->ttl << 8) | ip->protocol;
		ip->ttl--;
		new_word = ((u32)ip->ttl << 8) | ip->protocol;
		/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
		sum = (~(u32)bpf_ntohs(ip->check) & 0xFFFF) + (~old_word & 0xFFFF) + new_word;
		ip->check = bpf_htons((u16)~csum_fold(sum));
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = (struct ipv6hdr *)(eth + 1);
		if ((u8 *)(ip6 + 1) > end)
			return XDP_DROP;
		if (ip6->hop_limit <= 1)
			return XDP_DROP;
		ip6->hop_limit--;
	} else {
		return XDP_PASS;
	}

	NO_UNROLL
	for (i = 0; i < ETH_ALEN; i++) {
		tmp[i] = eth->h_dest[i];
		eth->h_dest[i] = eth->h_source[i];
		eth->h_source[i] = tmp[i];
	}
	return XDP_TX;
}

/* Verify the IPv4 header checksum; if it is wrong, rewrite it and bounce the packet
 * (XDP_TX) so a test can tell the two outcomes apart. */
SEC("xdp")
int xdp_fix_csum(struct xdp_md *ctx)
{
	u8 *data = (u8 *)(long)ctx->data;
	u8 *end = (u8 *)(long)ctx->data_end;
	struct ethhdr *eth = (struct ethhdr *)data;
	struct iphdr *ip;
	u8 *hdr;
	u32 hlen, sum = 0;
	u16 want;
	int i;

	if ((u8 *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (struct iphdr *)(eth + 1);
	if ((u8 *)(ip + 1) > end)
		return XDP_DROP;
	hlen = (ip->ver_ihl & 0xF) * 4;
	if (hlen < sizeof(*ip))
		return XDP_DROP;
	hdr = (u8 *)ip;

	/* At most 60 bytes of header: 30 words, the checksum word counted as zero. */
	for (i = 0; i < 30; i++) {
		if ((u32)i * 2 >= hlen)
			break;
		if (hdr + i * 2 + 2 > end)
			return XDP_DROP;
		if (i != 5)
			sum += *(u16 *)(hdr + i * 2);
	}
	/* Summing network-order words on any host gives the byte-swapped sum, which
	 * stored back unchanged is the right checksum (RFC 1071, byte order independence). */
	want = (u16)~csum_fold(sum);
	if (ip->check == want)
		return XDP_PASS;
	ip->check = want;
	return XDP_TX;
}
