/* SPDX-License-Identifier: MIT */
/*
 * An XDP-style filter for the Makefile example: drops TCP and UDP packets to
 * one port, counts the bytes it has seen in a global, passes the rest.
 * Built for ebpf-for-windows' context layout (bpf2native's default platform),
 * whose xdp_md holds 64-bit data and data_end pointers.
 */
typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;

#define SEC(name) __attribute__((section(name), used))

struct xdp_md {
	void *data;
	void *data_end;
	u64 data_meta;
	u32 ingress_ifindex;
};

enum { XDP_PASS = 1, XDP_DROP = 2 };

/* The port to drop, in network byte order, in .rodata. */
volatile const u16 blocked_port = __builtin_bswap16(23);
/* Bytes seen so far, in .bss. */
u64 bytes_seen;

SEC("xdp")
int filter(struct xdp_md *ctx)
{
	u8 *data = ctx->data, *end = ctx->data_end;

	bytes_seen += (u64)(end - data);
	/* Ethernet (14) + IPv4 without options (20) + the L4 ports (4). */
	if (data + 38 > end)
		return XDP_PASS;
	if (data[12] != 0x08 || data[13] != 0x00 || (data[14] & 0x0f) != 5)
		return XDP_PASS;
	if (data[23] != 6 && data[23] != 17)
		return XDP_PASS;
	u16 dport = *(u16 *)(data + 36);
	return dport == blocked_port ? XDP_DROP : XDP_PASS;
}
