/* SPDX-License-Identifier: MIT */
/* Unsafe: a bind program may read its context but not rewrite the process id. */
#include "../include/bpf2native.h"

SEC("bind")
int readonly_ctx(bind_md_t *ctx)
{
	ctx->process_id = 0;
	return BIND_PERMIT;
}
