/* SPDX-License-Identifier: MIT */
/*
 * gcc oracle driver: runs one helper-free testdata program, compiled as plain C by the
 * host compiler, over a stream of inputs, so that its results can be compared with
 * the interpreter's and with bpf2native's native code.
 *
 * Build (from testdata/harness), choosing the entry function and its context kind:
 *   gcc -O2 -fno-strict-aliasing -fwrapv -I../include \
 *       -include ../crc32.c -DENTRY=sample_crc32 -DCTX_SAMPLE driver.c -o oracle
 *   (CTX_XDP for struct xdp_md programs, CTX_SAMPLE for sample_program_context_t;
 *   ../ORACLE_ENTRIES lists every file, entry and kind; ./check.sh exercises them)
 * -fno-strict-aliasing and -fwrapv give C the untyped memory and wrapping arithmetic
 * of eBPF: the programs read packet bytes through u16/u32/u64 pointers, which strict
 * aliasing rules would leave undefined.
 *
 * Input on stdin: any number of records, each a 4-byte little-endian length n
 * followed by n packet bytes (n <= 65535).
 * Output on stdout, one line per record:
 *   <return value> <packet bytes after the run, lowercase hex>
 * The return value is printed as an unsigned decimal of the entry's return type's
 * width (an int returning -1 prints 4294967295), matching r0 truncated to that
 * width. An empty packet prints the value and a trailing space.
 *
 * Context: the packet is copied into a heap buffer of exactly n bytes (so that
 * -fsanitize=address catches any access beyond data_end); data/data_start and
 * data_end delimit it. All other context fields are zero. Globals keep their values
 * from one record to the next, as they do between runs of a loaded program.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ENTRY
#error "define ENTRY to the program's function name"
#endif

#if defined(CTX_XDP)
typedef struct xdp_md ctx_t;
static void set_packet(ctx_t *ctx, uint8_t *data, uint32_t len)
{
	ctx->data = data;
	ctx->data_end = data + len;
}
#elif defined(CTX_SAMPLE)
typedef sample_program_context_t ctx_t;
static void set_packet(ctx_t *ctx, uint8_t *data, uint32_t len)
{
	ctx->data_start = data;
	ctx->data_end = data + len;
}
#else
#error "define CTX_XDP or CTX_SAMPLE"
#endif

#define MAX_INPUT 65535

static void die(const char *what)
{
	fprintf(stderr, "driver: %s\n", what);
	exit(2);
}

int main(int argc, char **argv)
{
	uint8_t hdr[4];
	size_t got;

	/* --width prints the entry's return width in bits, so a comparison with
	 * r0 knows how many of its bits the C function defines. */
	if (argc == 2 && strcmp(argv[1], "--width") == 0) {
		ctx_t probe;
		printf("%u\n", (unsigned)(8 * sizeof(ENTRY(&probe))));
		return 0;
	}

	while ((got = fread(hdr, 1, sizeof(hdr), stdin)) == sizeof(hdr)) {
		uint32_t len = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 |
			       (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
		uint8_t *buf;
		ctx_t ctx;
		uint64_t ret;
		uint32_t i;

		if (len > MAX_INPUT)
			die("record longer than 65535 bytes");
		/* malloc(0) may return NULL; an empty packet gets a byte it cannot see. */
		buf = malloc(len ? len : 1);
		if (!buf)
			die("out of memory");
		if (fread(buf, 1, len, stdin) != len)
			die("truncated record");

		memset(&ctx, 0, sizeof(ctx));
		set_packet(&ctx, buf, len);
		{
			__typeof__(ENTRY(&ctx)) r = ENTRY(&ctx);
			ret = (uint64_t)r & (~UINT64_C(0) >> (64 - 8 * sizeof(r)));
		}

		printf("%llu ", (unsigned long long)ret);
		for (i = 0; i < len; i++)
			printf("%02x", buf[i]);
		putchar('\n');
		free(buf);
	}
	if (got != 0)
		die("truncated length prefix");
	if (ferror(stdin))
		die("read error");
	return 0;
}
