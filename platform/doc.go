// Package platform describes the eBPF runtimes bpf2native targets as data:
// for each platform (ebpf-for-windows, Linux) its program types with the
// section names that select them, the layout of each type's context and the
// width of its result, its map type numbering and its helper ids.
//
// The descriptions live in embedded JSON files (windows.json, linux.json)
// whose format is documented in FORMAT.md beside them, so that a new hook is
// described by a file, not by code: Load reads one more file of the same
// format and adds its program types and helpers to a platform.
package platform
