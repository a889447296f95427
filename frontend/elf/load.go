package elf

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/btf"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
)

// ErrRefused is wrapped by every error about an object bpf2native cannot
// take, so callers can tell a bad input from a failure of their own.
var ErrRefused = errors.New("object refused")

// errInternal marks a panic caught while reading an object: the input is
// refused, but the panic is a bug of ours or of a dependency, which the fuzz
// target reports.
var errInternal = errors.New("internal error")

// MaxObjectSize bounds the objects read; larger files are refused before
// they are parsed.
const MaxObjectSize = 256 << 20

// MaxGlobalSize bounds a zero-initialised section (.bss), which occupies no
// bytes in the file and would otherwise let a tiny object demand gigabytes.
const MaxGlobalSize = 64 << 20

// rdonlyProg is BPF_F_RDONLY_PROG, the flag cilium/ebpf sets on .rodata.
const rdonlyProg = 1 << 7

// LoadFile reads the object at path for plat.
func LoadFile(path string, plat *platform.Platform) (*ir.Module, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxObjectSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return Load(path, data, plat)
}

// Load decodes an object held in memory; name is used in errors and as the
// module's Source.
func Load(name string, data []byte, plat *platform.Platform) (mod *ir.Module, err error) {
	defer func() {
		// cilium/ebpf and debug/elf are fuzzed, but a panic on some input
		// must still become an error naming the file.
		if r := recover(); r != nil {
			mod, err = nil, fmt.Errorf("%s: %w: %w reading a malformed object: %v", name, ErrRefused, errInternal, r)
		}
	}()
	mod, err = load(name, data, plat)
	if err != nil {
		if !errors.Is(err, ErrRefused) {
			err = fmt.Errorf("%w: %w", ErrRefused, err)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return mod, nil
}

func load(name string, data []byte, plat *platform.Platform) (*ir.Module, error) {
	if len(data) > MaxObjectSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxObjectSize)
	}
	if err := checkELF(data); err != nil {
		return nil, err
	}
	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	mod := &ir.Module{Source: name, Platform: plat.Name}

	mapIndex, err := addMaps(mod, spec, plat)
	if err != nil {
		return nil, err
	}

	progs := make([]*ebpf.ProgramSpec, 0, len(spec.Programs))
	for _, p := range spec.Programs {
		progs = append(progs, p)
	}
	sort.Slice(progs, func(i, j int) bool {
		if progs[i].SectionName != progs[j].SectionName {
			return progs[i].SectionName < progs[j].SectionName
		}
		return progs[i].Name < progs[j].Name
	})
	for _, ps := range progs {
		if mod.License == "" {
			mod.License = ps.License
		}
		p, err := convertProgram(ps, mapIndex)
		if err != nil {
			return nil, fmt.Errorf("program %s: %w", ps.Name, err)
		}
		if t := plat.ProgramTypeFor(ps.SectionName); t != nil {
			p.Type = t.Name
		}
		mod.Programs = append(mod.Programs, p)
	}
	if len(mod.Programs) == 0 {
		return nil, errors.New("no programs: no executable section other than .text")
	}
	if err := resolveEntries(mod); err != nil {
		return nil, err
	}
	return mod, nil
}

// knownRelocations are the relocation types LLVM's BPF backend emits.
var knownRelocations = map[uint32]string{
	0:  "R_BPF_NONE",
	1:  "R_BPF_64_64",
	2:  "R_BPF_64_ABS64",
	3:  "R_BPF_64_ABS32",
	4:  "R_BPF_64_NODYLD32",
	10: "R_BPF_64_32",
}

// checkELF refuses what cilium/ebpf would accept or misread: other classes
// and byte orders, other machines, relocation types it ignores, and
// relocations that point outside their section or symbol table.
func checkELF(data []byte) error {
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not an ELF object: %w", err)
	}
	if f.Class != elf.ELFCLASS64 {
		return fmt.Errorf("ELF class %s: eBPF objects are ELFCLASS64", f.Class)
	}
	if f.Data != elf.ELFDATA2LSB {
		return fmt.Errorf("byte order %s: only little-endian eBPF objects are supported", f.Data)
	}
	if f.Machine != elf.EM_BPF && f.Machine != elf.EM_NONE {
		return fmt.Errorf("machine %s: not an eBPF object", f.Machine)
	}
	if f.Type != elf.ET_REL {
		return fmt.Errorf("ELF type %s: expected a relocatable object (ET_REL)", f.Type)
	}
	nsyms := 0
	if symtab := f.SectionByType(elf.SHT_SYMTAB); symtab != nil && symtab.Entsize > 0 {
		nsyms = int(symtab.Size / symtab.Entsize)
	}
	for _, sec := range f.Sections {
		switch {
		case sec.Type == elf.SHT_NOBITS && sec.Size > MaxGlobalSize:
			return fmt.Errorf("section %s: %d bytes of zero-initialised data exceed the limit of %d", sec.Name, sec.Size, MaxGlobalSize)
		case sec.Type != elf.SHT_NOBITS && sec.Type != elf.SHT_NULL &&
			(sec.Offset > uint64(len(data)) || sec.Size > uint64(len(data))-sec.Offset):
			return fmt.Errorf("section %s: %d bytes at offset %d lie outside the %d-byte file", sec.Name, sec.Size, sec.Offset, len(data))
		}
		switch sec.Type {
		case elf.SHT_RELA:
			return fmt.Errorf("section %s: RELA relocations are not used by eBPF objects", sec.Name)
		case elf.SHT_REL:
		default:
			continue
		}
		if int(sec.Info) >= len(f.Sections) {
			return fmt.Errorf("section %s: relocates section %d, which does not exist", sec.Name, sec.Info)
		}
		target := f.Sections[sec.Info]
		if sec.Entsize != 16 || sec.Size%16 != 0 {
			return fmt.Errorf("section %s: malformed relocation table", sec.Name)
		}
		rels, err := sec.Data()
		if err != nil {
			return fmt.Errorf("section %s: %w", sec.Name, err)
		}
		for i := 0; i+16 <= len(rels); i += 16 {
			off := f.ByteOrder.Uint64(rels[i:])
			info := f.ByteOrder.Uint64(rels[i+8:])
			typ, sym := uint32(info), int(info>>32)
			if _, ok := knownRelocations[typ]; !ok {
				return fmt.Errorf("section %s: relocation %d: unknown relocation type %d", sec.Name, i/16, typ)
			}
			if target.Type != elf.SHT_NOBITS && off >= target.Size {
				return fmt.Errorf("section %s: relocation %d: offset %d is outside section %s (%d bytes)", sec.Name, i/16, off, target.Name, target.Size)
			}
			if sym >= nsyms {
				return fmt.Errorf("section %s: relocation %d: symbol %d is outside the symbol table", sec.Name, i/16, sym)
			}
		}
	}
	return nil
}

// addMaps appends the object's maps, then its global sections, each in name
// order, and returns their indices by the name instructions reference.
func addMaps(mod *ir.Module, spec *ebpf.CollectionSpec, plat *platform.Platform) (map[string]int, error) {
	var maps, globals []string
	for name, ms := range spec.Maps {
		if isGlobalSection(name) {
			globals = append(globals, name)
		} else if ms != nil {
			maps = append(maps, name)
		}
	}
	sort.Strings(maps)
	sort.Strings(globals)
	index := map[string]int{}
	for _, name := range append(maps, globals...) {
		ms := spec.Maps[name]
		var m *ir.Map
		var err error
		if isGlobalSection(name) {
			m, err = convertGlobal(name, ms)
		} else {
			m, err = convertMap(name, ms, plat)
		}
		if err != nil {
			return nil, err
		}
		index[name] = len(mod.Maps)
		mod.Maps = append(mod.Maps, m)
	}
	return index, nil
}

func isGlobalSection(name string) bool {
	return name == ".bss" || strings.HasPrefix(name, ".data") || strings.HasPrefix(name, ".rodata")
}

func convertGlobal(section string, ms *ebpf.MapSpec) (*ir.Map, error) {
	m := &ir.Map{
		Name:       section,
		Kind:       ir.MapArray,
		Type:       uint32(ms.Type),
		KeySize:    ms.KeySize,
		ValueSize:  ms.ValueSize,
		MaxEntries: 1,
		Flags:      ms.Flags,
		Section:    section,
		ReadOnly:   ms.Flags&rdonlyProg != 0,
	}
	if len(ms.Contents) == 1 {
		if b, ok := ms.Contents[0].Value.([]byte); ok && len(b) == int(ms.ValueSize) {
			// .bss is all zeros; leaving Init nil says so without a copy.
			if section != ".bss" {
				m.Init = append([]byte(nil), b...)
			}
			return m, nil
		}
	}
	return nil, fmt.Errorf("global section %s: unexpected contents", section)
}

func convertMap(name string, ms *ebpf.MapSpec, plat *platform.Platform) (*ir.Map, error) {
	kind, ok := plat.MapKinds[uint32(ms.Type)]
	if !ok {
		return nil, fmt.Errorf("map %s: type %d is not a map type of platform %s", name, uint32(ms.Type), plat.Name)
	}
	m := &ir.Map{
		Name:       name,
		Kind:       kind,
		Type:       uint32(ms.Type),
		KeySize:    ms.KeySize,
		ValueSize:  ms.ValueSize,
		MaxEntries: ms.MaxEntries,
		Flags:      ms.Flags,
		Pinning:    uint32(ms.Pinning),
	}
	if ms.InnerMap != nil {
		inner, err := convertMap(name+".inner", ms.InnerMap, plat)
		if err != nil {
			return nil, err
		}
		m.Inner = inner
	}
	for _, kv := range ms.Contents {
		key, ok := kv.Key.(uint32)
		if !ok {
			return nil, fmt.Errorf("map %s: initial entry with a key of type %T", name, kv.Key)
		}
		entry := ir.MapEntry{Key: key}
		switch v := kv.Value.(type) {
		case string:
			entry.Value = v
		case []byte:
			entry.Data = append([]byte(nil), v...)
		default:
			return nil, fmt.Errorf("map %s: initial entry %d with a value of type %T", name, key, kv.Value)
		}
		m.Entries = append(m.Entries, entry)
	}
	sort.Slice(m.Entries, func(i, j int) bool { return m.Entries[i].Key < m.Entries[j].Key })
	return m, nil
}

// convertProgram encodes cilium/ebpf's instructions (which resolves local
// calls to offsets), decodes them into ir, and carries over what cilium/ebpf
// attached as metadata: function names, source lines, map references.
func convertProgram(ps *ebpf.ProgramSpec, mapIndex map[string]int) (*ir.Program, error) {
	insns := make(asm.Instructions, len(ps.Instructions))
	copy(insns, ps.Instructions)
	for i := range insns {
		ins := &insns[i]
		if ins.IsKfuncCall() {
			return nil, fmt.Errorf("instruction %d: kfunc call %s: kernel functions are not supported", i, ins.Reference())
		}
		if ref := ins.Reference(); ref != "" && ins.OpCode.IsDWordLoad() && !ins.IsLoadFromMap() && !ins.IsLoadOfFunctionPointer() {
			return nil, fmt.Errorf("instruction %d: unresolved symbol %s", i, ref)
		}
	}
	var buf bytes.Buffer
	if err := insns.Marshal(&buf, binary.LittleEndian); err != nil {
		if errors.Is(err, asm.ErrUnsatisfiedProgramReference) {
			return nil, fmt.Errorf("unresolved function: %w", err)
		}
		return nil, err
	}
	decoded, err := ir.Decode(buf.Bytes())
	if err != nil {
		return nil, err
	}
	if len(decoded) != len(insns) {
		return nil, fmt.Errorf("BUG: %d instructions decoded from %d", len(decoded), len(insns))
	}
	names := map[int]string{}
	refs := map[int]bool{}
	for i := range insns {
		src := &insns[i]
		dst := &decoded[i]
		if sym := src.Symbol(); sym != "" {
			names[i] = sym
		}
		if line, ok := src.Source().(*btf.Line); ok && line != nil {
			dst.Pos = ir.Position{File: path.Clean(line.FileName()), Line: line.LineNumber(), Col: line.LineColumn(), Text: strings.TrimSpace(line.Line())}
		}
		if src.IsLoadFromMap() {
			ref := src.Reference()
			idx, ok := mapIndex[ref]
			if !ok {
				return nil, fmt.Errorf("instruction %d: reference to unknown map %q", dst.Slot, ref)
			}
			dst.Map = idx
			refs[idx] = true
		}
	}
	p, err := ir.NewProgram(ps.Name, decoded, names)
	if err != nil {
		return nil, err
	}
	// A BTF line record covers every instruction up to the next record, but
	// cilium/ebpf attaches it to the first one only.
	for _, fn := range p.Funcs {
		var pos ir.Position
		for i := fn.Start; i < fn.End; i++ {
			if p.Insns[i].Pos.Known() {
				pos = p.Insns[i].Pos
			} else {
				p.Insns[i].Pos = pos
			}
		}
	}
	p.Section = ps.SectionName
	for idx := range refs {
		p.MapRefs = append(p.MapRefs, idx)
	}
	sort.Ints(p.MapRefs)
	return p, nil
}

// resolveEntries checks that the programs named as initial values of
// program arrays exist.
func resolveEntries(mod *ir.Module) error {
	progs := map[string]bool{}
	for _, p := range mod.Programs {
		progs[p.Name] = true
	}
	for _, m := range mod.Maps {
		for _, e := range m.Entries {
			if e.Value != "" && m.Kind == ir.MapProgArray && !progs[e.Value] {
				return fmt.Errorf("map %s: entry %d names unknown program %s", m.Name, e.Key, e.Value)
			}
		}
	}
	return nil
}
