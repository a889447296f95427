/* SPDX-License-Identifier: MIT */
/*
 * bpf2native.h - the one header test programs in testdata/ include.
 *
 * Targets, chosen by the preprocessor:
 *   clang -target bpf                      ebpf-for-windows (the default): its helper ids,
 *                                          map type numbers, context layouts, return codes.
 *   clang -target bpf -DBPF2NATIVE_LINUX   the Linux kernel UAPI values instead.
 *   gcc / any host compiler (no __bpf__)   helper-free programs become plain C functions
 *                                          that a C harness can call (the "gcc oracle"):
 *                                          SEC() expands to nothing, contexts hold real
 *                                          pointers, and no helper is declared, so a
 *                                          program that calls one fails to compile.
 *
 * The values below were written from the public ebpf-for-windows headers
 * (include/ebpf_structs.h, include/bpf_helper_defs.h, include/ebpf_nethooks.h,
 * tests/include/xdp_hooks.h, the sample extension's sample_ext_helpers.h) and the
 * Linux UAPI <linux/bpf.h>.
 */
#ifndef BPF2NATIVE_H
#define BPF2NATIVE_H

/* ---- integer types ------------------------------------------------------------ */

#ifdef __bpf__
/* No libc for the BPF target: build the fixed-width types from the compiler's own
 * predefined macros (C11 allows repeating an identical typedef). */
typedef __INT8_TYPE__ int8_t;
typedef __INT16_TYPE__ int16_t;
typedef __INT32_TYPE__ int32_t;
typedef __INT64_TYPE__ int64_t;
typedef __UINT8_TYPE__ uint8_t;
typedef __UINT16_TYPE__ uint16_t;
typedef __UINT32_TYPE__ uint32_t;
typedef __UINT64_TYPE__ uint64_t;
typedef __UINTPTR_TYPE__ uintptr_t;
typedef __SIZE_TYPE__ size_t;
#define NULL ((void *)0)
#else
#include <stddef.h>
#include <stdint.h>
#endif

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/* ---- attributes and section placement ----------------------------------------- */

#ifdef __bpf__
#define SEC(name) __attribute__((section(name), used))
#else
#define SEC(name)
#endif

/* glibc's <sys/cdefs.h> redefines __always_inline with the same meaning. */
#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef __noinline
#define __noinline __attribute__((noinline))
#endif

/* Keep a loop a loop: without this clang fully unrolls small constant-bound loops,
 * and the tests want real back-edges. Host compilers may unroll as they like. */
#ifdef __clang__
#define NO_UNROLL _Pragma("clang loop unroll(disable)")
#else
#define NO_UNROLL
#endif

/* Compute kernels loop over at most this many packet bytes: a full 1514-byte Ethernet
 * frame plus two VLAN tags, rounded up to a multiple of 64. */
#define MAX_PACKET 1536

/* libbpf-style BTF map definitions: the map's properties are encoded in the BTF type
 * of an anonymous struct placed in SEC(".maps"). */
#define __uint(name, val) int(*name)[val]
#define __type(name, val) __typeof__(val) *name
#define __array(name, val) __typeof__(val) *name[]

/* ---- byte order ------------------------------------------------------------------- */

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define bpf_ntohs(x) ((u16)__builtin_bswap16(x))
#define bpf_ntohl(x) ((u32)__builtin_bswap32(x))
#else
#define bpf_ntohs(x) ((u16)(x))
#define bpf_ntohl(x) ((u32)(x))
#endif
#define bpf_htons(x) bpf_ntohs(x)
#define bpf_htonl(x) bpf_ntohl(x)

/* ---- map types and update flags --------------------------------------------------- */

#define BPF_ANY 0
#define BPF_NOEXIST 1
#define BPF_EXIST 2

#ifdef BPF2NATIVE_LINUX
enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0,
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_LRU_PERCPU_HASH = 10,
	BPF_MAP_TYPE_LPM_TRIE = 11,
	BPF_MAP_TYPE_ARRAY_OF_MAPS = 12,
	BPF_MAP_TYPE_HASH_OF_MAPS = 13,
	BPF_MAP_TYPE_QUEUE = 22,
	BPF_MAP_TYPE_STACK = 23,
	BPF_MAP_TYPE_RINGBUF = 27,
};
#else
enum bpf_map_type {
	BPF_MAP_TYPE_UNSPEC = 0,
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PROG_ARRAY = 3,
	BPF_MAP_TYPE_PERCPU_HASH = 4,
	BPF_MAP_TYPE_PERCPU_ARRAY = 5,
	BPF_MAP_TYPE_HASH_OF_MAPS = 6,
	BPF_MAP_TYPE_ARRAY_OF_MAPS = 7,
	BPF_MAP_TYPE_LRU_HASH = 8,
	BPF_MAP_TYPE_LPM_TRIE = 9,
	BPF_MAP_TYPE_QUEUE = 10,
	BPF_MAP_TYPE_LRU_PERCPU_HASH = 11,
	BPF_MAP_TYPE_STACK = 12,
	BPF_MAP_TYPE_RINGBUF = 13,
	BPF_MAP_TYPE_PERF_EVENT_ARRAY = 14,
};
#endif

/* ---- program contexts and return codes ------------------------------------------- */

#if defined(BPF2NATIVE_LINUX) && defined(__bpf__)
/* Linux UAPI: 32-bit fields that the kernel rewrites into pointers at load time.
 * Programs convert with (void *)(long)ctx->data, which is also correct for the
 * pointer-typed ebpf-for-windows layout below. */
struct xdp_md {
	u32 data;
	u32 data_end;
	u32 data_meta;
	u32 ingress_ifindex;
	u32 rx_queue_index;
	u32 egress_ifindex;
};
#else
/* ebpf-for-windows xdp_md_t: 64-bit pointers, 32 bytes in all. */
struct xdp_md {
	void *data;
	void *data_end;
	u64 data_meta;
	u32 ingress_ifindex;
};
#endif
typedef struct xdp_md xdp_md_t;

#ifdef BPF2NATIVE_LINUX
enum xdp_action { XDP_ABORTED = 0, XDP_DROP = 1, XDP_PASS = 2, XDP_TX = 3, XDP_REDIRECT = 4 };
#else
enum xdp_action { XDP_PASS = 1, XDP_DROP = 2, XDP_TX = 3 };
#endif

/* ebpf-for-windows bind hook (section "bind"): 56 bytes. app_id_start/app_id_end
 * delimit the application id like packet data; socket_address holds a sockaddr
 * (family, then port in network order, then the address). */
enum bind_operation { BIND_OPERATION_BIND, BIND_OPERATION_POST_BIND, BIND_OPERATION_UNBIND };
struct bind_md {
	u8 *app_id_start;
	u8 *app_id_end;
	u64 process_id;
	u8 socket_address[16];
	u8 socket_address_length;
	enum bind_operation operation;
	u8 protocol;
};
typedef struct bind_md bind_md_t;
enum bind_action {
	BIND_PERMIT_SOFT = 0,
	BIND_DENY = 1,
	BIND_REDIRECT = 2,
	BIND_PERMIT_HARD = 3,
	BIND_PERMIT = BIND_PERMIT_SOFT, /* the older name */
};

/* ebpf-for-windows sample extension (section "sample_ext"): data_start/data_end are a
 * packet-like buffer; the scalar fields are inputs. 32 bytes. */
struct sample_program_context {
	u8 *data_start;
	u8 *data_end;
	u32 uint32_data;
	u16 uint16_data;
	u32 helper_data_1;
	u32 helper_data_2;
};
typedef struct sample_program_context sample_program_context_t;

/* ---- helpers (BPF target only) ----------------------------------------------------
 * A helper is a call to a constant address equal to its id, as in libbpf. */

#ifdef __bpf__
#ifdef BPF2NATIVE_LINUX
#define BPF2NATIVE_ID(win, linux) linux
#else
#define BPF2NATIVE_ID(win, linux) win
#endif

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value,
				   u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static long (*bpf_tail_call)(void *ctx, void *prog_array, u32 index) =
	(void *)BPF2NATIVE_ID(5, 12);
static u32 (*bpf_get_prandom_u32)(void) = (void *)BPF2NATIVE_ID(6, 7);
static u64 (*bpf_ktime_get_boot_ns)(void) = (void *)BPF2NATIVE_ID(7, 125);
static u32 (*bpf_get_smp_processor_id)(void) = (void *)8;
static u64 (*bpf_ktime_get_ns)(void) = (void *)BPF2NATIVE_ID(9, 5);
static long (*bpf_map_push_elem)(void *map, const void *value, u64 flags) =
	(void *)BPF2NATIVE_ID(16, 87);
static long (*bpf_map_pop_elem)(void *map, void *value) = (void *)BPF2NATIVE_ID(17, 88);
static long (*bpf_map_peek_elem)(void *map, void *value) = (void *)BPF2NATIVE_ID(18, 89);
static u64 (*bpf_get_current_pid_tgid)(void) = (void *)BPF2NATIVE_ID(19, 14);

#ifdef BPF2NATIVE_LINUX
static long (*bpf_csum_diff)(u32 *from, u32 from_size, u32 *to, u32 to_size,
			     u32 seed) = (void *)28;
static long (*bpf_ringbuf_output)(void *ringbuf, void *data, u64 size, u64 flags) =
	(void *)130;
static long (*bpf_trace_printk)(const char *fmt, u32 fmt_size, ...) = (void *)6;
static long (*bpf_xdp_adjust_head)(struct xdp_md *ctx, int delta) = (void *)44;
#define bpf_printk(fmt, ...)                                                   \
	({                                                                     \
		char ____fmt[] = fmt;                                          \
		bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__);     \
	})
#else
/* Windows-only: Linux has this operation only as a syscall command. */
static void *(*bpf_map_lookup_and_delete_elem)(void *map, const void *key) = (void *)4;
static int (*bpf_csum_diff)(void *from, int from_size, void *to, int to_size,
			    int seed) = (void *)10;
static int (*bpf_ringbuf_output)(void *ringbuf, void *data, u64 size, u64 flags) =
	(void *)11;
/* ebpf-for-windows has one fixed-arity printk helper per argument count (12..15). */
static long (*bpf_trace_printk2)(const char *fmt, u32 fmt_size) = (void *)12;
static long (*bpf_trace_printk3)(const char *fmt, u32 fmt_size, u64 a) = (void *)13;
static long (*bpf_trace_printk4)(const char *fmt, u32 fmt_size, u64 a, u64 b) = (void *)14;
static long (*bpf_trace_printk5)(const char *fmt, u32 fmt_size, u64 a, u64 b,
				 u64 c) = (void *)15;
/* XDP extension helpers start above 0xFFFF. */
static int (*bpf_xdp_adjust_head)(struct xdp_md *ctx, int delta) = (void *)0x10000;

#define BPF2NATIVE_NTH(_1, _2, _3, _4, N, ...) N
#define BPF2NATIVE_CAT(a, b) a##b
#define BPF2NATIVE_PRINTK(n) BPF2NATIVE_CAT(bpf_trace_printk, n)
/* bpf_printk("fmt", a, b) -> bpf_trace_printk4(fmt, sizeof fmt, a, b); the format
 * lives on the stack, as ebpf-for-windows' own bpf_printk does it. */
#define bpf_printk(fmt, ...)                                                   \
	({                                                                     \
		char ____fmt[] = fmt;                                          \
		BPF2NATIVE_PRINTK(BPF2NATIVE_NTH(____fmt, ##__VA_ARGS__, 5, 4, 3, 2)) \
		(____fmt, sizeof(____fmt), ##__VA_ARGS__);                     \
	})
#endif
#endif /* __bpf__ */

#endif /* BPF2NATIVE_H */
