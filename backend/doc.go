// Package backend turns optimized SSA into native code for an ISA and an
// ABI. Its Object type is the boundary to the linkers: machine code, the
// functions in it, and relocations against the helper, map and map-value
// tables that a runtime fills at load time (see DESIGN.md, "Native ABI").
package backend
