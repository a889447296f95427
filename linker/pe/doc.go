// Package pe writes a compiled object as a Windows kernel driver (.sys,
// PE32+) that the ebpf-for-windows runtime loads as it loads a driver bpf2c
// generated: DriverEntry registers an NMR client for the runtime's native
// module NPI, and the attach callback hands the runtime a metadata table in
// the layout of ebpf-for-windows' include/bpf2c.h, whose programs, maps,
// global sections and hashes also sit in the PE sections the runtime's
// user-mode parser scans ("programs", "maps", ...).
//
// The image is HVCI-compatible: page-aligned sections, none both writable
// and executable; NX-compatible and dynamic-base; .pdata/.xdata unwind
// information for every function; DriverEntry alone in the discardable INIT
// section; .reloc base relocations for every pointer; imports from
// ntoskrnl.exe and NETIO.SYS only. No CRT, no TLS. docs/PE.md describes the
// layout and the bpf2c.h version it matches.
//
// The code is amd64 or arm64 code compiled for the Windows ABI; the
// driver's own routines are hand-assembled for the same ISA (driver.go),
// and each ISA gets its own unwind format.
//
// Generated code reaches helpers, maps and globals through module-wide
// tables, as in every container; each program's entry in the metadata table
// is a small thunk that copies what the runtime resolved for that program
// (its program_runtime_context_t) into those tables and jumps to the
// program.
package pe
