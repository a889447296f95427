package pe

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"fmt"

	"golang.org/x/arch/x86/x86asm"
)

// Description is what Describe reads from a driver without loading it.
type Description struct {
	Scanned
	Globals []ScannedGlobal
	// ELFHash is the hash of the ELF file the driver was built from, the
	// contents of the "hash" section; nil without one (bpf2c before 1.2
	// kept it in code).
	ELFHash []byte
	// Version is the bpf2c version the metadata table's version function
	// reports; nil when it could not be read from the function's code.
	Version *[3]uint32
}

// ScannedGlobal is one global_variable_section_info_t.
type ScannedGlobal struct {
	Name string
	Size uint64
}

// Describe reads what Scan does and, as the kernel-mode loader would get
// them from the metadata table, the global variable sections, the ELF
// file's hash and the version. It reads the sections bpf2c and Link put
// them in, and finds the version by interpreting the stores of the
// version function (x86-64 only), so it also describes MSVC-built bpf2c
// drivers.
func Describe(image []byte) (*Description, error) {
	s, err := Scan(image)
	if err != nil {
		return nil, err
	}
	d := &Description{Scanned: *s}
	if err := d.describe(image); err != nil {
		return nil, fmt.Errorf("linker/pe: describe: %w", err)
	}
	return d, nil
}

func (d *Description) describe(image []byte) error {
	f, err := pe.NewFile(bytes.NewReader(image))
	if err != nil {
		return err
	}
	base := f.OptionalHeader.(*pe.OptionalHeader64).ImageBase // Scan checked PE32+
	le := binary.LittleEndian
	contents := func(s *pe.Section) ([]byte, error) {
		b, err := s.Data()
		if err != nil {
			return nil, fmt.Errorf("section %s: %w", s.Name, err)
		}
		return b[:min(len(b), int(s.VirtualSize))], nil
	}
	// read returns n bytes at va from whichever section holds them.
	read := func(va uint64, n int) []byte {
		for _, s := range f.Sections {
			lo := base + uint64(s.VirtualAddress)
			if va < lo || va-lo+uint64(n) > uint64(s.VirtualSize) {
				continue
			}
			b, err := contents(s)
			if err != nil || va-lo+uint64(n) > uint64(len(b)) {
				return nil
			}
			return b[va-lo : va-lo+uint64(n)]
		}
		return nil
	}
	cstring := func(va uint64) (string, error) {
		for n := 0; n < 4096; n++ {
			c := read(va+uint64(n), 1)
			if c == nil {
				break
			}
			if c[0] == 0 {
				return string(read(va, n)), nil
			}
		}
		return "", fmt.Errorf("no string at %#x", va)
	}
	// fetch returns the bytes an instruction at va may span.
	fetch := func(va uint64) []byte {
		for n := 15; n > 0; n-- {
			if b := read(va, n); b != nil {
				return b
			}
		}
		return nil
	}
	code := func(va uint64) bool {
		for _, s := range f.Sections {
			lo := base + uint64(s.VirtualAddress)
			if s.Characteristics&pe.IMAGE_SCN_CNT_CODE != 0 && va >= lo && va < lo+uint64(s.VirtualSize) {
				return true
			}
		}
		return false
	}

	for _, s := range f.Sections {
		switch s.Name {
		case HashSection:
			b, err := contents(s)
			if err != nil {
				return err
			}
			d.ELFHash = bytes.Clone(b)
		case GlobalVariablesSection[:8]:
			b, err := contents(s)
			if err != nil {
				return err
			}
			// Entries follow one another by their headers' total size.
			for off := 0; off+globalInfoSize <= len(b); {
				total := int(le.Uint64(b[off+16:]))
				if le.Uint16(b[off:]) != 1 || total < globalInfoSize {
					break
				}
				name, err := cstring(le.Uint64(b[off+24:]))
				if err != nil {
					return fmt.Errorf("global variable section %d: %w", len(d.Globals), err)
				}
				d.Globals = append(d.Globals, ScannedGlobal{name, le.Uint64(b[off+32:])})
				off += total
			}
		}
	}

	// metadata_table_t: its size, then the programs, maps, hash, version
	// (and newer) functions. The table is the only place naming the
	// version function; find it in .data by that shape.
	if f.FileHeader.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		return nil
	}
	for _, s := range f.Sections {
		if s.Name != ".data" {
			continue
		}
		b, err := contents(s)
		if err != nil {
			return err
		}
		for off := 0; off+40 <= len(b); off += 8 {
			size := le.Uint64(b[off:])
			if size < 40 || size > 256 || size%8 != 0 || off+int(size) > len(b) {
				continue
			}
			table := true
			for k := 8; k < int(size); k += 8 {
				table = table && code(le.Uint64(b[off+k:]))
			}
			if table {
				if d.Version = versionStores(fetch, le.Uint64(b[off+32:])); d.Version != nil {
					return nil
				}
			}
		}
	}
	return nil
}

// versionStores runs the version function at va symbolically: it follows
// the bpf2c_version_t pointer (rcx) through registers and stack slots and
// records the constants stored through it, up to ret. Any instruction
// outside that vocabulary gives up.
func versionStores(fetch func(va uint64) []byte, va uint64) *[3]uint32 {
	type value struct {
		arg bool // the version pointer, else the constant c
		c   uint64
	}
	wide := func(r x86asm.Reg) x86asm.Reg {
		if r >= x86asm.EAX && r <= x86asm.R15L {
			return r - x86asm.EAX + x86asm.RAX
		}
		return r
	}
	regs := map[x86asm.Reg]value{x86asm.RCX: {arg: true}}
	slots := map[int64]value{}
	var out [12]byte
	written := 0
	for range 64 {
		in, err := x86asm.Decode(fetch(va), 64)
		if err != nil {
			return nil
		}
		va += uint64(in.Len)
		if in.Op == x86asm.RET {
			break
		}
		dst, src := in.Args[0], in.Args[1]
		switch in.Op {
		case x86asm.XOR:
			r, ok := dst.(x86asm.Reg)
			if !ok || src != dst {
				return nil
			}
			regs[wide(r)] = value{}
		case x86asm.MOV:
			var v value
			switch a := src.(type) {
			case x86asm.Imm:
				v = value{c: uint64(a)}
			case x86asm.Reg:
				v = regs[wide(a)]
			case x86asm.Mem:
				if wide(a.Base) != x86asm.RSP || a.Index != 0 {
					return nil
				}
				v = slots[a.Disp]
			default:
				return nil
			}
			switch a := dst.(type) {
			case x86asm.Reg:
				regs[wide(a)] = v
			case x86asm.Mem:
				switch {
				case a.Index != 0:
					return nil
				case wide(a.Base) == x86asm.RSP:
					slots[a.Disp] = v
				case regs[wide(a.Base)].arg && !v.arg && a.Disp >= 0 && int(a.Disp)+in.MemBytes <= len(out):
					var c [8]byte
					binary.LittleEndian.PutUint64(c[:], v.c)
					copy(out[a.Disp:], c[:in.MemBytes])
					written |= (1<<in.MemBytes - 1) << a.Disp
				default:
					return nil
				}
			default:
				return nil
			}
		default:
			return nil
		}
	}
	if written != 1<<len(out)-1 {
		return nil
	}
	le := binary.LittleEndian
	return &[3]uint32{le.Uint32(out[0:]), le.Uint32(out[4:]), le.Uint32(out[8:])}
}
