// Package elf links bpf2native's native code into ELF64 relocatable objects
// (ET_REL) that a C toolchain links into a program, and that the loader runs
// in process. It also writes the C header a host includes to call them.
//
// # Layout
//
// Every object has the same sections, in this order:
//
//	[1] .text             PROGBITS AX, align 16: the functions of backend.Object.Text
//	[2] .rela.text        RELA, info → .text, link → .symtab: table references
//	[3] .bss              NOBITS WA, align 8: the tables, zero-filled
//	[4] .bpf2native.meta  PROGBITS, not allocated: metadata.Marshal of the Metadata
//	[5] .note.GNU-stack   PROGBITS, empty, not executable: no executable stack
//	[6] .symtab, [7] .strtab, [8] .shstrtab
//
// Symbols: each sub-program is a local STT_FUNC in .text; each program's
// entry function a global STT_FUNC named as the program, callable from C as
// uint64_t NAME(void *ctx); and the tables are global, hidden STT_OBJECT
// symbols in .bss, 8 bytes per slot, in this order:
//
//	bpf2native_helpers     helper slot i → address of helper Metadata.Helpers[i]
//	bpf2native_maps        map slot i → handle of Metadata.Slots[i]
//	bpf2native_map_values  map slot i → address of its first value
//	bpf2native_helper_ids  (only when code uses callx) helper id i → the
//	                       function for that id, called with r1-r5 and the
//	                       id as a sixth argument; slot 0 and ids without a
//	                       helper hold a trap (ids past the table reach slot 0)
//
// Hidden visibility keeps the tables inside the program or shared object
// they are linked into, so PC-relative references to them need no GOT or
// dynamic relocation, even with -shared.
//
// # Relocations
//
// A reference to slot s of a table, with instruction addend a, becomes one
// RELA entry against the table's symbol with addend 8*s + a:
//
//	backend form       amd64 (EM_X86_64)   arm64 (EM_AARCH64)
//	PCRel32            R_X86_64_PC32       R_AARCH64_PREL32
//	Abs64              R_X86_64_64         R_AARCH64_ABS64
//	AArch64Page21      —                   R_AARCH64_ADR_PREL_PG_HI21
//	AArch64Lo12Add     —                   R_AARCH64_ADD_ABS_LO12_NC
//	AArch64Lo12Ldst64  —                   R_AARCH64_LDST64_ABS_LO12_NC
//
// Calls between functions are resolved by the code generator, so neither
// R_X86_64_PLT32 nor R_AARCH64_CALL26 is emitted; helper calls are indirect
// through the table (call [rip+slot]), a data reference. ReadObject accepts
// R_X86_64_PLT32 as a PC32 for objects produced elsewhere.
package elf
