package conformance

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/bpf2native/bpf2native/assembler"
)

// Test is one parsed .data file.
type Test struct {
	// Name is the file's base name, e.g. "lddw.data".
	Name string
	// Program is raw bytecode, 8 little-endian bytes per slot: the -- raw section if it
	// has any tokens, otherwise the assembled -- asm section.
	Program []byte
	// Memory is the -- mem section, nil if there is none.
	Memory []byte
	// Result is the expected final r0; 0 if there is no -- result section.
	Result uint64
	// ExpectError is the error message the engine must fail with; "" if the test expects
	// a result.
	ExpectError string
	// Asm is the -- asm text as given to the assembler: comments removed and every line
	// outside the section left empty, so assembler line numbers are file line numbers.
	Asm string
	// FromRaw reports that Program came from -- raw, not from Asm.
	FromRaw bool
}

// ParseFile reads and parses the .data file at path; the test is named by its base name.
func ParseFile(path string) (*Test, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(filepath.Base(path), data)
}

type section int

const (
	sectionIgnored section = iota
	sectionAsm
	sectionResult
	sectionMem
	sectionRaw
	sectionError
)

// headers lists the section header keywords in the order the upstream parser tries them:
// a header line is classified by the first keyword it contains.
var headers = []struct {
	keyword string
	section section
}{
	{"asm", sectionAsm},
	{"result", sectionResult},
	{"mem", sectionMem},
	{"raw", sectionRaw},
	{"no register offset", sectionIgnored},
	{" c", sectionIgnored},
	{"error", sectionError},
}

// Parse parses the contents of a .data file by the upstream runner's rules; name is used
// for Test.Name and in errors.
func Parse(name string, data []byte) (*Test, error) {
	t, err := parse(name, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return t, nil
}

func parse(name string, data []byte) (*Test, error) {
	lines := strings.Split(string(data), "\n")
	asm := make([]string, len(lines))
	var result, expectError string
	var mem, raw []string
	current := sectionIgnored // lines before the first header belong to no section
	for i, line := range lines {
		line = strings.TrimSuffix(line, "\r")
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		if strings.Contains(line, "--") {
			s, err := headerSection(line)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			current = s
			continue
		}
		// Upstream ignores only truly empty lines, so a whitespace-only line would become
		// an unparsable result; treating it as blank is the evident intent.
		if strings.TrimSpace(line) == "" {
			continue
		}
		switch current {
		case sectionAsm:
			asm[i] = line
		case sectionResult:
			result = line
		case sectionMem:
			mem = append(mem, line)
		case sectionRaw:
			raw = append(raw, line)
		case sectionError:
			expectError = strings.TrimRight(line, " \t")
		}
	}
	if result == "" && expectError == "" {
		return nil, errors.New("no -- result or -- error section")
	}
	t := &Test{Name: name, ExpectError: expectError, Asm: strings.Join(asm, "\n")}
	var err error
	if result != "" {
		if t.Result, err = parseResult(result); err != nil {
			return nil, err
		}
	}
	if t.Memory, err = parseMemory(mem); err != nil {
		return nil, err
	}
	if t.Program, err = parseRaw(raw); err != nil {
		return nil, err
	}
	if t.Program != nil {
		t.FromRaw = true
	} else if t.Program, err = assembler.Assemble(t.Asm); err != nil {
		return nil, err
	}
	if len(t.Program) == 0 {
		return nil, errors.New("no instructions")
	}
	return t, nil
}

func headerSection(line string) (section, error) {
	for _, h := range headers {
		if strings.Contains(line, h.keyword) {
			return h.section, nil
		}
	}
	return 0, fmt.Errorf("unknown section header %q", strings.TrimSpace(line))
}

// parseResult reads the last line of -- result: hex if it contains "0x", else decimal.
func parseResult(line string) (uint64, error) {
	s := strings.TrimSpace(line)
	digits, base := s, 10
	if strings.Contains(s, "0x") {
		var ok bool
		if digits, ok = strings.CutPrefix(s, "0x"); !ok {
			return 0, fmt.Errorf("invalid result %q", s)
		}
		base = 16
	}
	v, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return 0, fmt.Errorf("invalid result %q", s)
	}
	return v, nil
}

// parseMemory reads -- mem: hex bytes without 0x, any number per line.
func parseMemory(lines []string) ([]byte, error) {
	var mem []byte
	for _, tok := range strings.Fields(strings.Join(lines, " ")) {
		b, err := strconv.ParseUint(tok, 16, 8)
		if err != nil {
			return nil, fmt.Errorf("memory: invalid byte %q", tok)
		}
		mem = append(mem, byte(b))
	}
	return mem, nil
}

// parseRaw reads -- raw: one token per slot, a 64-bit integer (0x hex or decimal) whose
// little-endian image is the slot. It returns nil when there are no tokens.
func parseRaw(lines []string) ([]byte, error) {
	var code []byte
	for _, tok := range strings.Fields(strings.Join(lines, " ")) {
		digits, base := tok, 10
		if rest, ok := strings.CutPrefix(tok, "0x"); ok {
			digits, base = rest, 16
		}
		v, err := strconv.ParseUint(digits, base, 64)
		if err != nil {
			return nil, fmt.Errorf("raw: invalid slot %q", tok)
		}
		code = binary.LittleEndian.AppendUint64(code, v)
	}
	return code, nil
}
