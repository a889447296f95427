package elf_test

import (
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/linker/elf/elftest"
	"github.com/bpf2native/bpf2native/metadata"
)

func linkElftest(t *testing.T) (*backend.Object, *metadata.Metadata, []byte) {
	t.Helper()
	obj := elftest.Object()
	meta := metadata.FromModule(elftest.Module(), obj, []byte("elftest"))
	data, err := elflink.Link(obj, meta)
	if err != nil {
		t.Fatal(err)
	}
	return obj, meta, data
}

func TestLinkLayout(t *testing.T) {
	obj, meta, data := linkElftest(t)
	again, err := elflink.Link(obj, meta)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, data) {
		t.Error("linking the same object twice gives different bytes")
	}

	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if f.Class != elf.ELFCLASS64 || f.Data != elf.ELFDATA2LSB || f.Type != elf.ET_REL || f.Machine != elf.EM_X86_64 {
		t.Fatalf("header: %v %v %v %v", f.Class, f.Data, f.Type, f.Machine)
	}
	want := []struct {
		name  string
		typ   elf.SectionType
		flags elf.SectionFlag
		size  uint64
	}{
		{"", elf.SHT_NULL, 0, 0},
		{".text", elf.SHT_PROGBITS, elf.SHF_ALLOC | elf.SHF_EXECINSTR, uint64(len(obj.Text))},
		{".rela.text", elf.SHT_RELA, elf.SHF_INFO_LINK, 24 * uint64(len(obj.Relocs))},
		{".bss", elf.SHT_NOBITS, elf.SHF_ALLOC | elf.SHF_WRITE, 8 * uint64(len(obj.Helpers)+2*len(obj.Maps))},
		{".bpf2native.meta", elf.SHT_PROGBITS, 0, 0},
		{".note.GNU-stack", elf.SHT_PROGBITS, 0, 0},
		{".symtab", elf.SHT_SYMTAB, 0, 0},
		{".strtab", elf.SHT_STRTAB, 0, 0},
		{".shstrtab", elf.SHT_STRTAB, 0, 0},
	}
	if len(f.Sections) != len(want) {
		t.Fatalf("%d sections, want %d", len(f.Sections), len(want))
	}
	for i, w := range want {
		s := f.Sections[i]
		if s.Name != w.name || s.Type != w.typ || s.Flags != w.flags || (w.size != 0 && s.Size != w.size) {
			t.Errorf("section %d: %s %v %v size %d, want %s %v %v size %d", i, s.Name, s.Type, s.Flags, s.Size, w.name, w.typ, w.flags, w.size)
		}
	}
	text, _ := f.Section(".text").Data()
	if !bytes.Equal(text, obj.Text) {
		t.Error(".text differs from the object's text")
	}

	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]elf.Symbol{}
	for _, s := range syms {
		got[s.Name] = s
	}
	for _, fn := range obj.Funcs {
		s, ok := got[fn.Name]
		bind := elf.STB_GLOBAL
		if fn.Program < 0 {
			bind = elf.STB_LOCAL
		}
		if !ok || elf.ST_TYPE(s.Info) != elf.STT_FUNC || elf.ST_BIND(s.Info) != bind || s.Value != uint64(fn.Offset) || s.Size != uint64(fn.Size) {
			t.Errorf("symbol %s = %+v, want %v function at %#x size %d", fn.Name, s, bind, fn.Offset, fn.Size)
		}
	}
	for i, name := range []string{"bpf2native_helpers", "bpf2native_maps", "bpf2native_map_values"} {
		s := got[name]
		n := []int{len(obj.Helpers), len(obj.Maps), len(obj.Maps)}[i]
		if elf.ST_TYPE(s.Info) != elf.STT_OBJECT || elf.ST_BIND(s.Info) != elf.STB_GLOBAL || elf.ST_VISIBILITY(s.Other) != elf.STV_HIDDEN ||
			f.Sections[s.Section].Name != ".bss" || s.Size != uint64(8*n) {
			t.Errorf("table %s = %+v", name, s)
		}
	}

	gotMeta, err := elflink.ReadMetadata(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(gotMeta, meta) {
		t.Errorf("metadata:\n got %+v\nwant %+v", gotMeta, meta)
	}
	back, backMeta, err := elflink.ReadObject(data)
	if err != nil {
		t.Fatal(err)
	}
	// FrameSize and Unwind are not part of an ELF object.
	want2 := *obj
	want2.Funcs = nil
	for _, fn := range obj.Funcs {
		want2.Funcs = append(want2.Funcs, backend.Func{Name: fn.Name, Offset: fn.Offset, Size: fn.Size, Program: fn.Program})
	}
	if !reflect.DeepEqual(back, &want2) || !reflect.DeepEqual(backMeta, meta) {
		t.Errorf("ReadObject:\n got %+v\nwant %+v", back, &want2)
	}
}

func TestLinkArm64(t *testing.T) {
	obj := elftest.Arm64Object()
	meta := metadata.FromModule(elftest.Module(), obj, nil)
	data, err := elflink.Link(obj, meta)
	if err != nil {
		t.Fatal(err)
	}
	f, err := elf.NewFile(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if f.Machine != elf.EM_AARCH64 {
		t.Fatalf("machine %v", f.Machine)
	}
	back, _, err := elflink.ReadObject(data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Relocs, obj.Relocs) {
		t.Errorf("relocations:\n got %+v\nwant %+v", back.Relocs, obj.Relocs)
	}
	out := tool(t, data, "llvm-objdump-19", "-dr")
	for _, want := range []string{
		"R_AARCH64_ADR_PREL_PG_HI21\tbpf2native_map_values",
		"R_AARCH64_LDST64_ABS_LO12_NC\tbpf2native_map_values",
		"R_AARCH64_ADR_PREL_PG_HI21\tbpf2native_helpers",
		"R_AARCH64_ADD_ABS_LO12_NC\tbpf2native_helpers",
		"adrp\tx0", "ldr\tx0, [x0]", "add\tx1, x1, #0x0", "ret",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("llvm-objdump output lacks %q:\n%s", want, out)
		}
	}
	tool(t, data, "llvm-readelf-19", "-a")
	tool(t, data, "readelf", "-a", "-W")
}

// tool runs a binutils or LLVM tool on data and returns its output; any
// complaint on stderr fails the test.
func tool(t *testing.T, data []byte, name string, args ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "obj.o")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, append(args, path)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Fatalf("%s %v complains:\n%s", name, args, stderr.String())
	}
	return stdout.String()
}

func TestTools(t *testing.T) {
	_, _, data := linkElftest(t)
	readelf := tool(t, data, "readelf", "-a", "-W")
	for _, re := range []string{
		`R_X86_64_PC32\s+0+ bpf2native_helpers \+ c`, // prandom: slot 2, -4
		`R_X86_64_PC32\s+0+18 bpf2native_maps - 4`,   // lookup: slot 0
		`R_X86_64_64\s+0+30 bpf2native_map_values \+ 10`,
		`OBJECT\s+GLOBAL\s+HIDDEN\s+3 bpf2native_helpers`,
		`FUNC\s+LOCAL\s+DEFAULT\s+1 add_one`,
		`FUNC\s+GLOBAL\s+DEFAULT\s+1 tail_loop`,
	} {
		if !regexp.MustCompile(re).MatchString(readelf) {
			t.Errorf("readelf -a output does not match %q", re)
		}
	}
	tool(t, data, "llvm-readelf-19", "-a")
	for _, dis := range []string{tool(t, data, "objdump", "-dr"), tool(t, data, "llvm-objdump-19", "-dr")} {
		// The hand encodings decode as written, and relocations sit on
		// the fields they patch.
		// The patterns accept both binutils' and LLVM's AT&T dialects.
		for _, re := range []string{
			`call\w?\s+(0x)?10 <add_one>`,
			`movzbl\s+0x2\(%rax\),\s?%eax`,
			`call\w?\s+\*(0x0)?\(%rip\)[^\n]*\n\s+0*36:\s+R_X86_64_PC32\s+bpf2native_helpers\+0xc`,
			`mov\w?\s+(0x0)?\(%rip\),\s?%rdi[^\n]*\n\s+0*4e:\s+R_X86_64_PC32\s+bpf2native_maps-0x4`,
			`movabs\w?\s+\$0x0,\s?%rax[^\n]*\n(.*\n)?\s+0*72:\s+R_X86_64_64\s+bpf2native_map_values\+0x10`,
			`lock[\s\S]{0,60}incq\s+\(%rax\)`,
		} {
			if !regexp.MustCompile(re).MatchString(dis) {
				t.Errorf("disassembly does not match %q:\n%s", re, dis)
			}
		}
	}
}

// TestGCC links the object into a C host with gcc and runs it: the C
// driver fills the tables from the generated header and runs every program.
func TestGCC(t *testing.T) {
	obj, meta, data := linkElftest(t)
	_ = obj
	dir := t.TempDir()
	write(t, filepath.Join(dir, "elftest.o"), data)
	write(t, filepath.Join(dir, "elftest.h"), elflink.Header(meta, "ELFTEST_H"))
	driver, err := filepath.Abs("testdata/driver.c")
	if err != nil {
		t.Fatal(err)
	}
	const d = elftest.DataInit
	want := fmt.Sprintf(`ret_const 42
packet_byte 90
prandom 12345
lookup %d
global %d
tail_dispatch/0 200
tail_dispatch/1 300
tail_dispatch/2 7
data %d
tail_loop 7
data %d
`, uint64(0x0102030405060708), uint64(d), uint64(d+33), uint64(d+33+34))
	for _, tc := range []struct {
		name  string
		flags []string
		// warnings are the linker messages allowed: the absolute
		// reference in global needs a text relocation in a PIE.
		warnings []string
	}{
		{"no-pie", []string{"-no-pie"}, nil},
		{"pie", []string{"-pie", "-fPIE"}, []string{"relocation against `bpf2native_map_values' in read-only section `.text'", "creating DT_TEXTREL in a PIE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := filepath.Join(dir, "driver-"+tc.name)
			args := append([]string{"-std=c11", "-Wall", "-Wextra", "-Werror", "-O2", "-I", dir}, tc.flags...)
			args = append(args, driver, filepath.Join(dir, "elftest.o"), "-o", bin)
			out, err := exec.Command("gcc", args...).CombinedOutput()
			if err != nil {
				t.Fatalf("gcc: %v\n%s", err, out)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if line == "" {
					continue
				}
				ok := false
				for _, w := range tc.warnings {
					ok = ok || strings.Contains(line, w)
				}
				if !ok {
					t.Errorf("unexpected linker message: %s", line)
				}
			}
			got, err := exec.Command(bin).Output()
			if err != nil {
				t.Fatalf("driver: %v", err)
			}
			if string(got) != want {
				t.Errorf("driver output:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLinkRejects(t *testing.T) {
	mod := elftest.Module()
	for _, tc := range []struct {
		name   string
		mutate func(*backend.Object, *metadata.Metadata)
		want   string
	}{
		{"arch", func(o *backend.Object, m *metadata.Metadata) { o.Arch, m.Arch = "riscv64", "riscv64" }, "arch"},
		{"abi", func(o *backend.Object, m *metadata.Metadata) { o.ABI, m.ABI = "windows", "windows" }, "ABI"},
		{"meta arch", func(o *backend.Object, m *metadata.Metadata) { m.Arch = "arm64" }, "metadata says"},
		{"helper slots", func(o *backend.Object, m *metadata.Metadata) { m.Helpers = m.Helpers[:1] }, "helper slots"},
		{"helper id", func(o *backend.Object, m *metadata.Metadata) { m.Helpers[1].ID = 9 }, "helper slot 1"},
		{"map slots", func(o *backend.Object, m *metadata.Metadata) { o.Maps = o.Maps[:2] }, "map slots"},
		{"reloc offset", func(o *backend.Object, m *metadata.Metadata) { o.Relocs[0].Offset = len(o.Text) - 2 }, "outside"},
		{"reloc slot", func(o *backend.Object, m *metadata.Metadata) { o.Relocs[0].Slot = 3 }, "slot 3"},
		{"reloc table", func(o *backend.Object, m *metadata.Metadata) { o.Relocs[0].Table = 7 }, "unknown table"},
		{"reloc form", func(o *backend.Object, m *metadata.Metadata) { o.Relocs[0].Form = backend.AArch64Page21 }, "no amd64 ELF relocation"},
		{"func overlap", func(o *backend.Object, m *metadata.Metadata) { o.Funcs[1].Offset = 2 }, "overlaps"},
		{"func past text", func(o *backend.Object, m *metadata.Metadata) { o.Funcs[len(o.Funcs)-1].Size = 1000 }, "outside"},
		{"func name", func(o *backend.Object, m *metadata.Metadata) { o.Funcs[1].Name = "" }, "empty"},
		{"two entries", func(o *backend.Object, m *metadata.Metadata) { o.Funcs[1].Program = 0 }, "two entry"},
		{"table clash", func(o *backend.Object, m *metadata.Metadata) {
			o.Funcs[0].Name, m.Programs[0].Entry = "bpf2native_maps", "bpf2native_maps"
		}, "clashes"},
		{"entry name", func(o *backend.Object, m *metadata.Metadata) { m.Programs[0].Entry = "other" }, "entry"},
		{"bad metadata", func(o *backend.Object, m *metadata.Metadata) { m.Slots[0].Index = 9 }, "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := elftest.Object()
			meta := metadata.FromModule(mod, obj, nil)
			tc.mutate(obj, meta)
			_, err := elflink.Link(obj, meta)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := elflink.Link(nil, nil); !errors.Is(err, elflink.ErrInvalidObject) {
		t.Errorf("Link(nil, nil): err = %v", err)
	}
}

func TestReadMetadataRejects(t *testing.T) {
	_, _, data := linkElftest(t)
	if _, err := elflink.ReadMetadata(data[:100]); err == nil {
		t.Error("truncated file accepted")
	}
	// A gcc object has no metadata section.
	dir := t.TempDir()
	src := filepath.Join(dir, "x.c")
	write(t, src, []byte("int x(void) { return 1; }\n"))
	if out, err := exec.Command("gcc", "-c", src, "-o", filepath.Join(dir, "x.o")).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	other, err := os.ReadFile(filepath.Join(dir, "x.o"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := elflink.ReadMetadata(other); !errors.Is(err, elflink.ErrNoMetadata) {
		t.Errorf("gcc object: err = %v, want ErrNoMetadata", err)
	}
	// Damaged metadata is reported, not trusted.
	f, _ := elf.NewFile(bytes.NewReader(data))
	sec := f.Section(elflink.MetaSection)
	bad := bytes.Clone(data)
	bad[sec.Offset] ^= 0xff
	if _, err := elflink.ReadMetadata(bad); !errors.Is(err, metadata.ErrFormat) {
		t.Errorf("damaged metadata: err = %v, want ErrFormat", err)
	}
}
