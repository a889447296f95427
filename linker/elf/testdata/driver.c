/*
 * A C host for the elftest object: fills the three tables with stub helpers
 * and its own map storage, runs each program (following tail calls as
 * ebpf-for-windows does) and prints one "name result" line per run.
 * elftest.h is the header linker/elf's Header wrote for the object.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "elftest.h"

/* ebpf-for-windows' xdp_md. */
struct xdp_md {
	uint8_t *data, *data_end, *data_meta;
	uint32_t ingress_ifindex;
};

static uint64_t values[4];
static union {
	uint8_t bytes[BPF2NATIVE_GLOBAL__data_SIZE];
	uint64_t align;
} data_section = {BPF2NATIVE_GLOBAL__data_INIT};
static const int jump[4] = {BPF2NATIVE_PROGRAM_tail_target, -1, BPF2NATIVE_PROGRAM_tail_loop, -1};
static uint64_t (*const programs[BPF2NATIVE_PROGRAM_COUNT])(void *) = BPF2NATIVE_PROGRAMS;
/* Handles are just distinct addresses the helpers recognise. */
static char handles[BPF2NATIVE_MAP_COUNT];

static int next_program, tail_calls;

static uint64_t map_lookup_elem(uint64_t map, uint64_t key, uint64_t r3, uint64_t r4, uint64_t r5)
{
	uint32_t k;

	(void)r3, (void)r4, (void)r5;
	if (map != (uintptr_t)&handles[BPF2NATIVE_MAP_values])
		return 0;
	memcpy(&k, (void *)(uintptr_t)key, sizeof k);
	return k < 4 ? (uintptr_t)&values[k] : 0;
}

static uint64_t tail_call(uint64_t ctx, uint64_t map, uint64_t index, uint64_t r4, uint64_t r5)
{
	(void)ctx, (void)r4, (void)r5;
	if (map != (uintptr_t)&handles[BPF2NATIVE_MAP_jump] || index >= 4 || jump[index] < 0)
		return (uint64_t)-2; /* ENOENT */
	if (tail_calls >= 33)
		return (uint64_t)-7; /* E2BIG */
	tail_calls++;
	next_program = jump[index];
	return 0;
}

static uint64_t get_prandom_u32(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5)
{
	(void)r1, (void)r2, (void)r3, (void)r4, (void)r5;
	return 12345;
}

static uint64_t run(int prog, void *ctx)
{
	tail_calls = 0;
	for (;;) {
		uint64_t r0;

		next_program = -1;
		r0 = programs[prog](ctx);
		if (next_program < 0)
			return r0;
		prog = next_program;
	}
}

int main(void)
{
	static const char *const names[] = {"ret_const", "packet_byte", "prandom", "lookup", "global"};
	uint8_t packet[8] = {0, 0x11, 0x5a, 0x33, 0x44, 0x55, 0x66, 0x77};
	struct xdp_md ctx = {packet, packet + sizeof packet, packet, 1};
	uint64_t data;
	int i;

	bpf2native_helpers[BPF2NATIVE_HELPER_bpf_map_lookup_elem] = map_lookup_elem;
	bpf2native_helpers[BPF2NATIVE_HELPER_bpf_tail_call] = tail_call;
	bpf2native_helpers[BPF2NATIVE_HELPER_bpf_get_prandom_u32] = get_prandom_u32;
	for (i = 0; i < BPF2NATIVE_MAP_COUNT; i++)
		bpf2native_maps[i] = &handles[i];
	bpf2native_map_values[BPF2NATIVE_MAP_values] = values;
	bpf2native_map_values[BPF2NATIVE_MAP_jump] = 0;
	bpf2native_map_values[BPF2NATIVE_MAP__data] = data_section.bytes;
	values[1] = 0x0102030405060708;

	for (i = 0; i < 5; i++)
		printf("%s %llu\n", names[i], (unsigned long long)run(i, &ctx));
	for (i = 0; i < 3; i++) {
		packet[0] = (uint8_t)i;
		printf("tail_dispatch/%d %llu\n", i, (unsigned long long)run(BPF2NATIVE_PROGRAM_tail_dispatch, &ctx));
	}
	memcpy(&data, data_section.bytes, sizeof data);
	printf("data %llu\n", (unsigned long long)data);
	printf("tail_loop %llu\n", (unsigned long long)run(BPF2NATIVE_PROGRAM_tail_loop, &ctx));
	memcpy(&data, data_section.bytes, sizeof data);
	printf("data %llu\n", (unsigned long long)data);
	return 0;
}
