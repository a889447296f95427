package elf

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/metadata"
)

// ErrNoMetadata is returned for an ELF file without a metadata section: not
// something bpf2native wrote.
var ErrNoMetadata = errors.New("no " + MetaSection + " section")

// ReadMetadata decodes the metadata section of an object Link wrote.
func ReadMetadata(elfBytes []byte) (*metadata.Metadata, error) {
	f, err := elf.NewFile(bytes.NewReader(elfBytes))
	if err != nil {
		return nil, fmt.Errorf("linker/elf: %w", err)
	}
	defer f.Close()
	return readMetadata(f)
}

func readMetadata(f *elf.File) (*metadata.Metadata, error) {
	sec := f.Section(MetaSection)
	if sec == nil {
		return nil, fmt.Errorf("linker/elf: %w", ErrNoMetadata)
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("linker/elf: section %s: %w", MetaSection, err)
	}
	m, err := metadata.Unmarshal(data)
	if err != nil {
		return nil, fmt.Errorf("linker/elf: section %s: %w", MetaSection, err)
	}
	return m, nil
}

// ReadObject reverses Link: it returns the code, functions, relocations and
// table layout of an object Link wrote, with its metadata. The loader uses
// it to run ELF files in process.
//
// ELF stores a table reference as one addend, the slot's byte offset plus the
// instruction's own addend; ReadObject splits it back assuming the
// instruction addend is the form's usual one (-4 for PCRel32, 0 otherwise),
// which is what the code generator emits. Either way slot*8+Addend, the only
// thing a loader computes with, is preserved.
func ReadObject(elfBytes []byte) (*backend.Object, *metadata.Metadata, error) {
	f, err := elf.NewFile(bytes.NewReader(elfBytes))
	if err != nil {
		return nil, nil, fmt.Errorf("linker/elf: %w", err)
	}
	defer f.Close()
	obj, meta, err := readObject(f)
	if err != nil {
		return nil, nil, fmt.Errorf("linker/elf: %w", err)
	}
	return obj, meta, nil
}

func readObject(f *elf.File) (*backend.Object, *metadata.Metadata, error) {
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB || f.Type != elf.ET_REL {
		return nil, nil, fmt.Errorf("not a little-endian ELF64 relocatable object (%v, %v, %v)", f.Class, f.Data, f.Type)
	}
	meta, err := readMetadata(f)
	if err != nil {
		return nil, nil, err
	}
	tgt, ok := targets[meta.Arch]
	if !ok || tgt.machine != f.Machine {
		return nil, nil, fmt.Errorf("machine %v does not match the metadata's arch %q", f.Machine, meta.Arch)
	}
	obj := &backend.Object{Arch: meta.Arch, ABI: meta.ABI, HelperIDSlots: meta.HelperIDSlots}
	for _, h := range meta.Helpers {
		obj.Helpers = append(obj.Helpers, h.ID)
	}
	// Object.Maps indexes ir.Module.Maps, which lists maps then globals;
	// the metadata keeps them apart.
	for _, s := range meta.Slots {
		if s.Kind == metadata.SlotGlobal {
			obj.Maps = append(obj.Maps, len(meta.Maps)+s.Index)
		} else {
			obj.Maps = append(obj.Maps, s.Index)
		}
	}

	text := f.Section(".text")
	if text == nil {
		return nil, nil, errors.New("no .text section")
	}
	if obj.Text, err = text.Data(); err != nil {
		return nil, nil, fmt.Errorf("section .text: %w", err)
	}
	syms, err := f.Symbols()
	if err != nil {
		return nil, nil, fmt.Errorf("symbols: %w", err)
	}
	textIndex := sectionIndex(f, text)
	program := map[string]int{}
	for i, p := range meta.Programs {
		program[p.Entry] = i
	}
	for _, s := range syms {
		if elf.ST_TYPE(s.Info) != elf.STT_FUNC || s.Section != textIndex {
			continue
		}
		fn := backend.Func{Name: s.Name, Offset: int(s.Value), Size: int(s.Size), Program: -1}
		if p, ok := program[s.Name]; ok && elf.ST_BIND(s.Info) == elf.STB_GLOBAL {
			fn.Program = p
		}
		if s.Value > uint64(len(obj.Text)) || s.Size > uint64(len(obj.Text))-s.Value {
			return nil, nil, fmt.Errorf("symbol %s: outside .text", s.Name)
		}
		obj.Funcs = append(obj.Funcs, fn)
	}
	sort.SliceStable(obj.Funcs, func(i, j int) bool { return obj.Funcs[i].Offset < obj.Funcs[j].Offset })

	if obj.Relocs, err = readRelocs(f, tgt, syms, len(obj.Text)); err != nil {
		return nil, nil, err
	}
	sizes := tableSizes(obj)
	for _, r := range obj.Relocs {
		if r.Slot < 0 || r.Slot >= sizes[r.Table] {
			return nil, nil, fmt.Errorf("relocation at %#x: slot %d outside the %d-slot %s table", r.Offset, r.Slot, sizes[r.Table], r.Table)
		}
	}
	return obj, meta, nil
}

func sectionIndex(f *elf.File, s *elf.Section) elf.SectionIndex {
	for i, x := range f.Sections {
		if x == s {
			return elf.SectionIndex(i)
		}
	}
	return elf.SHN_UNDEF
}

func readRelocs(f *elf.File, tgt target, syms []elf.Symbol, textSize int) ([]backend.Reloc, error) {
	sec := f.Section(".rela.text")
	if sec == nil {
		return nil, nil
	}
	data, err := sec.Data()
	if err != nil {
		return nil, fmt.Errorf("section .rela.text: %w", err)
	}
	const relaSize = 24
	if len(data)%relaSize != 0 {
		return nil, fmt.Errorf("section .rela.text: %d bytes is not a whole number of entries", len(data))
	}
	forms := map[uint32]backend.RelocForm{}
	for form, typ := range tgt.relocType {
		forms[typ] = form
	}
	if tgt.machine == elf.EM_X86_64 {
		// A PLT32 reference to data in the same object resolves as PC32.
		forms[uint32(elf.R_X86_64_PLT32)] = backend.PCRel32
	}
	tables := map[string]backend.Table{}
	for t, name := range tableSymbols {
		tables[name] = backend.Table(t)
	}
	var out []backend.Reloc
	for off := 0; off < len(data); off += relaSize {
		var r elf.Rela64
		binary.Read(bytes.NewReader(data[off:off+relaSize]), binary.LittleEndian, &r)
		typ, si := elf.R_TYPE64(r.Info), elf.R_SYM64(r.Info)
		form, ok := forms[typ]
		if !ok {
			return nil, fmt.Errorf("relocation at %#x: unsupported type %d", r.Off, typ)
		}
		// debug/elf drops the null symbol, so ELF symbol i is syms[i-1].
		if si == 0 || int(si) > len(syms) {
			return nil, fmt.Errorf("relocation at %#x: symbol %d does not exist", r.Off, si)
		}
		table, ok := tables[syms[si-1].Name]
		if !ok {
			return nil, fmt.Errorf("relocation at %#x: symbol %s is not a table", r.Off, syms[si-1].Name)
		}
		if textSize < fieldSize(form) || r.Off > uint64(textSize-fieldSize(form)) {
			return nil, fmt.Errorf("relocation at %#x: field outside the %d-byte text", r.Off, textSize)
		}
		usual := int64(0)
		if form == backend.PCRel32 {
			usual = -4
		}
		slot := floorDiv(r.Addend-usual, 8)
		out = append(out, backend.Reloc{Offset: int(r.Off), Form: form, Table: table, Slot: int(slot), Addend: r.Addend - 8*slot})
	}
	return out, nil
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
