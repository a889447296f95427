//go:build ignore

/* The shapes of maps, globals and types the generator must declare in Go. */
typedef unsigned char __u8;
typedef unsigned short __u16;
typedef unsigned int __u32;
typedef unsigned long long __u64;

#define SEC(name) __attribute__((section(name), used))
#define __uint(name, val) int (*name)[val]
#define __type(name, val) typeof(val) *name

struct xdp_md {
	void *data;
	void *data_end;
	__u64 data_meta;
	__u32 ingress_ifindex;
};

/* Declared in Go, with its constants, only on request (--type verdict). */
enum verdict { VERDICT_DROP = 1, VERDICT_PASS = 2 };

struct key {
	__u32 ifindex;
	__u16 port;
	__u8 proto;
	__u8 pad;
};

struct stats {
	__u64 packets;
	__u64 bytes;
	enum verdict last;
	__u32 pad;
};

struct {
	__uint(type, 2); /* array */
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 4);
} per_slot SEC(".maps");

struct {
	__uint(type, 1); /* hash */
	__type(key, struct key);
	__type(value, struct stats);
	__uint(max_entries, 16);
} by_key SEC(".maps");

volatile const __u32 limit = 1000;
volatile const __u8 mode = 2;
__u64 seen = 0;
__u32 history[4] = {1, 2, 3, 4};

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;

SEC("xdp")
int first(struct xdp_md *ctx)
{
	__u32 slot = ctx->ingress_ifindex & 3;
	__u64 *n = bpf_map_lookup_elem(&per_slot, &slot);
	struct key k = {.ifindex = ctx->ingress_ifindex, .proto = mode};
	struct stats *s;

	seen++;
	history[slot] += 1;
	if (n)
		*n += 1;
	s = bpf_map_lookup_elem(&by_key, &k);
	if (s)
		s->packets++;
	return seen > limit ? VERDICT_DROP : VERDICT_PASS;
}

SEC("xdp")
int second_prog(struct xdp_md *ctx)
{
	return (ctx->data_end - ctx->data) > limit ? VERDICT_DROP : VERDICT_PASS;
}

char _license[] SEC("license") = "MIT";
