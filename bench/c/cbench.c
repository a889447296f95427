/* SPDX-License-Identifier: MIT */
/*
 * Times one helper-free testdata program three ways in one process: the
 * native function bpf2native compiled from the clang-built eBPF object, and
 * the same C source compiled as a plain function by gcc -O2 and by
 * clang-19 -O2. Every call happens here, in C, through the same volatile
 * function pointer, so no Go or cgo overhead enters the ratios.
 *
 * ./bench (go run ./bench, or make bench) writes kernel.h for each program
 * and builds this file with gcc:
 *
 *   gcc -O2 -I WORK cbench.c native.o gcc.o clang.o
 *
 * kernel.h defines NATIVE_ENTRY, GCC_ENTRY and CLANG_ENTRY (the three
 * functions, all uint64_t f(void *ctx)), CTX_SIZE, bench_fill_tables()
 * (the native object's helper, map and map-value tables: globals point at
 * copies of their initial bytes) and bench_set_packet() (the context's
 * packet pointers, at the offsets the program type's context gives).
 *
 * Usage: cbench PACKET_FILE MIN_NS BATCHES. Each batch times each engine,
 * in turn, until MIN_NS nanoseconds of the thread's CPU time have passed
 * (CPU time, so that waiting for a core does not count); interleaving the engines
 * lets them share whatever load the machine is under. For each engine the
 * best batch's nanoseconds per call are printed, since on a shared machine
 * the fastest batch is the one least disturbed, followed by each engine's
 * result on the packet:
 *
 *   NATIVE_NS GCC_NS CLANG_NS NATIVE_R0 GCC_R0 CLANG_R0
 *
 * Without CLANG_ENTRY (./bench -arch arm64: the driver, the native object
 * and the C source are all built for aarch64 and run under qemu-user,
 * gcc only) there are two engines and the line is
 *
 *   NATIVE_NS GCC_NS NATIVE_R0 GCC_R0
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel.h"

typedef uint64_t (*entry_fn)(void *);

#ifdef CLANG_ENTRY
#define ENGINES 3
#else
#define ENGINES 2
#endif

/* Calls go through volatile pointers so the compiler can neither inline
 * the C versions into the loop nor hoist their pure computation out of it. */
static entry_fn volatile engines[ENGINES] = {
	NATIVE_ENTRY, GCC_ENTRY,
#ifdef CLANG_ENTRY
	CLANG_ENTRY,
#endif
};
static volatile uint64_t sink;

/* The thread's CPU time, not the wall clock: on a shared machine the
 * process is preempted, and time spent waiting for a core is not the
 * program's. */
static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint8_t packet[65536] __attribute__((aligned(8)));
static uint8_t pristine[65536];
static uint8_t ctx[CTX_SIZE] __attribute__((aligned(8)));

/* chunk is how many calls run between two readings of the clock, which
 * costs a system call: enough calls for at least 20 µs, so that the
 * readings cost under 2% even for the fastest program. */
static uint64_t chunk(entry_fn volatile *fn)
{
	uint64_t n = 16;
	for (;;) {
		uint64_t start = now_ns();
		for (uint64_t i = 0; i < n; i++)
			sink += (*fn)(ctx);
		if (now_ns() - start >= 20000 || n >= (1u << 24))
			return n;
		n *= 2;
	}
}

static double batch(entry_fn volatile *fn, uint64_t n, uint64_t min_ns)
{
	uint64_t calls = 0, start = now_ns(), elapsed;
	do {
		for (uint64_t i = 0; i < n; i++)
			sink += (*fn)(ctx);
		calls += n;
		elapsed = now_ns() - start;
	} while (elapsed < min_ns);
	return (double)elapsed / (double)calls;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: cbench PACKET_FILE MIN_NS BATCHES\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	size_t len = fread(pristine, 1, sizeof(pristine), f);
	fclose(f);
	memcpy(packet, pristine, len);
	uint64_t min_ns = strtoull(argv[2], NULL, 10);
	int batches = atoi(argv[3]);

	bench_fill_tables();
	bench_set_packet(ctx, packet, (uint32_t)len);

	/* Some programs rewrite the packet (sample_bits): each engine's
	 * result, and each batch, starts from the packet as read. */
	uint64_t r0[ENGINES];
	for (int e = 0; e < ENGINES; e++) {
		memcpy(packet, pristine, len);
		r0[e] = engines[e](ctx);
	}

	uint64_t n[ENGINES];
	for (int e = 0; e < ENGINES; e++)
		n[e] = chunk(&engines[e]);

	double best[ENGINES] = { 0 };
	for (int b = 0; b < batches; b++) {
		for (int k = 0; k < ENGINES; k++) {
			int e = (b + k) % ENGINES; /* rotate who goes first */
			memcpy(packet, pristine, len);
			double per = batch(&engines[e], n[e], min_ns);
			if (b == 0 || per < best[e])
				best[e] = per;
		}
	}
	for (int e = 0; e < ENGINES; e++)
		printf("%.3f ", best[e]);
	for (int e = 0; e < ENGINES; e++)
		printf("%llu%c", (unsigned long long)r0[e], e == ENGINES - 1 ? '\n' : ' ');
	return 0;
}
