package metadata

import (
	"crypto/sha256"
	"fmt"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
)

// Metadata describes one compiled object: what a runtime needs to create its
// maps, fill its tables and attach its programs. Both containers encode it
// (linker/elf in a section of its own, linker/pe as bpf2c does), and
// `bpf2native inspect` and the loader decode it. It holds plain values only,
// so it can be compared with reflect.DeepEqual and printed.
type Metadata struct {
	// Platform names the runtime whose numbering program types, helper ids
	// and map types follow ("windows", "linux").
	Platform string
	// Arch and ABI are the code's ISA ("amd64", "arm64") and calling
	// convention ("sysv", "windows", "aapcs64").
	Arch, ABI string
	// SourceSHA256 is the SHA-256 of the eBPF object the code was compiled
	// from, so an artifact can be traced to its source.
	SourceSHA256 [32]byte
	// Programs are the entry points, in ir.Module order.
	Programs []Program
	// Maps are the object's maps, in ir.Module order.
	Maps []Map
	// Globals are the object's global sections (.data, .rodata, .bss...),
	// in ir.Module order.
	Globals []Global
	// Helpers is the helper table: slot i holds the address of the helper
	// Helpers[i] describes.
	Helpers []Helper
	// Slots is the map table and the map-value table: slot i of the map
	// table holds the handle of what Slots[i] names, slot i of the
	// map-value table the address of its first value.
	Slots []Slot
	// HelperIDSlots is the size of the helper-id table that callx calls
	// through (slot i: helper id i; see backend.HelperIDSlots), or 0 when
	// no code calls helpers by id.
	HelperIDSlots int
}

// Program is one entry point.
type Program struct {
	Name    string
	Section string
	// Type is the platform's program type name ("xdp", "bind"), or "" when
	// the section selects no known type.
	Type string
	// Entry is the symbol of the program's native function.
	Entry string
	// Helpers are the ids of the helpers the program calls, ascending.
	Helpers []int32
	// Maps and Globals index Metadata.Maps and Metadata.Globals: what the
	// program references, ascending.
	Maps    []int
	Globals []int
}

// Map is one map definition.
type Map struct {
	Name string
	// Type is the map type number as the platform numbers it; Kind is its
	// platform-independent name (ir.MapKind's), for readers that do not
	// know the platform.
	Type       uint32
	Kind       string
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	Flags      uint32
	Pinning    uint32
	// Inner is the template of the maps a map-of-maps holds, or nil.
	Inner *Map
	// Entries are the initial entries (program arrays, maps of maps,
	// statically initialised arrays) in key order.
	Entries []Entry
}

// Entry is one initial key/value pair of a map: Value names a program or a
// map when the map holds those, otherwise Data holds the value's bytes.
type Entry struct {
	Key   uint32
	Value string
	Data  []byte
}

// Global is one global section: a single-entry array whose value is the
// section's bytes.
type Global struct {
	// Name is the ELF section the data came from (".data", ".rodata").
	Name string
	// Size is the section's size; Init its initial bytes (len(Init) ==
	// Size; zeros for .bss).
	Size     uint32
	Init     []byte
	ReadOnly bool
}

// Helper is one helper-table slot.
type Helper struct {
	ID int32
	// Name is the platform's name for the helper, or "" when the platform
	// does not know the id.
	Name string
}

// SlotKind says which list a map-table slot indexes.
type SlotKind uint8

const (
	// SlotMap names Metadata.Maps[Index].
	SlotMap SlotKind = iota
	// SlotGlobal names Metadata.Globals[Index].
	SlotGlobal
)

func (k SlotKind) String() string {
	switch k {
	case SlotMap:
		return "map"
	case SlotGlobal:
		return "global"
	}
	return fmt.Sprintf("SlotKind(%d)", uint8(k))
}

// Slot is one map-table slot.
type Slot struct {
	Kind  SlotKind
	Index int
}

// SlotName returns the name of the map or global that map-table slot i
// names.
func (m *Metadata) SlotName(i int) string {
	s := m.Slots[i]
	if s.Kind == SlotGlobal {
		return m.Globals[s.Index].Name
	}
	return m.Maps[s.Index].Name
}

// FromModule describes mod compiled into obj. sourceELF is the eBPF object
// mod was read from (hashed, not kept). Helper names come from the built-in
// platform mod.Platform names; with an extended platform, callers may fill in
// the names the built-in one lacks.
func FromModule(mod *ir.Module, obj *backend.Object, sourceELF []byte) *Metadata {
	m := &Metadata{
		Platform:     mod.Platform,
		Arch:         obj.Arch,
		ABI:          obj.ABI,
		SourceSHA256: sha256.Sum256(sourceELF),
	}
	var plat *platform.Platform
	if p, err := platform.Get(mod.Platform); err == nil {
		plat = p
	}

	// ir.Module.Maps holds maps and globals in one list; the metadata
	// splits them, so remember where each went.
	type place struct {
		kind  SlotKind
		index int
	}
	places := make([]place, len(mod.Maps))
	for i, mp := range mod.Maps {
		if mp.IsGlobal() {
			places[i] = place{SlotGlobal, len(m.Globals)}
			init := make([]byte, mp.ValueSize)
			copy(init, mp.Init)
			m.Globals = append(m.Globals, Global{Name: mp.Section, Size: mp.ValueSize, Init: init, ReadOnly: mp.ReadOnly})
			continue
		}
		places[i] = place{SlotMap, len(m.Maps)}
		m.Maps = append(m.Maps, fromMap(mp, 0))
	}

	entries := map[int]string{}
	for _, f := range obj.Funcs {
		if f.Program >= 0 {
			entries[f.Program] = f.Name
		}
	}
	for i, p := range mod.Programs {
		mp := Program{Name: p.Name, Section: p.Section, Type: p.Type, Entry: entries[i],
			Helpers: append([]int32(nil), p.Helpers...)}
		for _, r := range p.MapRefs {
			if r < 0 || r >= len(places) {
				continue
			}
			if pl := places[r]; pl.kind == SlotGlobal {
				mp.Globals = append(mp.Globals, pl.index)
			} else {
				mp.Maps = append(mp.Maps, pl.index)
			}
		}
		m.Programs = append(m.Programs, mp)
	}

	for _, id := range obj.Helpers {
		h := Helper{ID: id}
		if plat != nil {
			h.Name = plat.HelperName(id)
		}
		m.Helpers = append(m.Helpers, h)
	}
	m.HelperIDSlots = obj.HelperIDSlots
	for _, i := range obj.Maps {
		if i < 0 || i >= len(places) {
			// An object that names a map the module lacks is the code
			// generator's bug; keep the slot so the table sizes still
			// match, and let Validate report it.
			m.Slots = append(m.Slots, Slot{Kind: SlotMap, Index: -1})
			continue
		}
		m.Slots = append(m.Slots, Slot{Kind: places[i].kind, Index: places[i].index})
	}
	return m
}

// MaxHelperIDSlots bounds Metadata.HelperIDSlots, so that a loader never
// allocates a table of a size a corrupt file chooses.
const MaxHelperIDSlots = 1 << 16

// maxInnerDepth bounds map-of-maps nesting; real objects have one level.
const maxInnerDepth = 8

func fromMap(mp *ir.Map, depth int) Map {
	m := Map{Name: mp.Name, Type: mp.Type, Kind: mp.Kind.String(), KeySize: mp.KeySize, ValueSize: mp.ValueSize,
		MaxEntries: mp.MaxEntries, Flags: mp.Flags, Pinning: mp.Pinning}
	if mp.Inner != nil && depth < maxInnerDepth {
		inner := fromMap(mp.Inner, depth+1)
		m.Inner = &inner
	}
	for _, e := range mp.Entries {
		m.Entries = append(m.Entries, Entry{Key: e.Key, Value: e.Value, Data: append([]byte(nil), e.Data...)})
	}
	return m
}

// Validate reports the first reference in m that points nowhere: a slot or
// program naming a map or global m lacks, or a map nested too deeply.
func (m *Metadata) Validate() error {
	if m.HelperIDSlots < 0 || m.HelperIDSlots > MaxHelperIDSlots {
		return fmt.Errorf("helper-id table of %d slots (at most %d)", m.HelperIDSlots, MaxHelperIDSlots)
	}
	for i, s := range m.Slots {
		n := len(m.Maps)
		if s.Kind == SlotGlobal {
			n = len(m.Globals)
		} else if s.Kind != SlotMap {
			return fmt.Errorf("map table slot %d: unknown kind %d", i, s.Kind)
		}
		if s.Index < 0 || s.Index >= n {
			return fmt.Errorf("map table slot %d: %s %d does not exist (%d defined)", i, s.Kind, s.Index, n)
		}
	}
	for _, p := range m.Programs {
		for _, x := range p.Maps {
			if x < 0 || x >= len(m.Maps) {
				return fmt.Errorf("program %s: map %d does not exist (%d defined)", p.Name, x, len(m.Maps))
			}
		}
		for _, x := range p.Globals {
			if x < 0 || x >= len(m.Globals) {
				return fmt.Errorf("program %s: global %d does not exist (%d defined)", p.Name, x, len(m.Globals))
			}
		}
	}
	for _, g := range m.Globals {
		if uint64(len(g.Init)) != uint64(g.Size) {
			return fmt.Errorf("global %s: %d initial bytes for a %d-byte section", g.Name, len(g.Init), g.Size)
		}
	}
	for i := range m.Maps {
		d := 0
		for in := m.Maps[i].Inner; in != nil; in = in.Inner {
			if d++; d > maxInnerDepth {
				return fmt.Errorf("map %s: inner maps nest deeper than %d", m.Maps[i].Name, maxInnerDepth)
			}
		}
	}
	return nil
}
