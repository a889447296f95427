/* SPDX-License-Identifier: MIT */
/*
 * One call to each general helper the tests need, with every argument count from 0
 * to 5 (bpf_csum_diff takes five, which on Microsoft x64 puts the fifth on the stack):
 * time, random numbers, the CPU id, the pid/tgid, a checksum difference, queue push
 * and pop, ring buffer output and bpf_printk with 0 to 3 arguments, two of them from a
 * sub-program (on Windows, helpers get the program context from sub-programs too). The
 * return value depends only on the buffer (via bpf_csum_diff), so it is comparable
 * across runs.
 *
 * Uses maps and helpers: BPF only (not for the gcc oracle).
 *   sample_helpers  (sample_ext)
 */
#include "bpf2native.h"

struct event {
	u64 time_ns;
	u64 boot_ns;
	u64 pid_tgid;
	u32 cpu;
	u32 random;
	u32 csum;
	u32 len;
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(key_size, 0);
	__uint(value_size, sizeof(u32));
	__uint(max_entries, 16);
} recent_lengths SEC(".maps");

static __noinline void report(u32 len, u32 cpu, u32 csum)
{
	bpf_printk("len %u", len);
	bpf_printk("cpu %u csum %x", cpu, csum);
}

SEC("sample_ext")
u64 sample_helpers(sample_program_context_t *ctx)
{
	u8 *p = ctx->data_start;
	u8 *end = ctx->data_end;
	struct event ev = {0};
	u32 words[4] = {0}, oldest = 0;
	int i;

	/* bpf_csum_diff wants a multiple of 4 bytes: copy up to 16 onto the stack. */
	for (i = 0; i < 16; i++) {
		if (p + i + 1 > end)
			break;
		words[i / 4] |= (u32)p[i] << ((i % 4) * 8);
	}

	ev.time_ns = bpf_ktime_get_ns();
	ev.boot_ns = bpf_ktime_get_boot_ns();
	ev.pid_tgid = bpf_get_current_pid_tgid();
	ev.cpu = bpf_get_smp_processor_id();
	ev.random = bpf_get_prandom_u32();
	ev.csum = (u32)bpf_csum_diff(NULL, 0, words, sizeof(words), ctx->uint32_data);
	ev.len = (u32)(end - p);

	bpf_map_push_elem(&recent_lengths, &ev.len, BPF_EXIST); /* BPF_EXIST: evict oldest when full */
	bpf_map_pop_elem(&recent_lengths, &oldest);
	bpf_ringbuf_output(&events, &ev, sizeof(ev), 0);

	bpf_printk("sample_helpers");
	report(ev.len, ev.cpu, ev.csum);
	bpf_printk("oldest %u random %u time %llu", oldest, ev.random, ev.time_ns);
	return ev.csum;
}
