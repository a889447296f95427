// Native side of package petest: calls into a mapped driver in its
// convention (Microsoft x64 on amd64, Windows ARM64 on arm64), the kernel
// routines it imports (as test stubs) and helper trampolines.
#ifndef BPF2NATIVE_PETEST_H
#define BPF2NATIVE_PETEST_H

#include <stdint.h>

#define PETEST_TRAMPOLINES 64

// What the stubs saw: the driver's NMR registration and attach.
struct petest_record {
	uintptr_t client_characteristics; // NmrRegisterClient's first argument
	uintptr_t client_handle_out;      // where it asked for the handle
	uintptr_t client_dispatch;        // NmrClientAttachProvider's third: the metadata table
	uintptr_t attach_binding;         // and its first
	int registered, attached, deregistered, waited, registry_queries;
	uint8_t npi_module_id[16];        // the NpiModuleId the registry stub returns
	uintptr_t registry_path;          // RtlQueryRegistryValues's path
};

extern struct petest_record petest_record;

// petest_flush_icache makes code written to [begin, end) visible to
// instruction fetch (arm64 does not keep its caches coherent for it).
void petest_flush_icache(uintptr_t begin, uintptr_t end);

// petest_import returns the stub for an imported routine, or 0.
uintptr_t petest_import(const char *dll, const char *name);

int32_t petest_call2(uintptr_t fn, uintptr_t a, uintptr_t b);
int32_t petest_call3(uintptr_t fn, uintptr_t a, uintptr_t b, uintptr_t c);
void petest_call1v(uintptr_t fn, uintptr_t a);
void petest_call2v(uintptr_t fn, uintptr_t a, uintptr_t b);

// petest_run calls a program entry fn(ctx, runtime_context) with run as the
// thread's current run; if a helper aborts, returns 0 and sets *aborted.
uint64_t petest_run(uintptr_t fn, uintptr_t ctx, uintptr_t runtime_context, uintptr_t run, int *aborted);

extern void *petest_trampolines[PETEST_TRAMPOLINES];

#endif
