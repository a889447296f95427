//go:build linux && (amd64 || arm64) && cgo

#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include "petest.h"
#include "_cgo_export.h"

// The driver's convention: Microsoft x64 on amd64; on arm64 the Windows
// ARM64 convention, which for these functions (integer arguments in
// x0-x7, result in x0) is AAPCS64's, the compiler's own. The one
// difference, x18, does not matter here: the driver never touches it.
#if defined(__x86_64__)
#define MSABI __attribute__((ms_abi))
#else
#define MSABI
#endif

struct petest_record petest_record;

// Kernel routines, as the driver calls them.

static MSABI int32_t stub_NmrRegisterClient(void *characteristics, void *client_context, void **handle)
{
	(void)client_context;
	petest_record.client_characteristics = (uintptr_t)characteristics;
	petest_record.client_handle_out = (uintptr_t)handle;
	petest_record.registered++;
	*handle = (void *)(uintptr_t)0xc11e47;
	return 0;
}

static MSABI int32_t stub_NmrClientAttachProvider(void *binding, void *client_context, const void *client_dispatch,
						  void **provider_binding_context, const void **provider_dispatch)
{
	(void)client_context;
	petest_record.attach_binding = (uintptr_t)binding;
	petest_record.client_dispatch = (uintptr_t)client_dispatch;
	petest_record.attached++;
	*provider_binding_context = (void *)(uintptr_t)0xb1d;
	*provider_dispatch = 0;
	return 0;
}

static MSABI int32_t stub_NmrDeregisterClient(void *handle)
{
	if ((uintptr_t)handle != 0xc11e47)
		return (int32_t)0xC0000008; // STATUS_INVALID_HANDLE
	petest_record.deregistered++;
	return 0x103; // STATUS_PENDING, so the driver must wait
}

static MSABI int32_t stub_NmrWaitForClientDeregisterComplete(void *handle)
{
	if ((uintptr_t)handle == 0xc11e47)
		petest_record.waited++;
	return 0;
}

// RTL_QUERY_REGISTRY_TABLE (x64 and ARM64).
struct query_table {
	int32_t(MSABI *routine)(const uint16_t *, uint32_t, const void *, uint32_t, void *, void *);
	uint32_t flags;
	const uint16_t *name;
	void *entry_context;
	uint32_t default_type;
	void *default_data;
	uint32_t default_length;
};

static int wide_equal(const uint16_t *w, const char *s)
{
	if (!w)
		return 0;
	for (; *s; s++, w++)
		if (*w != (uint16_t)*s)
			return 0;
	return *w == 0;
}

static MSABI int32_t stub_RtlQueryRegistryValues(uint32_t relative_to, const uint16_t *path, struct query_table *table,
						 void *context, void *environment)
{
	(void)environment;
	if (relative_to != 0)
		return (int32_t)0xC000000D;
	petest_record.registry_path = (uintptr_t)path;
	petest_record.registry_queries++;
	int in_parameters = 0;
	for (; table->routine || table->name; table++) {
		if (table->flags & 1) { // RTL_QUERY_REGISTRY_SUBKEY
			in_parameters = wide_equal(table->name, "Parameters");
			continue;
		}
		if (!in_parameters || !wide_equal(table->name, "NpiModuleId"))
			return (int32_t)0xC0000034; // STATUS_OBJECT_NAME_NOT_FOUND
		int32_t status = table->routine(table->name, 3 /* REG_BINARY */, petest_record.npi_module_id, 16,
						context, table->entry_context);
		if (status < 0)
			return status;
	}
	return 0;
}

void petest_flush_icache(uintptr_t begin, uintptr_t end)
{
	__builtin___clear_cache((char *)begin, (char *)end);
}

uintptr_t petest_import(const char *dll, const char *name)
{
	if (strcmp(dll, "NETIO.SYS") == 0) {
		if (strcmp(name, "NmrRegisterClient") == 0)
			return (uintptr_t)stub_NmrRegisterClient;
		if (strcmp(name, "NmrClientAttachProvider") == 0)
			return (uintptr_t)stub_NmrClientAttachProvider;
		if (strcmp(name, "NmrDeregisterClient") == 0)
			return (uintptr_t)stub_NmrDeregisterClient;
		if (strcmp(name, "NmrWaitForClientDeregisterComplete") == 0)
			return (uintptr_t)stub_NmrWaitForClientDeregisterComplete;
	}
	if (strcmp(dll, "ntoskrnl.exe") == 0 && strcmp(name, "RtlQueryRegistryValues") == 0)
		return (uintptr_t)stub_RtlQueryRegistryValues;
	return 0;
}

int32_t petest_call2(uintptr_t fn, uintptr_t a, uintptr_t b)
{
	return ((int32_t(MSABI *)(uintptr_t, uintptr_t))fn)(a, b);
}

int32_t petest_call3(uintptr_t fn, uintptr_t a, uintptr_t b, uintptr_t c)
{
	return ((int32_t(MSABI *)(uintptr_t, uintptr_t, uintptr_t))fn)(a, b, c);
}

void petest_call1v(uintptr_t fn, uintptr_t a)
{
	((void(MSABI *)(uintptr_t))fn)(a);
}

void petest_call2v(uintptr_t fn, uintptr_t a, uintptr_t b)
{
	((void(MSABI *)(uintptr_t, uintptr_t))fn)(a, b);
}

static __thread uintptr_t current_run;
static __thread jmp_buf *current_abort;

uint64_t petest_run(uintptr_t fn, uintptr_t ctx, uintptr_t runtime_context, uintptr_t run, int *aborted)
{
	uintptr_t saved_run = current_run;
	jmp_buf *saved_abort = current_abort;
	jmp_buf abort_to;
	volatile uint64_t r0 = 0;

	current_run = run;
	current_abort = &abort_to;
	if (setjmp(abort_to) == 0) {
		r0 = ((uint64_t(MSABI *)(uintptr_t, uintptr_t))fn)(ctx, runtime_context);
	} else {
		*aborted = 1;
	}
	current_run = saved_run;
	current_abort = saved_abort;
	return r0;
}

// Helper trampolines: helper_function_t in the driver's convention, six
// arguments (r1-r5 and the program context).
#define TRAMPOLINE(h, l)                                                                            \
	static MSABI uint64_t trampoline_##h##_##l(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, \
						   uint64_t r5, void *ctx)                          \
	{                                                                                           \
		int abort = 0;                                                                      \
		uint64_t r0 = petestHelper(current_run, (h) * 8 + (l), r1, r2, r3, r4, r5,          \
					   (uintptr_t)ctx, &abort);                                 \
		if (abort)                                                                          \
			longjmp(*current_abort, 1);                                                 \
		return r0;                                                                          \
	}
#define ROW(h)                                                                                     \
	TRAMPOLINE(h, 0) TRAMPOLINE(h, 1) TRAMPOLINE(h, 2) TRAMPOLINE(h, 3) TRAMPOLINE(h, 4)       \
	TRAMPOLINE(h, 5) TRAMPOLINE(h, 6) TRAMPOLINE(h, 7)
ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7)

#define ADDR(h, l) (void *)trampoline_##h##_##l,
#define AROW(h) ADDR(h, 0) ADDR(h, 1) ADDR(h, 2) ADDR(h, 3) ADDR(h, 4) ADDR(h, 5) ADDR(h, 6) ADDR(h, 7)
void *petest_trampolines[PETEST_TRAMPOLINES] = {AROW(0) AROW(1) AROW(2) AROW(3) AROW(4) AROW(5) AROW(6) AROW(7)};
