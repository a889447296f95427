package backend

// Object is the native code of one module before linking: every function's
// machine code in one text section, the symbols that name them, and the
// references to the tables a runtime fills at load time. Linkers (linker/elf,
// linker/pe) turn it into a file; nothing in it depends on the container.
type Object struct {
	// Arch is "amd64" or "arm64"; ABI is the calling convention the code
	// follows ("sysv", "windows", "aapcs64").
	Arch, ABI string
	// Text holds the functions back to back, each aligned to TextAlign.
	Text []byte
	// Funcs are the functions in Text, in address order. Local calls
	// between them are already resolved: they need no relocation.
	Funcs []Func
	// Relocs are the references from Text to the tables below, in offset
	// order.
	Relocs []Reloc
	// Helpers lists the helper ids the code calls, in helper-table order:
	// slot i of the helper table holds the address of helper Helpers[i].
	Helpers []int32
	// Maps lists the ir.Module.Maps indices the code references, in
	// map-table order: slot i of the map table holds the handle of map
	// Maps[i], and slot i of the map-value table the address of its first
	// value (for global sections, the section's data).
	Maps []int
	// HelperIDSlots is the size of the helper-id table, HelperIDSlots
	// when some code calls helpers by id (callx), else 0.
	HelperIDSlots int
}

// HelperIDSlots is the number of slots of the helper-id table, which
// callx calls through: slot i holds the function for helper id i. Code
// sends ids outside the table to slot 0, which, like every slot of an id
// without a helper, holds a trap that stops the run. Every slot's
// function receives r1-r5 and, as a sixth argument, the id the program
// asked for (before clamping), so a trap can name it.
const HelperIDSlots = 256

// TextAlign is the alignment of every function in Object.Text.
const TextAlign = 16

// Func is one function in Object.Text.
type Func struct {
	Name string
	// Offset and Size delimit the function in Text.
	Offset, Size int
	// Program is the index into ir.Module.Programs of the program this
	// function is the entry of, or -1 for a sub-program.
	Program int
	// FrameSize is the bytes of native stack the function reserves,
	// including its 512-byte eBPF stack; unwind information needs it.
	FrameSize int
	// Unwind describes the prologue for the container's unwind tables
	// (PE .pdata/.xdata); its form is the ISA's.
	Unwind []UnwindCode
	// Lines maps the function's machine code back to eBPF instructions:
	// one entry per machine instruction, sorted by offset, each running
	// to the next entry's offset (the last to Size). Empty when the
	// arch's machine does not record lines.
	Lines []Line
}

// Line is one machine instruction of a Func in its line table.
type Line struct {
	// Offset is where the machine instruction starts, in bytes from the
	// start of its function (Func.Offset), as UnwindCode.Offset counts;
	// Func.Offset+Offset is its place in Object.Text.
	Offset int
	// Insn is the index into ir.Program.Insns of the eBPF instruction the
	// machine instruction was generated for, or -1 for code of no single
	// instruction: prologue, epilogue, spill and reload code, phi copies
	// and jumps between blocks. The program is Func.Program for an entry
	// and, for a sub-program (Program -1), the nearest entry before it in
	// Object.Funcs, whose name prefixes its own: Compile emits each
	// program's entry followed by its sub-programs. Its source position is
	// the instruction's Pos.
	Insn int
}

// UnwindCode is one step of a prologue, at code offset Offset from the
// function's start: a register pushed, or the stack pointer lowered.
type UnwindCode struct {
	Offset int
	// Op is "push" (Reg saved), "alloc" (Size bytes reserved), "setfp"
	// (frame pointer established) or, on arm64, "save_pair".
	Op   string
	Reg  int
	Size int
}

// Table names the tables code refers to.
type Table int

const (
	// HelperTable holds helper function addresses.
	HelperTable Table = iota
	// MapTable holds map handles.
	MapTable
	// MapValueTable holds the addresses of maps' first values.
	MapValueTable
	// HelperIDTable holds helper functions by helper id (callx); see
	// HelperIDSlots.
	HelperIDTable
)

func (t Table) String() string {
	switch t {
	case HelperTable:
		return "helpers"
	case MapTable:
		return "maps"
	case MapValueTable:
		return "map_values"
	case HelperIDTable:
		return "helper_ids"
	}
	return "unknown table"
}

// RelocForm is how a reference is encoded in the instruction.
type RelocForm int

const (
	// PCRel32 is a 32-bit displacement from the end of the 4-byte field
	// (x86-64 RIP-relative addressing): value = S + A - P with A = -4 for
	// a field that ends the instruction.
	PCRel32 RelocForm = iota
	// Abs64 is a 64-bit absolute address.
	Abs64
	// AArch64Page21 is the page of an ADRP (R_AARCH64_ADR_PREL_PG_HI21).
	AArch64Page21
	// AArch64Lo12Add is the low 12 bits in an ADD (R_AARCH64_ADD_ABS_LO12_NC).
	AArch64Lo12Add
	// AArch64Lo12Ldst64 is the low 12 bits, scaled by 8, in a 64-bit LDR
	// (R_AARCH64_LDST64_ABS_LO12_NC).
	AArch64Lo12Ldst64
	// AArch64Call26 is the 26-bit word offset in a BL (R_AARCH64_CALL26):
	// value = S + A - P, divided by 4. Only local calls use it, and the
	// driver resolves them, so no Reloc has this form.
	AArch64Call26
)

// Reloc is a reference from Text to slot Slot of table Table.
type Reloc struct {
	// Offset is where in Text the field to patch starts.
	Offset int
	Form   RelocForm
	Table  Table
	Slot   int
	// Addend is added to the slot's address (before subtracting the place
	// for PC-relative forms); PCRel32 fields ending their instruction use
	// -4.
	Addend int64
}
