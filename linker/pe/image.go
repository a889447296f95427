package pe

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/bpf2native/bpf2native/backend"
)

// An image is built in two steps: sections are filled with bytes and with
// symbolic references (a section and an offset), then laid out at their
// RVAs, when the references are resolved. Nothing depends on map order, so
// the same input always gives the same bytes.

type secID int

// sym is a place in the image: an offset into a section.
type sym struct {
	sec secID
	off int
}

// fixup patches a field in a section with the address of a symbol.
type fixup struct {
	off  int
	to   sym
	add  int64
	kind fixKind
}

type fixKind uint8

const (
	// fixAbs64 is a 64-bit virtual address (ImageBase + RVA + add); it
	// gets a DIR64 base relocation.
	fixAbs64 fixKind = iota
	// fixRel32 is a 32-bit PC-relative value S + A - P, with P the
	// field's own address (so a disp32 that ends its instruction has A =
	// -4, one followed by an imm8 A = -5).
	fixRel32
	// fixRVA32 is a 32-bit RVA (tables of the PE format itself).
	fixRVA32
	// The A64 forms patch an instruction word's immediate field and keep
	// its other bits (Arm ARM, C6: ADRP, ADD (immediate), LDR/STR
	// (immediate, unsigned offset), B/BL). PC-relative ones need no base
	// relocation: the loader moves the image as a whole, by whole pages.
	//
	// fixA64Page21 is ADRP's immhi:immlo, Page(S+A) - Page(P) in 4 KiB
	// pages (R_AARCH64_ADR_PREL_PG_HI21, IMAGE_REL_ARM64_PAGEBASE_REL21).
	fixA64Page21
	// fixA64Lo12Add is ADD's imm12, (S+A) & 0xfff
	// (IMAGE_REL_ARM64_PAGEOFFSET_12A).
	fixA64Lo12Add
	// fixA64Lo12Ldst64 is a 64-bit LDR/STR's imm12, ((S+A) & 0xfff) / 8
	// (IMAGE_REL_ARM64_PAGEOFFSET_12L); S+A must be 8-byte aligned.
	fixA64Lo12Ldst64
	// fixA64Branch26 is B's or BL's imm26, (S+A-P) / 4.
	fixA64Branch26
)

// relocFix is the fixup that resolves each relocation form of
// backend.Object.
var relocFix = map[backend.RelocForm]fixKind{
	backend.PCRel32:           fixRel32,
	backend.Abs64:             fixAbs64,
	backend.AArch64Page21:     fixA64Page21,
	backend.AArch64Lo12Add:    fixA64Lo12Add,
	backend.AArch64Lo12Ldst64: fixA64Lo12Ldst64,
}

type section struct {
	name  string
	chars uint32
	data  []byte
	fix   []fixup
	// rva is assigned by layout.
	rva uint32
}

type image struct {
	secs []*section
	// codeFill pads code sections: a byte that traps when executed.
	codeFill byte
}

func (im *image) add(name string, chars uint32) secID {
	im.secs = append(im.secs, &section{name: name, chars: chars})
	return secID(len(im.secs) - 1)
}

func (im *image) sec(id secID) *section { return im.secs[id] }

// here returns the symbol at the current end of section id.
func (im *image) here(id secID) sym { return sym{id, len(im.secs[id].data)} }

// align pads section id with zeros (or codeFill for code) to a multiple
// of n.
func (im *image) align(id secID, n int) {
	s := im.secs[id]
	pad := byte(0)
	if s.chars&scnCntCode != 0 {
		pad = im.codeFill
	}
	for len(s.data)%n != 0 {
		s.data = append(s.data, pad)
	}
}

// bytes appends b to section id and returns where it starts.
func (im *image) bytes(id secID, b []byte) sym {
	at := im.here(id)
	im.secs[id].data = append(im.secs[id].data, b...)
	return at
}

// zeros appends n zero bytes.
func (im *image) zeros(id secID, n int) sym { return im.bytes(id, make([]byte, n)) }

// cstring appends s and its terminating NUL.
func (im *image) cstring(id secID, s string) sym {
	return im.bytes(id, append([]byte(s), 0))
}

// wstring appends s as a NUL-terminated UTF-16LE string (ASCII only).
func (im *image) wstring(id secID, s string) sym {
	im.align(id, 2)
	at := im.here(id)
	for _, c := range s {
		im.secs[id].data = binary.LittleEndian.AppendUint16(im.secs[id].data, uint16(c))
	}
	im.secs[id].data = append(im.secs[id].data, 0, 0)
	return at
}

// ref records a fixup at offset off of section id.
func (im *image) ref(id secID, off int, kind fixKind, to sym, add int64) {
	im.secs[id].fix = append(im.secs[id].fix, fixup{off: off, to: to, add: add, kind: kind})
}

// put64/put32/put16 store little-endian values at off in section id.
func (im *image) put64(id secID, off int, v uint64) {
	binary.LittleEndian.PutUint64(im.secs[id].data[off:], v)
}
func (im *image) put32(id secID, off int, v uint32) {
	binary.LittleEndian.PutUint32(im.secs[id].data[off:], v)
}
func (im *image) put16(id secID, off int, v uint16) {
	binary.LittleEndian.PutUint16(im.secs[id].data[off:], v)
}

// PE constants (PE/COFF specification, "Optional Header", "Section Flags").
const (
	sectionAlign = 0x1000
	fileAlign    = 0x200
	// ImageBase is the preferred load address; drivers are always
	// relocated, so it only needs to be 64K-aligned and canonical.
	ImageBase = 0x140000000

	scnCntCode        = 0x00000020
	scnCntInitData    = 0x00000040
	scnMemDiscardable = 0x02000000
	scnMemNotPaged    = 0x08000000
	scnMemExecute     = 0x20000000
	scnMemRead        = 0x40000000
	scnMemWrite       = 0x80000000

	charCode   = scnCntCode | scnMemExecute | scnMemRead | scnMemNotPaged
	charInit   = scnCntCode | scnMemExecute | scnMemRead | scnMemDiscardable
	charRData  = scnCntInitData | scnMemRead | scnMemNotPaged
	charData   = scnCntInitData | scnMemRead | scnMemWrite | scnMemNotPaged
	charReloc  = scnCntInitData | scnMemRead | scnMemDiscardable
	charPData  = scnCntInitData | scnMemRead
	machineX64 = 0x8664
	machineA64 = 0xaa64

	fileExecutable    = 0x0002
	fileLargeAddress  = 0x0020
	subsystemNative   = 1
	dllHighEntropyVA  = 0x0020
	dllDynamicBase    = 0x0040
	dllNXCompat       = 0x0100
	relBasedDir64     = 10
	relBasedAbsolute  = 0
	dosHeaderSize     = 0x40
	peHeaderOffset    = 0x80 // e_lfanew: after the DOS header and stub
	coffHeaderSize    = 20
	optHeaderSize     = 240 // PE32+: 112 bytes of fields, 16 data directories
	sectionHeaderSize = 40
	checksumOffset    = peHeaderOffset + 4 + coffHeaderSize + 64
	certDirOffset     = peHeaderOffset + 4 + coffHeaderSize + 112 + 4*8
)

// Data directory indices.
const (
	dirImport    = 1
	dirException = 3
	dirSecurity  = 4
	dirBaseReloc = 5
	dirIAT       = 12
)

// dosStub is the classic 16-bit stub ("This program cannot be run in DOS
// mode."), placed between the DOS header and the PE signature.
var dosStub = []byte{
	0x0e, 0x1f, 0xba, 0x0e, 0x00, 0xb4, 0x09, 0xcd, 0x21, 0xb8, 0x01, 0x4c, 0xcd, 0x21,
	'T', 'h', 'i', 's', ' ', 'p', 'r', 'o', 'g', 'r', 'a', 'm', ' ', 'c', 'a', 'n', 'n', 'o', 't', ' ',
	'b', 'e', ' ', 'r', 'u', 'n', ' ', 'i', 'n', ' ', 'D', 'O', 'S', ' ', 'm', 'o', 'd', 'e', '.',
	'\r', '\r', '\n', '$', 0, 0, 0, 0, 0, 0, 0,
}

// dataDir is one entry of the optional header's data directories, filled by
// the linker once sections have RVAs.
type dataDir struct {
	at   sym
	size func() uint32
}

// writeOptions are the header fields that differ between images.
type writeOptions struct {
	machine uint16
	entry   sym
	dirs    map[int]dataDir
}

func alignUp(n, a int) int { return (n + a - 1) / a * a }

// layout assigns RVAs to the non-empty sections in order, after the
// headers, and drops empty ones.
func (im *image) layout() (headersSize int) {
	var kept []*section
	// Section indices stay stable (secID), so empty sections keep their
	// slot with rva 0; only kept ones get headers.
	for _, s := range im.secs {
		if len(s.data) > 0 {
			kept = append(kept, s)
		}
	}
	headersSize = alignUp(peHeaderOffset+4+coffHeaderSize+optHeaderSize+sectionHeaderSize*len(kept), fileAlign)
	rva := alignUp(headersSize, sectionAlign)
	for _, s := range kept {
		s.rva = uint32(rva)
		rva += alignUp(len(s.data), sectionAlign)
	}
	return headersSize
}

func (im *image) rvaOf(s sym) uint32 { return im.secs[s.sec].rva + uint32(s.off) }

// resolve patches every fixup and returns the RVAs that need DIR64 base
// relocations, ascending.
func (im *image) resolve() ([]uint32, error) {
	var abs []uint32
	for _, s := range im.secs {
		for _, f := range s.fix {
			target := int64(im.rvaOf(f.to)) + f.add
			place := int64(s.rva) + int64(f.off)
			switch f.kind {
			case fixAbs64:
				binary.LittleEndian.PutUint64(s.data[f.off:], uint64(ImageBase+target))
				abs = append(abs, uint32(place))
			case fixRel32:
				v := target - place
				if v != int64(int32(v)) {
					return nil, fmt.Errorf("BUG: rel32 at %s+%#x out of range", s.name, f.off)
				}
				binary.LittleEndian.PutUint32(s.data[f.off:], uint32(int32(v)))
			case fixRVA32:
				binary.LittleEndian.PutUint32(s.data[f.off:], uint32(target))
			default:
				if err := patchA64(s.data[f.off:], f.kind, target, place); err != nil {
					return nil, fmt.Errorf("BUG: %s+%#x: %v", s.name, f.off, err)
				}
			}
		}
	}
	sort.Slice(abs, func(i, j int) bool { return abs[i] < abs[j] })
	return abs, nil
}

// patchA64 stores the field of an A64 fixup to target, in the
// instruction word at b, whose address is place.
func patchA64(b []byte, kind fixKind, target, place int64) error {
	w := binary.LittleEndian.Uint32(b)
	switch kind {
	case fixA64Page21:
		pages := (target&^0xfff - place&^0xfff) >> 12
		if pages < -(1<<20) || pages >= 1<<20 {
			return fmt.Errorf("adrp to %#x out of range", target)
		}
		w = w&^(3<<29|0x7ffff<<5) | uint32(pages&3)<<29 | uint32(pages>>2&0x7ffff)<<5
	case fixA64Lo12Add:
		w = w&^(0xfff<<10) | uint32(target&0xfff)<<10
	case fixA64Lo12Ldst64:
		if target%8 != 0 {
			return fmt.Errorf("64-bit access to %#x is not 8-byte aligned", target)
		}
		w = w&^(0xfff<<10) | uint32(target&0xfff>>3)<<10
	case fixA64Branch26:
		d := target - place
		if d%4 != 0 || d < -(1<<27) || d >= 1<<27 {
			return fmt.Errorf("branch to %#x out of range", target)
		}
		w = w&^0x3ffffff | uint32(d>>2)&0x3ffffff
	default:
		return fmt.Errorf("fixup kind %d", kind)
	}
	binary.LittleEndian.PutUint32(b, w)
	return nil
}

// baseRelocs encodes DIR64 relocations at the given RVAs as .reloc blocks:
// one per 4K page, each padded to a multiple of 4 bytes.
func baseRelocs(rvas []uint32) []byte {
	var out bytes.Buffer
	for i := 0; i < len(rvas); {
		page := rvas[i] &^ 0xfff
		j := i
		for j < len(rvas) && rvas[j]&^0xfff == page {
			j++
		}
		n := j - i
		if n%2 == 1 {
			n++ // pad with an ABSOLUTE entry to keep 4-byte alignment
		}
		binary.Write(&out, binary.LittleEndian, [2]uint32{page, uint32(8 + 2*n)})
		for k := i; k < j; k++ {
			binary.Write(&out, binary.LittleEndian, uint16(relBasedDir64<<12|rvas[k]&0xfff))
		}
		if (j-i)%2 == 1 {
			binary.Write(&out, binary.LittleEndian, uint16(relBasedAbsolute<<12))
		}
		i = j
	}
	return out.Bytes()
}

// write lays out the final file: headers, then every non-empty section's
// raw data at FileAlignment. Sections must already be resolved.
func (im *image) write(headersSize int, o writeOptions) []byte {
	var kept []*section
	for _, s := range im.secs {
		if len(s.data) > 0 {
			kept = append(kept, s)
		}
	}
	var out bytes.Buffer
	le := binary.LittleEndian
	// DOS header: "MZ", e_lfanew at 0x3c; everything else zero, as
	// modern linkers leave the unused fields.
	dos := make([]byte, dosHeaderSize)
	copy(dos, "MZ")
	le.PutUint16(dos[2:], 0x90)    // e_cblp
	le.PutUint16(dos[4:], 3)       // e_cp
	le.PutUint16(dos[8:], 4)       // e_cparhdr
	le.PutUint16(dos[12:], 0xffff) // e_maxalloc
	le.PutUint16(dos[16:], 0xb8)   // e_sp
	le.PutUint16(dos[24:], 0x40)   // e_lfarlc
	le.PutUint32(dos[0x3c:], peHeaderOffset)
	out.Write(dos)
	out.Write(dosStub)
	out.Write(make([]byte, peHeaderOffset-out.Len()))

	out.WriteString("PE\x00\x00")
	chars := uint16(fileExecutable | fileLargeAddress)
	binary.Write(&out, le, struct {
		Machine, NumberOfSections                            uint16
		TimeDateStamp, PointerToSymbolTable, NumberOfSymbols uint32
		SizeOfOptionalHeader, Characteristics                uint16
	}{o.machine, uint16(len(kept)), 0, 0, 0, optHeaderSize, chars})

	var codeSize, initSize, codeBase uint32
	for _, s := range kept {
		raw := uint32(alignUp(len(s.data), fileAlign))
		if s.chars&scnCntCode != 0 {
			codeSize += raw
			if codeBase == 0 {
				codeBase = s.rva
			}
		} else {
			initSize += raw
		}
	}
	last := kept[len(kept)-1]
	imageSize := uint32(alignUp(int(last.rva)+len(last.data), sectionAlign))
	var dirs [16][2]uint32
	for i, d := range o.dirs {
		dirs[i] = [2]uint32{im.rvaOf(d.at), d.size()}
	}
	binary.Write(&out, le, struct {
		Magic                                              uint16
		MajorLinker, MinorLinker                           uint8
		SizeOfCode, SizeOfInitData, SizeOfUninitData       uint32
		AddressOfEntryPoint, BaseOfCode                    uint32
		ImageBase                                          uint64
		SectionAlignment, FileAlignment                    uint32
		MajorOS, MinorOS, MajorImage, MinorImage           uint16
		MajorSubsystem, MinorSubsystem                     uint16
		Win32Version, SizeOfImage, SizeOfHeaders           uint32
		CheckSum                                           uint32
		Subsystem, DllCharacteristics                      uint16
		StackReserve, StackCommit, HeapReserve, HeapCommit uint64
		LoaderFlags, NumberOfRvaAndSizes                   uint32
		Dirs                                               [16][2]uint32
	}{
		Magic: 0x20b, MajorLinker: 14,
		SizeOfCode: codeSize, SizeOfInitData: initSize,
		AddressOfEntryPoint: im.rvaOf(o.entry), BaseOfCode: codeBase,
		ImageBase:        ImageBase,
		SectionAlignment: sectionAlign, FileAlignment: fileAlign,
		MajorOS: 10, MajorSubsystem: 10,
		SizeOfImage: imageSize, SizeOfHeaders: uint32(headersSize),
		Subsystem:          subsystemNative,
		DllCharacteristics: dllHighEntropyVA | dllDynamicBase | dllNXCompat,
		StackReserve:       0x40000, StackCommit: 0x1000, HeapReserve: 0x100000, HeapCommit: 0x1000,
		NumberOfRvaAndSizes: 16,
		Dirs:                dirs,
	})

	fileOff := headersSize
	for _, s := range kept {
		var name [8]byte
		copy(name[:], s.name)
		raw := alignUp(len(s.data), fileAlign)
		binary.Write(&out, le, struct {
			Name                                       [8]byte
			VirtualSize, VirtualAddress                uint32
			SizeOfRawData, PointerToRawData            uint32
			PointerToRelocations, PointerToLinenumbers uint32
			NumberOfRelocations, NumberOfLinenumbers   uint16
			Characteristics                            uint32
		}{name, uint32(len(s.data)), s.rva, uint32(raw), uint32(fileOff), 0, 0, 0, 0, s.chars})
		fileOff += raw
	}
	out.Write(make([]byte, headersSize-out.Len()))
	for _, s := range kept {
		out.Write(s.data)
		out.Write(make([]byte, alignUp(len(s.data), fileAlign)-len(s.data)))
	}
	b := out.Bytes()
	le.PutUint32(b[checksumOffset:], Checksum(b))
	return b
}

// Checksum computes the PE image checksum of file (the algorithm of
// imagehlp's CheckSumMappedFile): the one's-complement-style 16-bit sum of
// the file with the CheckSum field taken as zero, folded, plus the file
// length. The field's position comes from the file's own headers.
func Checksum(file []byte) uint32 {
	field := -1
	if len(file) >= 0x40 {
		pe := int(binary.LittleEndian.Uint32(file[0x3c:]))
		if pe >= 0 && pe+4+coffHeaderSize+68 <= len(file) {
			field = pe + 4 + coffHeaderSize + 64
		}
	}
	var sum uint64
	for i := 0; i < len(file); i += 2 {
		if i >= field && i < field+4 && field >= 0 {
			continue
		}
		var w uint64
		if i+1 < len(file) {
			w = uint64(binary.LittleEndian.Uint16(file[i:]))
		} else {
			w = uint64(file[i])
		}
		sum += w
		sum = (sum & 0xffff) + (sum >> 16)
	}
	sum = (sum & 0xffff) + (sum >> 16)
	return uint32(sum) + uint32(len(file))
}
