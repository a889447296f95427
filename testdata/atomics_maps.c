/* SPDX-License-Identifier: MIT */
/*
 * Atomic operations on map values (the usual case in real programs, since map values
 * are shared between CPUs): every atomic operation in both widths on an array map
 * value, and a lock-free "max" with a compare-and-exchange retry loop on a hash map
 * value that is created on first use.
 *
 * Uses maps and helpers: BPF only (not for the gcc oracle).
 *   sample_map_atomics  (sample_ext)
 */
#include "bpf2native.h"

#define CAS_RETRIES 8

struct shared_counters {
	u64 add64;
	u64 and64;
	u64 cas64;
	u64 xchg64;
	u32 add32;
	u32 or32;
	u32 xor32;
	u32 xchg32;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, u32);
	__type(value, struct shared_counters);
	__uint(max_entries, 1);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u32); /* buffer length bucket */
	__type(value, u64); /* largest first word seen in the bucket */
	__uint(max_entries, 64);
} bucket_max SEC(".maps");

SEC("sample_ext")
u64 sample_map_atomics(sample_program_context_t *ctx)
{
	u8 *p = ctx->data_start;
	u8 *end = ctx->data_end;
	struct shared_counters *c;
	u32 zero = 0, bucket;
	u64 w, olds = 0, *max, seen;
	int i;

	if (p + 8 > end)
		return 0;
	w = *(u64 *)p;

	c = bpf_map_lookup_elem(&counters, &zero);
	if (!c)
		return 0;
	__sync_fetch_and_add(&c->add64, w);
	olds += __sync_fetch_and_add(&c->add32, (u32)w);
	olds ^= __sync_fetch_and_and(&c->and64, w | 1);
	olds += __sync_fetch_and_or(&c->or32, (u32)(w >> 32));
	olds ^= __sync_fetch_and_xor(&c->xor32, (u32)w);
	olds += __sync_val_compare_and_swap(&c->cas64, 0, w);
	olds ^= __sync_lock_test_and_set(&c->xchg64, w);
	olds += __sync_lock_test_and_set(&c->xchg32, (u32)w);

	bucket = (u32)(end - p) / 64;
	max = bpf_map_lookup_elem(&bucket_max, &bucket);
	if (!max) {
		/* BPF_NOEXIST: if another CPU created it first, use theirs. */
		bpf_map_update_elem(&bucket_max, &bucket, &w, BPF_NOEXIST);
		return olds;
	}
	/* Raise *max to w; retry while other CPUs move it under us. */
	NO_UNROLL
	for (i = 0; i < CAS_RETRIES; i++) {
		seen = *max;
		if (seen >= w)
			break;
		if (__sync_val_compare_and_swap(max, seen, w) == seen)
			break;
	}
	return olds;
}
