package elf

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/metadata"
)

// Names of the sections and symbols Link writes. They are part of the
// contract with C hosts (see Header) and with ReadObject.
const (
	MetaSection = ".bpf2native.meta"

	HelperTableSymbol   = "bpf2native_helpers"
	MapTableSymbol      = "bpf2native_maps"
	MapValueTableSymbol = "bpf2native_map_values"
	// HelperIDTableSymbol is the helper-id table of callx; objects whose
	// code does not call helpers by id do not define it.
	HelperIDTableSymbol = "bpf2native_helper_ids"
)

// tableSymbols names each backend.Table's symbol.
var tableSymbols = [...]string{
	backend.HelperTable:   HelperTableSymbol,
	backend.MapTable:      MapTableSymbol,
	backend.MapValueTable: MapValueTableSymbol,
	backend.HelperIDTable: HelperIDTableSymbol,
}

// tableSizes returns the number of slots of each table of obj.
func tableSizes(obj *backend.Object) [len(tableSymbols)]int {
	return [...]int{
		backend.HelperTable:   len(obj.Helpers),
		backend.MapTable:      len(obj.Maps),
		backend.MapValueTable: len(obj.Maps),
		backend.HelperIDTable: obj.HelperIDSlots,
	}
}

// Section indices in the file Link writes; fixed, so every object has the
// same layout whatever it holds.
const (
	secNull = iota
	secText
	secRelaText
	secBSS
	secMeta
	secNoteStack
	secSymtab
	secStrtab
	secShstrtab
	numSections
)

var sectionNames = [numSections]string{
	secText:      ".text",
	secRelaText:  ".rela.text",
	secBSS:       ".bss",
	secMeta:      MetaSection,
	secNoteStack: ".note.GNU-stack",
	secSymtab:    ".symtab",
	secStrtab:    ".strtab",
	secShstrtab:  ".shstrtab",
}

// target is what differs between the ISAs an ELF object can hold.
type target struct {
	machine elf.Machine
	abi     string
	// relocType maps a form to the ELF relocation type, 0 if the ISA has no
	// such form.
	relocType map[backend.RelocForm]uint32
}

var targets = map[string]target{
	"amd64": {
		machine: elf.EM_X86_64,
		abi:     "sysv",
		relocType: map[backend.RelocForm]uint32{
			// Table references are data references (call [rip+x] reads
			// the slot), so PC32 rather than PLT32, which is for direct
			// calls to functions; local calls are already resolved.
			backend.PCRel32: uint32(elf.R_X86_64_PC32),
			backend.Abs64:   uint32(elf.R_X86_64_64),
		},
	},
	"arm64": {
		machine: elf.EM_AARCH64,
		abi:     "aapcs64",
		relocType: map[backend.RelocForm]uint32{
			backend.PCRel32:           uint32(elf.R_AARCH64_PREL32),
			backend.Abs64:             uint32(elf.R_AARCH64_ABS64),
			backend.AArch64Page21:     uint32(elf.R_AARCH64_ADR_PREL_PG_HI21),
			backend.AArch64Lo12Add:    uint32(elf.R_AARCH64_ADD_ABS_LO12_NC),
			backend.AArch64Lo12Ldst64: uint32(elf.R_AARCH64_LDST64_ABS_LO12_NC),
		},
	},
}

// fieldSize is the bytes a relocation of form f patches.
func fieldSize(f backend.RelocForm) int {
	if f == backend.Abs64 {
		return 8
	}
	return 4
}

// ErrInvalidObject is wrapped by Link's errors about an Object or Metadata
// that cannot be linked as given.
var ErrInvalidObject = errors.New("invalid object")

// Link writes obj as an ELF64 relocatable object (ET_REL) for the System V
// (amd64) or AAPCS64 (arm64) ABI, with meta in its metadata section. The
// output depends on nothing but its inputs: linking the same Object twice
// gives the same bytes.
//
// Each program's entry function becomes a global function symbol named as
// the program, callable from C as uint64_t NAME(void *ctx); sub-programs are
// local function symbols. The tables are zero-filled .bss arrays the host
// fills before the first call (see Header); the helper-id table exists only
// when code calls helpers by id (callx).
func Link(obj *backend.Object, meta *metadata.Metadata) ([]byte, error) {
	if err := check(obj, meta); err != nil {
		return nil, fmt.Errorf("linker/elf: %w", err)
	}
	tgt := targets[obj.Arch]
	metaBytes, err := metadata.Marshal(meta)
	if err != nil {
		return nil, fmt.Errorf("linker/elf: %w", err)
	}

	strtab := newStrtab()
	var syms []elf.Sym64
	syms = append(syms, elf.Sym64{}) // index 0 is the undefined symbol
	// Local symbols come first, as ELF requires; within each binding,
	// address order, so the table does not depend on map iteration.
	for _, f := range obj.Funcs {
		if f.Program < 0 {
			syms = append(syms, elf.Sym64{Name: strtab.add(f.Name), Info: elf.ST_INFO(elf.STB_LOCAL, elf.STT_FUNC),
				Shndx: secText, Value: uint64(f.Offset), Size: uint64(f.Size)})
		}
	}
	firstGlobal := len(syms)
	for _, f := range obj.Funcs {
		if f.Program >= 0 {
			syms = append(syms, elf.Sym64{Name: strtab.add(f.Name), Info: elf.ST_INFO(elf.STB_GLOBAL, elf.STT_FUNC),
				Shndx: secText, Value: uint64(f.Offset), Size: uint64(f.Size)})
		}
	}
	// The tables are hidden: visible to the rest of the program they are
	// linked into (the host fills them), never exported from a shared
	// object, so PC-relative references to them link even with -shared.
	sizes := tableSizes(obj)
	var tableSym [len(tableSymbols)]uint32
	var bssSize uint64
	for t, name := range tableSymbols {
		if backend.Table(t) == backend.HelperIDTable && sizes[t] == 0 {
			continue
		}
		tableSym[t] = uint32(len(syms))
		size := 8 * uint64(sizes[t])
		syms = append(syms, elf.Sym64{Name: strtab.add(name), Info: elf.ST_INFO(elf.STB_GLOBAL, elf.STT_OBJECT),
			Other: byte(elf.STV_HIDDEN), Shndx: secBSS, Value: bssSize, Size: size})
		bssSize += size
	}

	relocs := append([]backend.Reloc(nil), obj.Relocs...)
	sort.SliceStable(relocs, func(i, j int) bool { return relocs[i].Offset < relocs[j].Offset })
	var rela bytes.Buffer
	for _, r := range relocs {
		binary.Write(&rela, binary.LittleEndian, elf.Rela64{
			Off:    uint64(r.Offset),
			Info:   elf.R_INFO(tableSym[r.Table], tgt.relocType[r.Form]),
			Addend: 8*int64(r.Slot) + r.Addend,
		})
	}
	var symtab bytes.Buffer
	for _, s := range syms {
		binary.Write(&symtab, binary.LittleEndian, s)
	}

	shstrtab := newStrtab()
	var shdrs [numSections]elf.Section64
	for i := 1; i < numSections; i++ {
		shdrs[i].Name = shstrtab.add(sectionNames[i])
	}

	// Lay the file out: header, then each section with contents at its
	// alignment, then the section header table.
	var out bytes.Buffer
	out.Write(make([]byte, binary.Size(elf.Header64{})))
	place := func(sec int, data []byte, align uint64) {
		for uint64(out.Len())%align != 0 {
			out.WriteByte(0)
		}
		shdrs[sec].Off = uint64(out.Len())
		shdrs[sec].Size = uint64(len(data))
		shdrs[sec].Addralign = align
		out.Write(data)
	}
	place(secText, obj.Text, backend.TextAlign)
	shdrs[secText].Type = uint32(elf.SHT_PROGBITS)
	shdrs[secText].Flags = uint64(elf.SHF_ALLOC | elf.SHF_EXECINSTR)

	place(secRelaText, rela.Bytes(), 8)
	shdrs[secRelaText].Type = uint32(elf.SHT_RELA)
	shdrs[secRelaText].Flags = uint64(elf.SHF_INFO_LINK)
	shdrs[secRelaText].Link = secSymtab
	shdrs[secRelaText].Info = secText
	shdrs[secRelaText].Entsize = uint64(binary.Size(elf.Rela64{}))

	// NOBITS: no bytes in the file, but an offset like its neighbours.
	shdrs[secBSS] = elf.Section64{Name: shdrs[secBSS].Name, Type: uint32(elf.SHT_NOBITS),
		Flags: uint64(elf.SHF_ALLOC | elf.SHF_WRITE), Off: uint64(out.Len()), Size: bssSize, Addralign: 8}

	// Not SHF_ALLOC: the metadata is for tools and loaders reading the
	// file, and must not take space in a linked program.
	place(secMeta, metaBytes, 8)
	shdrs[secMeta].Type = uint32(elf.SHT_PROGBITS)

	// An empty .note.GNU-stack without SHF_EXECINSTR tells the linker the
	// code needs no executable stack.
	place(secNoteStack, nil, 1)
	shdrs[secNoteStack].Type = uint32(elf.SHT_PROGBITS)

	place(secSymtab, symtab.Bytes(), 8)
	shdrs[secSymtab].Type = uint32(elf.SHT_SYMTAB)
	shdrs[secSymtab].Link = secStrtab
	shdrs[secSymtab].Info = uint32(firstGlobal)
	shdrs[secSymtab].Entsize = uint64(binary.Size(elf.Sym64{}))

	place(secStrtab, strtab.bytes(), 1)
	shdrs[secStrtab].Type = uint32(elf.SHT_STRTAB)
	place(secShstrtab, shstrtab.bytes(), 1)
	shdrs[secShstrtab].Type = uint32(elf.SHT_STRTAB)

	for out.Len()%8 != 0 {
		out.WriteByte(0)
	}
	shoff := out.Len()
	for _, sh := range shdrs {
		binary.Write(&out, binary.LittleEndian, sh)
	}

	hdr := elf.Header64{
		Type:      uint16(elf.ET_REL),
		Machine:   uint16(tgt.machine),
		Version:   uint32(elf.EV_CURRENT),
		Shoff:     uint64(shoff),
		Ehsize:    uint16(binary.Size(elf.Header64{})),
		Shentsize: uint16(binary.Size(elf.Section64{})),
		Shnum:     numSections,
		Shstrndx:  secShstrtab,
	}
	copy(hdr.Ident[:], elf.ELFMAG)
	hdr.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	hdr.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	hdr.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	hdr.Ident[elf.EI_OSABI] = byte(elf.ELFOSABI_NONE)
	var hb bytes.Buffer
	binary.Write(&hb, binary.LittleEndian, hdr)
	b := out.Bytes()
	copy(b, hb.Bytes())
	return b, nil
}

// check reports what makes obj and meta unlinkable: an unknown target, code
// and metadata that disagree, functions or relocations outside the text,
// slots outside their tables, symbol names that clash.
func check(obj *backend.Object, meta *metadata.Metadata) error {
	if obj == nil || meta == nil {
		return fmt.Errorf("%w: nil object or metadata", ErrInvalidObject)
	}
	tgt, ok := targets[obj.Arch]
	if !ok {
		return fmt.Errorf("%w: arch %q: ELF output supports amd64 and arm64", ErrInvalidObject, obj.Arch)
	}
	// The symbols promise C-callable functions, so the code must follow
	// the platform's C convention.
	if obj.ABI != tgt.abi {
		return fmt.Errorf("%w: %s code for the %q ABI; ELF objects need %q", ErrInvalidObject, obj.Arch, obj.ABI, tgt.abi)
	}
	if meta.Arch != obj.Arch || meta.ABI != obj.ABI {
		return fmt.Errorf("%w: metadata says %s/%s, code is %s/%s", ErrInvalidObject, meta.Arch, meta.ABI, obj.Arch, obj.ABI)
	}
	if len(meta.Helpers) != len(obj.Helpers) {
		return fmt.Errorf("%w: metadata lists %d helper slots, code %d", ErrInvalidObject, len(meta.Helpers), len(obj.Helpers))
	}
	for i, id := range obj.Helpers {
		if meta.Helpers[i].ID != id {
			return fmt.Errorf("%w: helper slot %d: metadata says helper %d, code %d", ErrInvalidObject, i, meta.Helpers[i].ID, id)
		}
	}
	if len(meta.Slots) != len(obj.Maps) {
		return fmt.Errorf("%w: metadata lists %d map slots, code %d", ErrInvalidObject, len(meta.Slots), len(obj.Maps))
	}
	if meta.HelperIDSlots != obj.HelperIDSlots {
		return fmt.Errorf("%w: metadata gives a helper-id table of %d slots, code %d", ErrInvalidObject, meta.HelperIDSlots, obj.HelperIDSlots)
	}

	names := map[string]bool{}
	for _, s := range tableSymbols {
		names[s] = true
	}
	entries := make([]string, len(meta.Programs))
	end := 0
	for i, f := range obj.Funcs {
		if f.Name == "" || strings.IndexByte(f.Name, 0) >= 0 {
			return fmt.Errorf("%w: function %d: name %q is empty or holds a NUL", ErrInvalidObject, i, f.Name)
		}
		if f.Offset < end || f.Size < 0 || f.Offset > len(obj.Text) || f.Size > len(obj.Text)-f.Offset {
			return fmt.Errorf("%w: function %s: [%d, +%d) is outside the text or overlaps its predecessor", ErrInvalidObject, f.Name, f.Offset, f.Size)
		}
		end = f.Offset + f.Size
		if f.Program < 0 {
			continue
		}
		if f.Program >= len(meta.Programs) {
			return fmt.Errorf("%w: function %s: program %d does not exist", ErrInvalidObject, f.Name, f.Program)
		}
		if entries[f.Program] != "" {
			return fmt.Errorf("%w: program %d has two entry functions, %s and %s", ErrInvalidObject, f.Program, entries[f.Program], f.Name)
		}
		if names[f.Name] {
			return fmt.Errorf("%w: program symbol %s is defined twice or clashes with a table", ErrInvalidObject, f.Name)
		}
		names[f.Name] = true
		entries[f.Program] = f.Name
	}
	for i, p := range meta.Programs {
		if entries[i] != "" && p.Entry != entries[i] {
			return fmt.Errorf("%w: program %s: metadata names entry %q, code %q", ErrInvalidObject, p.Name, p.Entry, entries[i])
		}
	}
	for _, r := range obj.Relocs {
		if tgt.relocType[r.Form] == 0 {
			return fmt.Errorf("%w: relocation at %#x: form %d has no %s ELF relocation", ErrInvalidObject, r.Offset, r.Form, obj.Arch)
		}
		if r.Offset < 0 || r.Offset > len(obj.Text)-fieldSize(r.Form) {
			return fmt.Errorf("%w: relocation at %#x: field outside the %d-byte text", ErrInvalidObject, r.Offset, len(obj.Text))
		}
		if obj.Arch == "arm64" && r.Form != backend.Abs64 && r.Form != backend.PCRel32 && r.Offset%4 != 0 {
			return fmt.Errorf("%w: relocation at %#x: instruction not 4-byte aligned", ErrInvalidObject, r.Offset)
		}
		if r.Table < 0 || int(r.Table) >= len(tableSymbols) {
			return fmt.Errorf("%w: relocation at %#x: unknown table %d", ErrInvalidObject, r.Offset, r.Table)
		}
		n := tableSizes(obj)[r.Table]
		if r.Slot < 0 || r.Slot >= n {
			return fmt.Errorf("%w: relocation at %#x: slot %d outside the %d-slot %s table", ErrInvalidObject, r.Offset, r.Slot, n, r.Table)
		}
	}
	return nil
}

// strtab builds an ELF string table; identical strings share one entry.
type strtab struct {
	buf bytes.Buffer
	off map[string]uint32
}

func newStrtab() *strtab {
	s := &strtab{off: map[string]uint32{}}
	s.buf.WriteByte(0)
	return s
}

func (s *strtab) add(name string) uint32 {
	if name == "" {
		return 0
	}
	if o, ok := s.off[name]; ok {
		return o
	}
	o := uint32(s.buf.Len())
	s.buf.WriteString(name)
	s.buf.WriteByte(0)
	s.off[name] = o
	return o
}

func (s *strtab) bytes() []byte { return s.buf.Bytes() }
