/* SPDX-License-Identifier: MIT */
/*
 * net_headers.h - wire formats of the packet headers the testdata programs parse.
 * Multi-byte fields are in network byte order; bit fields are avoided so that the
 * layout does not depend on the compiler's bit-field allocation.
 */
#ifndef BPF2NATIVE_NET_HEADERS_H
#define BPF2NATIVE_NET_HEADERS_H

#include "bpf2native.h"

#define ETH_ALEN 6
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

#define IPPROTO_HOPOPTS 0
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ROUTING 43
#define IPPROTO_FRAGMENT 44
#define IPPROTO_DSTOPTS 60

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

struct ethhdr {
	u8 h_dest[ETH_ALEN];
	u8 h_source[ETH_ALEN];
	u16 h_proto;
};

struct vlan_hdr {
	u16 tci;
	u16 encap_proto;
};

struct iphdr {
	u8 ver_ihl; /* version in the high nibble, header length in 32-bit words below */
	u8 tos;
	u16 tot_len;
	u16 id;
	u16 frag_off; /* flags in the top 3 bits */
	u8 ttl;
	u8 protocol;
	u16 check;
	u32 saddr;
	u32 daddr;
};

struct ipv6hdr {
	u32 ver_tc_flow;
	u16 payload_len;
	u8 nexthdr;
	u8 hop_limit;
	u8 saddr[16];
	u8 daddr[16];
};

/* Common prefix of hop-by-hop, routing and destination options headers. */
struct ipv6_opt_hdr {
	u8 nexthdr;
	u8 hdrlen; /* in 8-byte units, not counting the first 8 bytes */
};

struct tcphdr {
	u16 source;
	u16 dest;
	u32 seq;
	u32 ack_seq;
	u8 doff_res; /* data offset in the high nibble */
	u8 flags;
	u16 window;
	u16 check;
	u16 urg_ptr;
};

struct udphdr {
	u16 source;
	u16 dest;
	u16 len;
	u16 check;
};

#endif /* BPF2NATIVE_NET_HEADERS_H */
