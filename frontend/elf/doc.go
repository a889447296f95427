// Package elf reads an eBPF object built by clang -target bpf into an
// ir.Module. cilium/ebpf does the ELF and BTF work (sections, symbols,
// relocations, map definitions, line info); this package checks what
// cilium/ebpf tolerates but bpf2native must refuse (big-endian objects,
// unknown relocation kinds, kfuncs, unresolved symbols), translates the
// platform's numbering of program and map types, and resolves every
// reference so later stages see plain indices.
//
// No input may panic the frontend: every malformed object ends in an error
// that names the file and what is wrong.
package elf
