// Package backend turns optimized SSA into native code for an ISA and an
// ABI. Its Object type is the boundary to the linkers: machine code, the
// functions in it, and relocations against the helper, map and map-value
// tables (and, for callx, the helper-id table) that a runtime fills at
// load time (see DESIGN.md, "Native ABI").
//
// Compile is the driver: for each program it lifts the functions
// (ssa.Build), runs the SSA pipeline (ssa.Compile) and ssa.PruneCallArgs,
// and hands each function to the target arch's Machine:
//
//	ssa.Func ──lower (Machine, FuncContext)──▶ machine code on virtual registers
//	         ──regalloc.Allocate──────────────▶ physical registers, spill code
//	         ──Machine.Finalize───────────────▶ frame, prologue, epilogues, branch
//	                                            layout (OptimizeBranches)
//	         ──Machine.Encode─────────────────▶ Code: bytes + CodeRelocs
//
// FuncContext gives copies, truncations and free zero extensions their
// argument's register, so they need no code. The driver then lays the
// functions out in one text, resolves local calls and turns
// table references into Relocs. Machine (machine.go) is the whole lowering
// contract, ABI (abi.go) a calling convention as data, and the arch
// registry (registry.go) maps --arch names to machines; packages such as
// backend/amd64 register themselves when imported. Nothing here depends on
// an ISA.
package backend
