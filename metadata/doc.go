// Package metadata is the one description of a compiled object that every
// container carries: its programs (name, section, program type, entry
// symbol, helpers and maps used), its maps (platform type number, sizes,
// flags, pinning, inner map, initial entries), its global sections (initial
// bytes, read-only), the layout of the tables the runtime fills (helper
// slot → helper id, map slot → map or global, the size of the helper-id
// table of callx), the platform, the target and a
// SHA-256 of the eBPF object it was compiled from.
//
// The Go type is neutral: linker/elf stores it with Marshal in a section of
// its own, linker/pe will lay the same values out as ebpf-for-windows'
// bpf2c.h structures, and `bpf2native inspect` and the loader read either.
//
// # Binary encoding (version 2)
//
// All integers are little-endian. A string or byte string is a u32 length
// followed by that many bytes (strings are not NUL-terminated). A list is a
// u32 count followed by its elements. An index is a u32.
//
//	header:
//	  magic    8 bytes  "B2NMETA\x00"
//	  version  u32      2, or 1 when there is no helper-id table
//	  length   u32      bytes of body that follow; nothing may follow the body
//	body:
//	  platform string
//	  arch     string
//	  abi      string
//	  source   32 bytes SHA-256 of the eBPF object
//	  programs list of program
//	  maps     list of map
//	  globals  list of global
//	  helpers  list of helper   (helper table, slot order)
//	  slots    list of slot     (map and map-value tables, slot order)
//	  helper_id_slots u32       (version 2 only, not 0) size of the
//	                            helper-id table callx calls through
//	program:
//	  name, section, type, entry  string ×4
//	  helpers  list of i32 (helper ids)
//	  maps     list of index (into maps)
//	  globals  list of index (into globals)
//	map:
//	  name string; type u32; kind string
//	  key_size, value_size, max_entries, flags, pinning  u32 ×5
//	  entries  list of { key u32; value string; data bytes }
//	  has_inner u8 (0 or 1), then, if 1, the inner map (at most 8 levels)
//	global:
//	  name string; size u32; read_only u8 (0 or 1); init bytes (size bytes)
//	helper:
//	  id i32; name string
//	slot:
//	  kind u8 (0 map, 1 global); index u32
//
// Any change to this layout bumps Version; Unmarshal refuses versions it
// does not know rather than guess. Unmarshal is safe on hostile input: it
// returns errors (wrapping ErrFormat) and never panics, and it checks every
// count against the bytes left before allocating, so memory use stays
// proportional to the input's size.
package metadata
