package pe

import "github.com/bpf2native/bpf2native/backend"

// The driver's own routines (DriverEntry, DriverUnload, the NMR callbacks,
// the registry callback, the metadata table's functions and each program's
// entry thunk) are hand-assembled for the target ISA by an isa: x64.go for
// x86-64 (Microsoft x64 convention), a64.go for AArch64 (Windows ARM64
// convention). Both implement the same logic, routine by routine; link
// calls them in one order, so the image's layout does not depend on the
// ISA beyond the routines' sizes. Each isa also writes the unwind
// information (.pdata, and .xdata in .rdata) of every function, generated
// and hand-assembled, in its ISA's format.
type isa interface {
	// machine is the COFF header's Machine.
	machine() uint16
	// fill pads code sections: a byte that traps when executed.
	fill() byte
	// code checks the generated code's functions and records them for
	// unwind information; their bytes are already at the start of .text.
	code(obj *backend.Object) error
	// thunk writes a program's entry in section sec: it copies what the
	// runtime resolved for the program into the module tables, then
	// jumps to the program at entry.
	thunk(sec secID, copies []thunkCopy, entry sym) (sym, error)
	// getter writes a metadata table function f(void **p, size_t *n)
	// storing target's address (or NULL without ok) and count.
	getter(target sym, ok bool, count uint32) sym
	// version writes the table's version function, storing Version in
	// its bpf2c_version_t argument.
	version() sym
	// attach writes the NMR client attach callback, which refuses a
	// second provider and otherwise calls NmrClientAttachProvider (its
	// IAT slot nmrAttach) with table as the client dispatch, recording
	// the binding in provider.
	attach(provider, table, nmrAttach sym) sym
	// detach writes the NMR client detach callback, clearing provider.
	detach(provider sym) sym
	// queryRoutine writes the RtlQueryRegistryValues callback that copies
	// a 16-byte REG_BINARY value to guid.
	queryRoutine(guid sym) sym
	// unload writes DriverUnload: NmrDeregisterClient(client), then
	// NmrWaitForClientDeregisterComplete(client) when NMR answers
	// STATUS_PENDING (IAT slots deregister and wait).
	unload(client, deregister, wait sym) sym
	// driverEntry writes DriverEntry in section sec: it queries the
	// registry with queryTable (RtlQueryRegistryValues, IAT slot
	// rtlQuery), registers an NMR client with chars storing its handle
	// in client (NmrRegisterClient, IAT slot nmrRegister) and sets the
	// driver object's DriverUnload to unload.
	driverEntry(sec secID, queryTable, chars, client, unload, rtlQuery, nmrRegister sym) sym
	// unwind writes the unwind information of every function in address
	// order: .pdata entries in pdata, unwind records in rdata.
	unwind(rdata, pdata secID) error
}

// thunkCopy is one copy a program thunk makes: the 8 bytes at offset src
// of the array a program_runtime_context_t field (at offset field) points
// to, into the module table slot dst.
type thunkCopy struct {
	field int
	src   int
	dst   sym
}

// NTSTATUS values.
const (
	statusPending          = 0x103
	statusInvalidParameter = 0xC000000D
)

// Windows structure offsets, from wdm.h / netioddk.h; x64 and ARM64 lay
// them out alike (LLP64, 8-byte pointers).
const (
	offDriverUnload          = 0x68 // DRIVER_OBJECT.DriverUnload
	offUnicodeStringBuffer   = 8    // UNICODE_STRING.Buffer
	offNpiModuleIDGuid       = 8    // NPI_MODULEID.Guid
	sizeNpiModuleID          = 24
	sizeNpiRegistration      = 40 // NPI_REGISTRATION_INSTANCE
	sizeNpiClientChars       = 72 // NPI_CLIENT_CHARACTERISTICS
	sizeQueryRegistryTable   = 56 // RTL_QUERY_REGISTRY_TABLE
	rtlQueryRegistrySubkey   = 0x1
	rtlQueryRegistryRequired = 0x4
	regBinary                = 3
	mitGUID                  = 1 // NPI_MODULEID_TYPE
)
