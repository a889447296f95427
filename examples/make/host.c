/* SPDX-License-Identifier: MIT */
/*
 * A C host for the native object bpf2native compiled from prog.bpf.c: fill
 * the tables the object defines (see prog.native.h), then call the program
 * on two packets, one to the blocked port and one to another.
 */
#include <stdio.h>
#include <string.h>

#include "prog.native.h"

struct xdp_md {
	void *data;
	void *data_end;
	uint64_t data_meta;
	uint32_t ingress_ifindex;
};

/* The global sections' storage, initialised as the object says. */
static uint8_t rodata[] = BPF2NATIVE_GLOBAL__rodata_INIT;
static uint8_t bss[BPF2NATIVE_GLOBAL__bss_SIZE];

static uint64_t run(uint16_t dport)
{
	uint8_t packet[64] = {0};

	packet[12] = 0x08; /* IPv4 */
	packet[14] = 0x45; /* version 4, 20-byte header */
	packet[23] = 6;    /* TCP */
	packet[36] = (uint8_t)(dport >> 8);
	packet[37] = (uint8_t)dport;
	struct xdp_md ctx = {.data = packet, .data_end = packet + sizeof(packet)};
	return filter(&ctx);
}

int main(void)
{
	bpf2native_map_values[BPF2NATIVE_MAP__rodata] = rodata;
	bpf2native_map_values[BPF2NATIVE_MAP__bss] = bss;

	printf("port 23: %s\n", run(23) == 2 ? "drop" : "pass");
	printf("port 80: %s\n", run(80) == 2 ? "drop" : "pass");
	uint64_t seen;
	memcpy(&seen, bss, sizeof(seen));
	printf("bytes seen: %llu\n", (unsigned long long)seen);
	return 0;
}
