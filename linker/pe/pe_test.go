package pe_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/linker/pe"
	"github.com/bpf2native/bpf2native/sign"
)

// TestDeterministic links every object twice and compares the bytes.
func TestDeterministic(t *testing.T) {
	for _, d := range testDrivers(t) {
		again, err := buildDriver(filepath.Join("../../testdata", d.name), d.arch)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.sys, d.sys) {
			t.Errorf("%s: two links differ", d.id)
		}
	}
}

// TestChecksum checks the PE checksum against relic's implementation.
func TestChecksum(t *testing.T) {
	for _, d := range testDrivers(t) {
		if got, want := pe.Checksum(d.sys), sign.Checksum(d.sys); got != want {
			t.Errorf("%s: checksum %#x, relic %#x", d.id, got, want)
		}
	}
}

// TestScan parses every driver as the runtime's user-mode parser does and
// finds every program and map.
func TestScan(t *testing.T) {
	for _, d := range testDrivers(t) {
		s, err := pe.Scan(d.sys)
		if err != nil {
			t.Fatalf("%s: %v", d.id, err)
		}
		var got, want []string
		for _, p := range s.Programs {
			got = append(got, p.Name+" "+p.Section)
			if p.CodeSize == 0 {
				t.Errorf("%s: program %s: empty code section %s", d.id, p.Name, p.PESection)
			}
		}
		for _, p := range d.meta.Programs {
			want = append(want, p.Name+" "+p.Section)
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: programs %v, want %v", d.id, got, want)
		}
		if len(s.Maps) < len(d.meta.Maps)+len(d.meta.Globals) {
			t.Fatalf("%s: %d maps, want %d", d.id, len(s.Maps), len(d.meta.Maps)+len(d.meta.Globals))
		}
		for i, m := range d.meta.Maps {
			g := s.Maps[i]
			if g.Name != m.Name || g.Type != m.Type || g.KeySize != m.KeySize || g.ValueSize != m.ValueSize || g.MaxEntries != m.MaxEntries {
				t.Errorf("%s: map %d: %+v, want %+v", d.id, i, g, m)
			}
		}
		for i, g := range d.meta.Globals {
			if m := s.Maps[len(d.meta.Maps)+i]; m.ValueSize != g.Size || !strings.HasSuffix(m.Name, g.Name) {
				t.Errorf("%s: global %s: map %+v", d.id, g.Name, m)
			}
		}
	}
}

// TestReadobj has llvm-readobj parse every driver and checks machine,
// subsystem, characteristics, section flags, entry point, imports,
// relocations and unwind data for every function.
func TestReadobj(t *testing.T) {
	tool, err := exec.LookPath("llvm-readobj-19")
	if err != nil {
		t.Fatal("llvm-readobj-19 is required (scripts/deps.sh installs llvm-19)")
	}
	dir := t.TempDir()
	field := func(out, name string) string {
		m := regexp.MustCompile(`(?m)^\s*` + name + `: (.*)$`).FindStringSubmatch(out)
		if m == nil {
			return ""
		}
		return m[1]
	}
	for _, d := range testDrivers(t) {
		file := filepath.Join(dir, d.arch+"_"+d.name+".sys")
		if err := os.WriteFile(file, d.sys, 0o644); err != nil {
			t.Fatal(err)
		}
		outb, err := exec.Command(tool, "--file-headers", "--sections", "--coff-imports", "--coff-basereloc", "--unwind", file).CombinedOutput()
		out := string(outb)
		if err != nil || strings.Contains(out, "warning") || strings.Contains(out, "error") {
			t.Fatalf("%s: llvm-readobj: %v\n%s", d.id, err, out)
		}
		machine := map[string]string{"amd64": "IMAGE_FILE_MACHINE_AMD64 (0x8664)", "arm64": "IMAGE_FILE_MACHINE_ARM64 (0xAA64)"}[d.arch]
		checks := map[string]string{
			"Machine":            machine,
			"Subsystem":          "IMAGE_SUBSYSTEM_NATIVE (0x1)",
			"Magic":              "0x20B",
			"OptionalHeaderSize": "240",
			"SectionAlignment":   "4096",
		}
		for k, v := range checks {
			if got := field(out, k); got != v {
				t.Errorf("%s: %s = %q, want %q", d.id, k, got, v)
			}
		}
		for _, flag := range []string{"IMAGE_DLL_CHARACTERISTICS_DYNAMIC_BASE", "IMAGE_DLL_CHARACTERISTICS_NX_COMPAT", "IMAGE_FILE_EXECUTABLE_IMAGE"} {
			if !strings.Contains(out, flag) {
				t.Errorf("%s: no %s", d.id, flag)
			}
		}
		if strings.Contains(out, "IMAGE_FILE_DLL") {
			t.Errorf("%s: marked as a DLL", d.id)
		}
		// Sections: no W+X, page-aligned, the expected ones present.
		entry := parseHex(field(out, "AddressOfEntryPoint"))
		names := map[string]bool{}
		for _, sec := range strings.Split(out, "Section {")[1:] {
			name := strings.Fields(field(sec, "Name"))[0]
			names[name] = true
			va := parseHex(field(sec, "VirtualAddress"))
			size := parseHex(field(sec, "VirtualSize"))
			w := strings.Contains(sec, "IMAGE_SCN_MEM_WRITE")
			x := strings.Contains(sec, "IMAGE_SCN_MEM_EXECUTE")
			if w && x {
				t.Errorf("%s: section %s is writable and executable", d.id, name)
			}
			if va%4096 != 0 {
				t.Errorf("%s: section %s at %#x", d.id, name, va)
			}
			if entry >= va && entry < va+size && name != "INIT" {
				t.Errorf("%s: entry point %#x in %s, not INIT", d.id, entry, name)
			}
			if name == "INIT" && !(entry >= va && entry < va+size) {
				t.Errorf("%s: entry point %#x outside INIT", d.id, entry)
			}
			if name == "INIT" && !strings.Contains(sec, "IMAGE_SCN_MEM_DISCARDABLE") {
				t.Errorf("%s: INIT is not discardable", d.id)
			}
		}
		for _, n := range []string{".text", ".rdata", ".data", ".pdata", "INIT", ".reloc", "maps", "programs", "hash"} {
			if !names[n] && !(n == "maps" && len(d.meta.Maps)+len(d.meta.Globals) == 0) {
				t.Errorf("%s: no %s section", d.id, n)
			}
		}
		for _, imp := range []string{"NmrRegisterClient", "NmrDeregisterClient", "NmrClientAttachProvider", "NmrWaitForClientDeregisterComplete", "RtlQueryRegistryValues"} {
			if !strings.Contains(out, "Symbol: "+imp+" ") {
				t.Errorf("%s: no import of %s", d.id, imp)
			}
		}
		if !strings.Contains(out, "Name: NETIO.SYS") || !strings.Contains(out, "Name: ntoskrnl.exe") {
			t.Errorf("%s: imports not from NETIO.SYS and ntoskrnl.exe", d.id)
		}
		if n := strings.Count(out, "Type: DIR64"); n == 0 {
			t.Errorf("%s: no DIR64 base relocations", d.id)
		}
		// Unwind data: one RuntimeFunction per function in .text, per
		// thunk, and for the 11 routines of the driver itself (metadata table
		// functions, NMR callbacks, registry callback, unload, DriverEntry).
		start := map[string]*regexp.Regexp{
			"amd64": regexp.MustCompile(`StartAddress: \((0x[0-9A-F]+)\)`),
			"arm64": regexp.MustCompile(`(?m)^\s*Function: (0x[0-9A-F]+)$`),
		}[d.arch]
		starts := map[uint64]bool{}
		for _, m := range start.FindAllStringSubmatch(out, -1) {
			starts[parseHex(m[1])-pe.ImageBase] = true
		}
		textVA := uint64(0x1000)
		for _, f := range d.obj.Funcs {
			if !starts[textVA+uint64(f.Offset)] {
				t.Errorf("%s: function %s has no unwind entry", d.id, f.Name)
			}
		}
		if !starts[entry] {
			t.Errorf("%s: DriverEntry has no unwind entry", d.id)
		}
		if want := len(d.obj.Funcs) + len(d.meta.Programs) + 11; len(starts) != want {
			t.Errorf("%s: %d unwind entries, want %d", d.id, len(starts), want)
		}
		if d.arch == "arm64" {
			checkA64Unwind(t, d, file, out)
		}
	}
}

func parseHex(s string) uint64 {
	var v uint64
	s = strings.TrimPrefix(strings.TrimSpace(s), "0x")
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			v = v*16 + uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v*16 + uint64(c-'a'+10)
		case c >= 'A' && c <= 'F':
			v = v*16 + uint64(c-'A'+10)
		default:
			return v
		}
	}
	return v
}
