// runner executes a bpf2native amd64 image for the tests until the loader
// exists: it maps the image (code followed by the helper, map and
// map-value tables, relocations already applied by the test), fills the
// helper table with a stub, and calls the entry with r1 = memory and r2 =
// its length, in the System V or Microsoft x64 convention.
//
// usage: runner sysv|windows IMAGE MEMORY ENTRY TABLE NSLOTS
// prints r0 in hex, then the memory after the run in hex.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static uint64_t sysv_stub(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e) {
	(void)a; (void)b; (void)c; (void)d; (void)e;
	return 0;
}
static uint64_t __attribute__((ms_abi)) win_stub(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e) {
	(void)a; (void)b; (void)c; (void)d; (void)e;
	return 0;
}

static unsigned char *slurp(const char *path, size_t *n) {
	FILE *f = fopen(path, "rb");
	if (!f) { perror(path); exit(2); }
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *buf = malloc(len + 1);
	if (fread(buf, 1, len, f) != (size_t)len) { perror(path); exit(2); }
	fclose(f);
	*n = len;
	return buf;
}

int main(int argc, char **argv) {
	if (argc != 7) { fprintf(stderr, "usage\n"); return 2; }
	int win = strcmp(argv[1], "windows") == 0;
	size_t n, memlen;
	unsigned char *image = slurp(argv[2], &n);
	unsigned char *mem = slurp(argv[3], &memlen);
	long entry = atol(argv[4]), table = atol(argv[5]), nslots = atol(argv[6]);
	size_t size = (n + 4095) & ~(size_t)4095;
	unsigned char *code = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (code == MAP_FAILED) { perror("mmap"); return 2; }
	memcpy(code, image, n);
	for (long i = 0; i < nslots; i++) {
		uint64_t stub = win ? (uint64_t)(uintptr_t)win_stub : (uint64_t)(uintptr_t)sysv_stub;
		memcpy(code + table + 8 * i, &stub, 8);
	}
	if (mprotect(code, size, PROT_READ | PROT_EXEC) != 0) { perror("mprotect"); return 2; }
	uint64_t r0;
	if (win) {
		uint64_t (__attribute__((ms_abi)) *f)(void *, uint64_t) = (void *)(code + entry);
		r0 = f(mem, memlen);
	} else {
		uint64_t (*f)(void *, uint64_t) = (void *)(code + entry);
		r0 = f(mem, memlen);
	}
	printf("%llx\n", (unsigned long long)r0);
	for (size_t i = 0; i < memlen; i++) printf("%02x", mem[i]);
	printf("\n");
	return 0;
}
