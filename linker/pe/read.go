package pe

import (
	"bytes"
	"crypto/sha512"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
)

// Scanned is what ebpf-for-windows' user-mode parser (libs/api
// ebpf_api.cpp, _ebpf_enumerate_native_programs) finds in a driver file
// without loading it: programs from the "programs" section with their
// code sections, maps from the "maps" section.
type Scanned struct {
	Programs []ScannedProgram
	Maps     []ScannedMap
}

// ScannedProgram is one program_entry_t found by scanning.
type ScannedProgram struct {
	Name, Section, PESection string
	ProgramType, AttachType  GUID
	// CodeSize is the size of the code section named PESection.
	CodeSize uint32
	// Helpers are the helpers the program calls, in the entry's order,
	// without the sentinels (id 0) the runtime skips.
	Helpers []ScannedHelper
	// InfoHash is program_info_hash, of the algorithm InfoHashType names;
	// nil if the entry has none.
	InfoHash     []byte
	InfoHashType string
}

// ScannedHelper is one helper_function_entry_t.
type ScannedHelper struct {
	ID   uint32
	Name string
}

// ScannedMap is one map_entry_t found by scanning.
type ScannedMap struct {
	Name                                          string
	Type, KeySize, ValueSize, MaxEntries, Pinning uint32
	InnerIndex, InnerID                           uint32
}

// Scan parses a driver as the runtime's user-mode parser does: it walks
// the section table in order, remembers .rdata and .data, finds the first
// map_entry_t in "maps" by its 16-byte zero marker and the first
// program_entry_t in "programs" by its zero field, steps by the entries'
// total_size, reads names through .rdata and GUIDs through .data by their
// absolute addresses (ImageBase-relative), and keeps programs whose code
// section exists.
func Scan(image []byte) (*Scanned, error) {
	s, err := scan(image)
	if err != nil {
		return nil, fmt.Errorf("linker/pe: scan: %w", err)
	}
	return s, nil
}

func scan(image []byte) (*Scanned, error) {
	f, err := pe.NewFile(bytes.NewReader(image))
	if err != nil {
		return nil, err
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		return nil, errors.New("not PE32+")
	}
	base := oh.ImageBase
	le := binary.LittleEndian
	var rdata, data *pe.Section
	sectionData := map[*pe.Section][]byte{}
	get := func(s *pe.Section) ([]byte, error) {
		if b, ok := sectionData[s]; ok {
			return b, nil
		}
		b, err := s.Data()
		if err != nil {
			return nil, fmt.Errorf("section %s: %w", s.Name, err)
		}
		if uint32(len(b)) > s.VirtualSize {
			b = b[:s.VirtualSize]
		}
		sectionData[s] = b
		return b, nil
	}
	at := func(s *pe.Section, va uint64, n int) ([]byte, error) {
		if s == nil {
			return nil, errors.New("no section for a pointer")
		}
		b, err := get(s)
		if err != nil {
			return nil, err
		}
		lo := uint64(s.VirtualAddress) + base
		if va < lo || va-lo+uint64(n) > uint64(len(b)) {
			return nil, fmt.Errorf("pointer %#x outside %s", va, s.Name)
		}
		return b[va-lo : va-lo+uint64(n)], nil
	}
	str := func(va uint64) (string, error) {
		b, err := get(rdata)
		if rdata == nil || err != nil {
			return "", errors.New("string outside .rdata")
		}
		lo := uint64(rdata.VirtualAddress) + base
		if va < lo || va-lo >= uint64(len(b)) {
			return "", fmt.Errorf("string at %#x outside .rdata", va)
		}
		rest := b[va-lo:]
		if i := bytes.IndexByte(rest, 0); i >= 0 {
			return string(rest[:i]), nil
		}
		return "", fmt.Errorf("string at %#x is not terminated", va)
	}

	out := &Scanned{}
	// First pass (_ebpf_pe_get_map_definitions): maps, .rdata, .data.
	for _, s := range f.Sections {
		switch s.Name {
		case ".rdata":
			rdata = s
		case ".data":
			data = s
		case MapsSection:
			b, err := get(s)
			if err != nil {
				return nil, err
			}
			off := 0
			for off+24 < len(b) && (le.Uint64(b[off:]) != 0 || le.Uint64(b[off+8:]) != 0 ||
				(off > 0 && b[off-1] != 0) || le.Uint64(b[off+16:]) == 0) {
				off += 8
			}
			for ; off+mapEntrySize <= len(b); off += mapEntrySize {
				e := b[off:]
				if le.Uint64(e) != 0 || le.Uint64(e[8:]) != 0 {
					break
				}
				name, err := str(le.Uint64(e[72:]))
				if err != nil {
					return nil, fmt.Errorf("map at %#x: %w", off, err)
				}
				d := e[40:]
				out.Maps = append(out.Maps, ScannedMap{Name: name, Type: le.Uint32(d), KeySize: le.Uint32(d[4:]),
					ValueSize: le.Uint32(d[8:]), MaxEntries: le.Uint32(d[12:]), InnerIndex: le.Uint32(d[16:]),
					Pinning: le.Uint32(d[20:]), InnerID: le.Uint32(d[28:])})
			}
		}
	}
	// Second pass (_ebpf_pe_get_section_names): programs.
	type found struct {
		p   ScannedProgram
		sec string
	}
	var progs []found
	for _, s := range f.Sections {
		if s.Name != ProgramsSection {
			continue
		}
		b, err := get(s)
		if err != nil {
			return nil, err
		}
		off := 0
		for off+8 <= len(b) && (le.Uint64(b[off:]) != 0 || (off > 0 && b[off-1] != 0)) {
			off += 16
		}
		if off+8+headerSize > len(b) {
			return nil, errors.New("programs: no program entry")
		}
		total := int(le.Uint64(b[off+8+16:]))
		if le.Uint16(b[off+8:]) != 1 || total < 144 || total > 4096 {
			return nil, fmt.Errorf("programs: entry header version %d, total size %d", le.Uint16(b[off+8:]), total)
		}
		for i := 0; off+(i+1)*total <= len(b); i++ {
			e := b[off+i*total:]
			var p ScannedProgram
			for k, dst := range []*string{&p.PESection, &p.Section, &p.Name} {
				if *dst, err = str(le.Uint64(e[40+8*k:])); err != nil {
					return nil, fmt.Errorf("program %d: %w", i, err)
				}
			}
			for k, dst := range []*GUID{&p.ProgramType, &p.AttachType} {
				g, err := at(data, le.Uint64(e[104+8*k:]), 16)
				if err != nil {
					return nil, fmt.Errorf("program %s: GUID: %w", p.Name, err)
				}
				copy(dst[:], g)
			}
			// The kernel-mode loader (ebpf_native.c) reads these.
			for k := range int(le.Uint16(e[88:])) {
				h, err := at(data, le.Uint64(e[80:])+uint64(helperEntrySize*k), helperEntrySize)
				if err != nil {
					return nil, fmt.Errorf("program %s: helper %d: %w", p.Name, k, err)
				}
				if id := le.Uint32(h[24:]); id != 0 {
					name, err := str(le.Uint64(h[32:]))
					if err != nil {
						return nil, fmt.Errorf("program %s: helper %d: %w", p.Name, id, err)
					}
					p.Helpers = append(p.Helpers, ScannedHelper{id, name})
				}
			}
			if n := le.Uint64(e[128:]); n > 0 {
				if n > sha512.Size {
					return nil, fmt.Errorf("program %s: program-info hash of %d bytes", p.Name, n)
				}
				h, err := at(rdata, le.Uint64(e[120:]), int(n))
				if err != nil {
					return nil, fmt.Errorf("program %s: program-info hash: %w", p.Name, err)
				}
				p.InfoHash = bytes.Clone(h)
				if p.InfoHashType, err = str(le.Uint64(e[136:])); err != nil {
					return nil, fmt.Errorf("program %s: program-info hash type: %w", p.Name, err)
				}
			}
			progs = append(progs, found{p, p.PESection})
		}
	}
	// Third pass (_ebpf_pe_add_section): code sections holding programs.
	for _, s := range f.Sections {
		if s.Characteristics&pe.IMAGE_SCN_CNT_CODE == 0 {
			continue
		}
		for _, fp := range progs {
			if fp.sec == s.Name {
				fp.p.CodeSize = s.VirtualSize
				out.Programs = append(out.Programs, fp.p)
			}
		}
	}
	return out, nil
}
