/* SPDX-License-Identifier: MIT */
/*
 * The few definitions of libbpf's bpf_helpers.h and ebpf-for-windows'
 * headers that counter.c needs, so that the example builds with nothing but
 * clang. Real programs include <bpf/bpf_helpers.h> (libbpf) or
 * ebpf-for-windows' <bpf_helpers.h> instead.
 */
#ifndef BPF_HELPERS_H
#define BPF_HELPERS_H

typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

enum {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
	BPF_EXIST = 2,
};

enum xdp_action {
	XDP_ABORTED = 0,
	XDP_DROP,
	XDP_PASS,
	XDP_TX,
	XDP_REDIRECT,
};

/*
 * ebpf-for-windows' xdp_md, the context of the "windows" platform (the
 * default of bpf2native): 64-bit packet pointers. Linux's has 32-bit fields
 * (--platform linux).
 */
struct xdp_md {
	void *data;
	void *data_end;
	__u64 data_meta;
	__u32 ingress_ifindex;
};

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;

#define bpf_ntohs(x) __builtin_bswap16(x)

#endif
