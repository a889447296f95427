package conformance_test

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/conformance"
)

// runnerHex encodes bytes as the upstream runner does for memory and programs: two
// lowercase hex digits and two spaces per byte.
func runnerHex(b []byte) string {
	var s strings.Builder
	for _, c := range b {
		fmt.Fprintf(&s, "%02x  ", c)
	}
	return s.String()
}

type elfSection struct {
	name  string
	flags elf.SectionFlag
	data  []byte
}

// buildELF lays out an ET_REL object like the runner's writer: the given PROGBITS
// sections, then a .symtab whose one function symbol "main" covers the first of them,
// with all names, symbol names included, in .shstrtab.
func buildELF(t *testing.T, machine elf.Machine, sections ...elfSection) []byte {
	t.Helper()
	le := binary.LittleEndian
	strtab := []byte{0}
	name := func(s string) uint32 {
		off := len(strtab)
		strtab = append(strtab, s...)
		strtab = append(strtab, 0)
		return uint32(off)
	}
	const headerSize, sectionHeaderSize, symbolSize = 64, 64, 24
	symtabIndex := len(sections) + 1
	shstrtabIndex := symtabIndex + 1

	var body bytes.Buffer
	headers := []elf.Section64{{}}
	for _, s := range sections {
		headers = append(headers, elf.Section64{
			Name: name(s.name), Type: uint32(elf.SHT_PROGBITS), Flags: uint64(s.flags),
			Off: uint64(headerSize + body.Len()), Size: uint64(len(s.data)), Addralign: 8,
		})
		body.Write(s.data)
	}
	var symbols bytes.Buffer
	must(t, binary.Write(&symbols, le, elf.Sym64{}))
	must(t, binary.Write(&symbols, le, elf.Sym64{
		Name: name("main"), Info: elf.ST_INFO(elf.STB_GLOBAL, elf.STT_FUNC),
		Shndx: 1, Size: uint64(len(sections[0].data)),
	}))
	headers = append(headers, elf.Section64{
		Name: name(".symtab"), Type: uint32(elf.SHT_SYMTAB), Off: uint64(headerSize + body.Len()),
		Size: uint64(symbols.Len()), Link: uint32(shstrtabIndex), Info: 1, Addralign: 8, Entsize: symbolSize,
	})
	body.Write(symbols.Bytes())
	shstrtabName := name(".shstrtab")
	headers = append(headers, elf.Section64{
		Name: shstrtabName, Type: uint32(elf.SHT_STRTAB), Off: uint64(headerSize + body.Len()),
		Size: uint64(len(strtab)), Addralign: 1,
	})
	body.Write(strtab)
	for body.Len()%8 != 0 {
		body.WriteByte(0)
	}

	header := elf.Header64{
		Type: uint16(elf.ET_REL), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Shoff: uint64(headerSize + body.Len()), Ehsize: headerSize, Shentsize: sectionHeaderSize,
		Shnum: uint16(len(headers)), Shstrndx: uint16(shstrtabIndex),
	}
	copy(header.Ident[:], elf.ELFMAG)
	header.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	header.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	header.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)

	var out bytes.Buffer
	must(t, binary.Write(&out, le, header))
	out.Write(body.Bytes())
	for _, h := range headers {
		must(t, binary.Write(&out, le, h))
	}
	return out.Bytes()
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var (
	movExit = []byte{0xb7, 0, 0, 0, 1, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0}
	exit    = []byte{0x95, 0, 0, 0, 0, 0, 0, 0}
)

// The test ELF must look like the runner's to debug/elf, or the tests below prove little.
func TestBuildELF(t *testing.T) {
	image := buildELF(t, elf.EM_BPF, elfSection{".text", elf.SHF_ALLOC | elf.SHF_EXECINSTR, movExit})
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		t.Fatal(err)
	}
	syms, err := f.Symbols()
	if err != nil {
		t.Fatal(err)
	}
	if f.Type != elf.ET_REL || f.Class != elf.ELFCLASS64 || len(syms) != 1 || syms[0].Name != "main" ||
		syms[0].Size != uint64(len(movExit)) || f.Sections[syms[0].Section].Name != ".text" {
		t.Errorf("unexpected ELF: type %v class %v symbols %+v", f.Type, f.Class, syms)
	}
}

func TestParsePluginArgs(t *testing.T) {
	tests := []struct {
		args    []string
		memory  []byte
		options []string
		elf     bool
	}{
		{args: nil},
		{args: []string{"00  01  ff  "}, memory: []byte{0, 1, 0xff}},
		{args: []string{"0A  0b  ", "--elf"}, memory: []byte{0x0a, 0x0b}, elf: true},
		{args: []string{"--debug", "--elf"}, options: []string{"--debug"}, elf: true},
		{args: []string{"00  ", "", "--a", "b", ""}, memory: []byte{0}, options: []string{"--a", "b"}},
		{args: []string{""}, memory: nil},
	}
	for _, tt := range tests {
		memory, options, isELF, err := conformance.ParsePluginArgs(tt.args)
		if err != nil {
			t.Errorf("ParsePluginArgs(%q): %v", tt.args, err)
			continue
		}
		if !bytes.Equal(memory, tt.memory) || !slices.Equal(options, tt.options) || isELF != tt.elf {
			t.Errorf("ParsePluginArgs(%q) = %x, %q, %v; want %x, %q, %v",
				tt.args, memory, options, isELF, tt.memory, tt.options, tt.elf)
		}
	}
	if _, _, _, err := conformance.ParsePluginArgs([]string{"00  zz  "}); err == nil ||
		err.Error() != `memory argument: invalid hex byte "zz"` {
		t.Errorf("bad memory: err = %v", err)
	}
}

func TestReadPluginProgram(t *testing.T) {
	tests := []struct {
		name  string
		input string
		elf   bool
		want  []byte
		err   string
	}{
		{name: "runner format", input: runnerHex(movExit) + "\n", want: movExit},
		{name: "upper case, any spacing", input: "95 00 00 00\n00 00 00 00", want: exit},
		{name: "empty", input: "\n", err: "program: empty"},
		{name: "partial slot", input: "95  00  00  00  ", err: "program: 4 bytes is not a whole number of 8-byte instructions"},
		{name: "not hex", input: "95  0g  ", err: `program: invalid hex byte "0g"`},
		{name: "byte too big", input: "950  ", err: `program: invalid hex byte "950"`},
		{
			name:  "ELF .text",
			input: runnerHex(buildELF(t, elf.EM_BPF, elfSection{".text", elf.SHF_ALLOC | elf.SHF_EXECINSTR, movExit})),
			elf:   true, want: movExit,
		},
		{
			name: "ELF xdp section, after a data section",
			input: runnerHex(buildELF(t, elf.EM_BPF,
				elfSection{"xdp", elf.SHF_ALLOC | elf.SHF_EXECINSTR, exit},
				elfSection{".data", elf.SHF_ALLOC | elf.SHF_WRITE, movExit})),
			elf: true, want: exit,
		},
		{
			name: "ELF .text preferred over an earlier executable section",
			input: runnerHex(buildELF(t, elf.EM_BPF,
				elfSection{"xdp", elf.SHF_ALLOC | elf.SHF_EXECINSTR, exit},
				elfSection{".text", elf.SHF_ALLOC | elf.SHF_EXECINSTR, movExit})),
			elf: true, want: movExit,
		},
		{
			name:  "ELF for another machine",
			input: runnerHex(buildELF(t, elf.EM_X86_64, elfSection{".text", elf.SHF_ALLOC | elf.SHF_EXECINSTR, movExit})),
			elf:   true, err: "program: ELF machine is EM_X86_64, want EM_BPF",
		},
		{
			name:  "ELF without code",
			input: runnerHex(buildELF(t, elf.EM_BPF, elfSection{".data", elf.SHF_ALLOC | elf.SHF_WRITE, movExit})),
			elf:   true, err: "program: ELF has no executable section",
		},
		{name: "not an ELF", input: runnerHex(movExit), elf: true, err: "program: reading ELF: bad magic number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conformance.ReadPluginProgram(strings.NewReader(tt.input), tt.elf)
			if tt.err != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.err) {
					t.Errorf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("got %x, want %x", got, tt.want)
			}
		})
	}
}

func TestWritePluginResult(t *testing.T) {
	var out bytes.Buffer
	must(t, conformance.WritePluginResult(&out, 0xfffffffffffffff6))
	must(t, conformance.WritePluginResult(&out, 0))
	if out.String() != "fffffffffffffff6\n0\n" {
		t.Errorf("got %q", out.String())
	}
}

// TestServePluginRoundTrip plays the upstream runner against ServePlugin on a real test
// file, with the program both as hex slots and wrapped in an ELF object.
func TestServePluginRoundTrip(t *testing.T) {
	test, err := conformance.ParseFile(filepath.Join(suiteDir, "stxb-all2.data"))
	if err != nil {
		t.Fatal(err)
	}
	engine := func(program, memory []byte) (uint64, error) {
		if !bytes.Equal(program, test.Program) || !bytes.Equal(memory, test.Memory) {
			return 0, fmt.Errorf("got program %x memory %x", program, memory)
		}
		return test.Result, nil
	}
	image := buildELF(t, elf.EM_BPF, elfSection{".text", elf.SHF_ALLOC | elf.SHF_EXECINSTR, test.Program})
	for _, isELF := range []bool{false, true} {
		args, stdin := []string{runnerHex(test.Memory)}, runnerHex(test.Program)+"\n"
		if isELF {
			args, stdin = append(args, "--elf"), runnerHex(image)+"\n"
		}
		var stdout, stderr bytes.Buffer
		status := conformance.ServePlugin(engine, args, strings.NewReader(stdin), &stdout, &stderr)
		if status != 0 || stderr.Len() != 0 {
			t.Fatalf("elf=%v: status %d, stderr %q", isELF, status, stderr.String())
		}
		// The runner strips one newline and parses base 16.
		r0, err := strconv.ParseUint(strings.TrimSuffix(stdout.String(), "\n"), 16, 64)
		if err != nil || r0 != test.Result {
			t.Errorf("elf=%v: stdout %q, want r0 %#x", isELF, stdout.String(), test.Result)
		}
	}
}

func TestServePluginFailures(t *testing.T) {
	failing := func([]byte, []byte) (uint64, error) { return 0, errors.New("division by zero") }
	panicking := func([]byte, []byte) (uint64, error) { panic("boom") }
	tests := []struct {
		name   string
		engine conformance.Engine
		args   []string
		stdin  string
		stderr string
	}{
		{"engine error goes out unchanged", failing, nil, runnerHex(exit), "division by zero\n"},
		{"engine panic", panicking, nil, runnerHex(exit), "engine panicked: boom\n"},
		{"plugin option", failing, []string{"--fast"}, runnerHex(exit), "unsupported plugin option \"--fast\"\n"},
		{"bad memory", failing, []string{"0x01"}, runnerHex(exit), "memory argument: invalid hex byte \"0x01\"\n"},
		{"bad program", failing, nil, "95", "program: 1 bytes is not a whole number of 8-byte instructions\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := conformance.ServePlugin(tt.engine, tt.args, strings.NewReader(tt.stdin), &stdout, &stderr)
			if status == 0 || stdout.Len() != 0 || stderr.String() != tt.stderr {
				t.Errorf("status %d, stdout %q, stderr %q; want non-zero, \"\", %q",
					status, stdout.String(), stderr.String(), tt.stderr)
			}
		})
	}
}
