package ir

import (
	"github.com/cilium/ebpf/asm"
)

// Module is one eBPF object after decoding.
type Module struct {
	// Source is the path of the object the module was read from; diagnostics
	// start with it.
	Source string
	// Platform names the runtime whose numbering the object's program types,
	// helper ids and map types follow ("windows" or "linux").
	Platform string
	License  string
	// Programs are ordered by section name, then by name, so that every
	// stage that walks them produces the same output for the same input.
	Programs []*Program
	// Maps holds the object's maps followed by its global sections, each in
	// name order. Instruction.Map indexes this slice.
	Maps []*Map
}

// Program is one entry point with the sub-programs it reaches.
type Program struct {
	Name    string
	Section string
	// Type is the platform's name for the program type the section selects
	// ("xdp", "bind", ...), or "" when the section names no known type.
	Type string
	// Insns holds the entry function followed by every function it calls,
	// directly or not, each function's instructions contiguous.
	Insns []Instruction
	// Funcs lists the functions in Insns in order; Funcs[0] is the entry.
	Funcs []Function
	// Helpers are the helper ids the program calls, ascending.
	Helpers []int32
	// MapRefs are the indices into Module.Maps the program references,
	// ascending.
	MapRefs []int
}

// Function is a contiguous range of a program's instructions.
type Function struct {
	Name string
	// Start and End delimit the function in Program.Insns: [Start, End).
	Start, End int
}

// NoTarget marks an instruction that neither jumps nor calls locally;
// NoMap one that loads no map.
const (
	NoTarget = -1
	NoMap    = -1
)

// Instruction is a decoded instruction with its references resolved.
type Instruction struct {
	asm.Instruction
	// Slot is the instruction's offset in 8-byte slots from the program's
	// start, the number llvm-objdump and the kernel print.
	Slot int
	// Func is the index into Program.Funcs of the function holding it.
	Func int
	// Target is the index into Program.Insns that a jump transfers to or a
	// local call enters; NoTarget otherwise.
	Target int
	// Map is the index into Module.Maps that a map load names; NoMap
	// otherwise. For a map value load the byte offset into the value is
	// MapOffset.
	Map int
	Pos Position
}

// MapOffset returns the byte offset into the map value that a map value
// load (lddw with src 2) adds to the value's address.
func (ins *Instruction) MapOffset() uint32 {
	return uint32(uint64(ins.Constant) >> 32)
}

// IsLocalCall reports whether ins is a bpf-to-bpf call.
func (ins *Instruction) IsLocalCall() bool {
	return ins.OpCode.JumpOp() == asm.Call && ins.OpCode.Class() == asm.JumpClass && ins.Src == asm.PseudoCall
}

// IsHelperCall reports whether ins calls a helper by id.
func (ins *Instruction) IsHelperCall() bool {
	return ins.OpCode.JumpOp() == asm.Call && ins.OpCode.Class() == asm.JumpClass &&
		ins.OpCode.Source() == asm.ImmSource && ins.Src == asm.R0
}

// HelperID returns the helper id a helper call names.
func (ins *Instruction) HelperID() int32 {
	return int32(ins.Constant)
}

// Position is a source location from BTF line info.
type Position struct {
	File string
	Line uint32
	Col  uint32
	// Text is the source line itself, as BTF records it.
	Text string
}

// Known reports whether the position came from line info.
func (p Position) Known() bool { return p.File != "" && p.Line != 0 }

// MapKind is the platform-independent kind of a map. Object files state map
// types as numbers whose meaning depends on the platform; the frontend
// translates them to a kind so no later stage needs the platform's table.
type MapKind int

const (
	MapUnknown MapKind = iota
	MapHash
	MapArray
	MapProgArray
	MapPerCPUHash
	MapPerCPUArray
	MapHashOfMaps
	MapArrayOfMaps
	MapLRUHash
	MapLRUPerCPUHash
	MapLPMTrie
	MapQueue
	MapStack
	MapRingBuf
	MapPerfEventArray
)

var mapKindNames = [...]string{
	MapUnknown:        "unknown",
	MapHash:           "hash",
	MapArray:          "array",
	MapProgArray:      "prog_array",
	MapPerCPUHash:     "percpu_hash",
	MapPerCPUArray:    "percpu_array",
	MapHashOfMaps:     "hash_of_maps",
	MapArrayOfMaps:    "array_of_maps",
	MapLRUHash:        "lru_hash",
	MapLRUPerCPUHash:  "lru_percpu_hash",
	MapLPMTrie:        "lpm_trie",
	MapQueue:          "queue",
	MapStack:          "stack",
	MapRingBuf:        "ringbuf",
	MapPerfEventArray: "perf_event_array",
}

func (k MapKind) String() string {
	if k < 0 || int(k) >= len(mapKindNames) {
		return "unknown"
	}
	return mapKindNames[k]
}

// MapKindByName returns the kind named s, as String prints it.
func MapKindByName(s string) (MapKind, bool) {
	for k, name := range mapKindNames {
		if name == s && k != int(MapUnknown) {
			return MapKind(k), true
		}
	}
	return MapUnknown, false
}

// Map describes a map or a global section. Global sections are single-entry
// arrays whose one value holds the section's bytes, as on every eBPF runtime.
type Map struct {
	Name string
	Kind MapKind
	// Type is the map type number as the object states it, meaningful on
	// the module's platform.
	Type       uint32
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      uint32
	Pinning    uint32
	// Inner is the template of the maps a map-of-maps holds.
	Inner *Map
	// Section is the ELF section a global lives in (".data", ".rodata.str1.1",
	// ...); empty for ordinary maps.
	Section string
	// ReadOnly marks maps the program may not write (.rodata).
	ReadOnly bool
	// Init is a global section's initial value (ValueSize bytes).
	Init []byte
	// Entries are the initial entries of an ordinary map (program arrays,
	// maps of maps, statically initialised arrays) in key order.
	Entries []MapEntry
}

// IsGlobal reports whether m is a global section rather than a map.
func (m *Map) IsGlobal() bool { return m.Section != "" }

// MapEntry is one initial key/value pair. Value names a program or a map
// when the map holds programs or maps; otherwise Data holds its bytes.
type MapEntry struct {
	Key   uint32
	Value string
	Data  []byte
}
