package elf

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/platform"
)

var update = flag.Bool("update", false, "rewrite the golden dumps in testdata/golden")

// objects returns the committed clang builds in the repository's testdata.
func objects(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../../testdata/*.o")
	if err != nil || len(files) == 0 {
		t.Fatalf("no objects in ../../testdata (run make testdata): %v", err)
	}
	return files
}

func windows(t testing.TB) *platform.Platform {
	t.Helper()
	p, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestGoldenDumps compares each object's module dump with its golden file,
// so any change in what the frontend resolves shows up in review.
func TestGoldenDumps(t *testing.T) {
	for _, obj := range objects(t) {
		name := filepath.Base(obj)
		t.Run(name, func(t *testing.T) {
			mod, err := LoadFile(obj, windows(t))
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			if err := mod.Dump(&got); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(name, ".o")+".ir")
			if *update {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./frontend/elf -update)", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("dump differs from %s (run go test ./frontend/elf -update and review the diff)", golden)
			}
		})
	}
}

func TestEveryInstructionHasAFunctionAndEveryLoadAMap(t *testing.T) {
	for _, obj := range objects(t) {
		mod, err := LoadFile(obj, windows(t))
		if err != nil {
			t.Fatalf("%s: %v", obj, err)
		}
		for _, p := range mod.Programs {
			if p.Type == "" {
				t.Errorf("%s: program %s: section %s selects no program type", obj, p.Name, p.Section)
			}
			lines := 0
			for i := range p.Insns {
				ins := &p.Insns[i]
				if ins.IsLoadFromMap() && ins.Map < 0 {
					t.Errorf("%s: %s: instruction %d: map load without a map", obj, p.Name, ins.Slot)
				}
				if ins.Pos.Known() {
					lines++
				}
			}
			if lines == 0 {
				t.Errorf("%s: %s: no instruction has a source line (BTF line info lost)", obj, p.Name)
			}
		}
	}
}

// sample returns the bytes of one committed object, for corrupting.
func sample(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile(objects(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// sectionHeader returns the file offset of section i's header.
func sectionHeader(t *testing.T, data []byte, i int) int {
	shoff := binary.LittleEndian.Uint64(data[0x28:])
	return int(shoff) + i*64
}

// findSection returns the index of the first section matching pred.
func findSection(t *testing.T, data []byte, pred func(*elf.Section) bool) (int, *elf.Section) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range f.Sections {
		if pred(s) {
			return i, s
		}
	}
	t.Fatal("no such section in the sample object")
	return 0, nil
}

func TestMalformedObjectsAreRefused(t *testing.T) {
	good := sample(t)
	mutate := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	relSection := func(s *elf.Section) bool {
		return s.Type == elf.SHT_REL && strings.HasPrefix(s.Name, ".rel") && s.Size > 0
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "not an ELF object"},
		{"garbage", bytes.Repeat([]byte("eBPF"), 64), "not an ELF object"},
		{"wrong machine", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[18:], uint16(elf.EM_X86_64)); return b }), "not an eBPF object"},
		{"big endian", mutate(func(b []byte) []byte { b[5] = byte(elf.ELFDATA2MSB); return b }), ""},
		{"32-bit class", mutate(func(b []byte) []byte { b[4] = byte(elf.ELFCLASS32); return b }), ""},
		{"executable", mutate(func(b []byte) []byte { binary.LittleEndian.PutUint16(b[16:], uint16(elf.ET_EXEC)); return b }), "relocatable"},
		{"absurd section size", mutate(func(b []byte) []byte {
			i, _ := findSection(t, b, func(s *elf.Section) bool {
				return s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_EXECINSTR != 0 && s.Size > 0
			})
			binary.LittleEndian.PutUint64(b[sectionHeader(t, b, i)+32:], 1<<60)
			return b
		}), ""},
		{"section past the end", mutate(func(b []byte) []byte {
			i, _ := findSection(t, b, func(s *elf.Section) bool {
				return s.Type == elf.SHT_PROGBITS && s.Flags&elf.SHF_EXECINSTR != 0 && s.Size > 0
			})
			binary.LittleEndian.PutUint64(b[sectionHeader(t, b, i)+24:], uint64(len(b))+4096)
			return b
		}), ""},
		{"absurd .bss", mutate(func(b []byte) []byte {
			i, _ := findSection(t, b, func(s *elf.Section) bool { return s.Type == elf.SHT_NOBITS })
			binary.LittleEndian.PutUint64(b[sectionHeader(t, b, i)+32:], 1<<31)
			return b
		}), "exceed the limit"},
		{"relocation outside its section", mutate(func(b []byte) []byte {
			_, s := findSection(t, b, relSection)
			binary.LittleEndian.PutUint64(b[s.Offset:], 1<<40)
			return b
		}), "outside section"},
		{"unknown relocation type", mutate(func(b []byte) []byte {
			_, s := findSection(t, b, relSection)
			binary.LittleEndian.PutUint32(b[s.Offset+8:], 99)
			return b
		}), "unknown relocation type 99"},
		{"relocation symbol outside the table", mutate(func(b []byte) []byte {
			_, s := findSection(t, b, relSection)
			binary.LittleEndian.PutUint32(b[s.Offset+12:], 1<<30)
			return b
		}), "outside the symbol table"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load("bad.o", tc.data, windows(t))
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, ErrRefused) || !strings.HasPrefix(err.Error(), "bad.o: ") || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line starting with the file name, wrapping ErrRefused", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
	for n := 0; n < len(good); n += 1 + len(good)/97 {
		if _, err := Load("cut.o", good[:n], windows(t)); err == nil {
			t.Errorf("object truncated to %d of %d bytes accepted", n, len(good))
		}
	}
}

func TestMissingFile(t *testing.T) {
	if _, err := LoadFile(filepath.Join(t.TempDir(), "none.o"), windows(t)); err == nil || !strings.Contains(err.Error(), "none.o") {
		t.Errorf("got %v", err)
	}
}

// FuzzLoad feeds arbitrary bytes to the frontend: every input must end in
// a module or an error, never a panic.
func FuzzLoad(f *testing.F) {
	for _, obj := range objects(f) {
		data, err := os.ReadFile(obj)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mod, err := Load("fuzz.o", data, plat)
		if errors.Is(err, errInternal) {
			t.Fatal(err)
		}
		if err != nil {
			return
		}
		// Whatever is accepted must be internally consistent.
		var buf bytes.Buffer
		if err := mod.Dump(&buf); err != nil {
			t.Fatal(err)
		}
	})
}
