/* SPDX-License-Identifier: MIT */
/*
 * bind() policy for ebpf-for-windows' bind hook: a rule for the process id wins over
 * a rule for the application id (hashed from the app id bytes), which wins over a
 * rule for (protocol, port); with no rule the bind is permitted. Only the BIND
 * operation is policed. Decisions are counted per action in a per-CPU array.
 *
 * Uses maps and helpers: BPF only (not for the gcc oracle).
 *   bind_policy  (bind)
 */
#include "bpf2native.h"

#define MAX_APP_ID 512 /* bytes of app id hashed; Windows app ids are UTF-16 paths */

struct port_rule_key {
	u16 port; /* network order, as in the sockaddr */
	u8 protocol;
	u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u64); /* process id */
	__type(value, u32); /* enum bind_action */
	__uint(max_entries, 1024);
} process_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, u32); /* FNV-1a of the app id bytes */
	__type(value, u32);
	__uint(max_entries, 1024);
} app_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, struct port_rule_key);
	__type(value, u32);
	__uint(max_entries, 1024);
} port_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, u32);
	__type(value, u64);
	__uint(max_entries, 4); /* one counter per enum bind_action */
} decisions SEC(".maps");

static __always_inline u32 app_id_hash(u8 *p, u8 *end)
{
	u32 h = 2166136261u;
	int i;

	for (i = 0; i < MAX_APP_ID; i++) {
		if (p + i + 1 > end)
			break;
		h = (h ^ p[i]) * 16777619u;
	}
	return h;
}

static __always_inline u32 decide(bind_md_t *ctx)
{
	struct port_rule_key pk = {0};
	u64 pid = ctx->process_id; /* keys must be on the stack, not in the context */
	u32 *action;
	u32 app;

	action = bpf_map_lookup_elem(&process_rules, &pid);
	if (action)
		return *action;

	app = app_id_hash(ctx->app_id_start, ctx->app_id_end);
	action = bpf_map_lookup_elem(&app_rules, &app);
	if (action)
		return *action;

	/* sockaddr_in and sockaddr_in6 both keep the port at bytes 2-3. */
	if (ctx->socket_address_length < 4)
		return BIND_PERMIT;
	pk.port = (u16)(ctx->socket_address[2] | ctx->socket_address[3] << 8);
	pk.protocol = ctx->protocol;
	action = bpf_map_lookup_elem(&port_rules, &pk);
	if (action)
		return *action;
	return BIND_PERMIT;
}

SEC("bind")
int bind_policy(bind_md_t *ctx)
{
	u32 verdict;
	u64 *count;

	if (ctx->operation != BIND_OPERATION_BIND)
		return BIND_PERMIT;
	verdict = decide(ctx);
	if (verdict > BIND_PERMIT_HARD)
		verdict = BIND_DENY; /* a corrupt rule fails closed */
	count = bpf_map_lookup_elem(&decisions, &verdict);
	if (count)
		(*count)++;
	return verdict;
}
