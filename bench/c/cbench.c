/* SPDX-License-Identifier: MIT */
/*
 * Times one helper-free testdata program compiled as plain C, the reference
 * for the interpreter's and native code's speed. Built like the gcc oracle
 * driver (testdata/harness/driver.c), with -DENTRY and -DCTX_XDP/-DCTX_SAMPLE:
 *
 *   gcc -O2 -fno-strict-aliasing -fwrapv -I../../testdata/include \
 *       -include ../../testdata/hash.c -DENTRY=sample_fnv1a -DCTX_SAMPLE cbench.c
 *
 * Usage: cbench PACKET_FILE MIN_NS BATCHES. Each batch calls the program on
 * the packet until MIN_NS nanoseconds have passed; the best batch's
 * nanoseconds per call are printed, since on a shared machine the fastest
 * batch is the one least disturbed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(CTX_XDP)
typedef struct xdp_md ctx_t;
#define SET_PACKET(ctx, p, n) ((ctx)->data = (p), (ctx)->data_end = (p) + (n))
#elif defined(CTX_SAMPLE)
typedef sample_program_context_t ctx_t;
#define SET_PACKET(ctx, p, n) ((ctx)->data_start = (p), (ctx)->data_end = (p) + (n))
#else
#error "define CTX_XDP or CTX_SAMPLE"
#endif

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The call goes through a volatile pointer so gcc cannot hoist the pure
 * computation out of the timing loop. */
static __typeof__(ENTRY) *volatile entry = ENTRY;
static volatile uint64_t sink;

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
	static uint8_t packet[65536];
	size_t len = fread(packet, 1, sizeof(packet), f);
	fclose(f);
	uint64_t min_ns = strtoull(argv[2], NULL, 10);
	int batches = atoi(argv[3]);

	ctx_t ctx;
	memset(&ctx, 0, sizeof(ctx));
	SET_PACKET(&ctx, packet, len);
	double best = 0;
	for (int b = 0; b < batches; b++) {
		uint64_t calls = 0, start = now_ns(), elapsed;
		do {
			for (int i = 0; i < 64; i++)
				sink += (uint64_t)entry(&ctx);
			calls += 64;
			elapsed = now_ns() - start;
		} while (elapsed < min_ns);
		double per = (double)elapsed / (double)calls;
		if (b == 0 || per < best)
			best = per;
	}
	printf("%.3f\n", best);
	return 0;
}
