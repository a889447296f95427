package conformance_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/assembler"
	"github.com/bpf2native/bpf2native/conformance"
)

// suiteDir is the imported upstream suite, beside this repository.
const suiteDir = "../../shared/conformance/tests"

func parseSuite(t *testing.T) []*conformance.Test {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(suiteDir, "*.data"))
	if err != nil {
		t.Fatal(err)
	}
	var tests []*conformance.Test
	for _, p := range paths {
		test, err := conformance.ParseFile(p)
		if err != nil {
			t.Errorf("ParseFile: %v", err)
			continue
		}
		tests = append(tests, test)
	}
	return tests
}

// TestParseSuite checks the parsed suite against the counts the README states.
func TestParseSuite(t *testing.T) {
	tests := parseSuite(t)
	if len(tests) != 313 {
		t.Errorf("parsed %d files, README says 313", len(tests))
	}
	var withMem, fromRaw, withError int
	minMem, maxMem := 1<<30, 0
	for _, test := range tests {
		// The project's disassembler must be able to read every program.
		if _, err := asm.AppendInstructions(nil, bytes.NewReader(test.Program), binary.LittleEndian, "linux"); err != nil {
			t.Errorf("%s: decoding with cilium/ebpf: %v", test.Name, err)
		}
		if test.Memory != nil {
			withMem++
			minMem, maxMem = min(minMem, len(test.Memory)), max(maxMem, len(test.Memory))
		}
		if test.ExpectError != "" {
			withError++
		}
		if test.FromRaw {
			fromRaw++
			// The asm of a raw test is ignored by the runner, but must say the same thing.
			code, err := assembler.Assemble(test.Asm)
			if err != nil {
				t.Errorf("%s: asm section: %v", test.Name, err)
			} else if !bytes.Equal(code, test.Program) {
				t.Errorf("%s: asm assembles to %x, raw is %x", test.Name, code, test.Program)
			}
		}
	}
	if withMem != 40 || minMem != 2 || maxMem != 74 {
		t.Errorf("%d files with memory of %d to %d bytes, README says 40 of 2 to 74", withMem, minMem, maxMem)
	}
	if fromRaw != 1 {
		t.Errorf("%d files with -- raw, README says 1", fromRaw)
	}
	if withError != 0 {
		t.Errorf("%d files with -- error, README says 0", withError)
	}
}

// TestParseSuiteDecimalResults finds the results written in decimal with a scan of its
// own and checks that Parse read them as the README says: 8 files, all 0.
func TestParseSuiteDecimalResults(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(suiteDir, "*.data"))
	if err != nil {
		t.Fatal(err)
	}
	var decimal, hexadecimal int
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		_, after, ok := strings.Cut(string(data), "-- result\n")
		if !ok {
			t.Fatalf("%s: no result section", p)
		}
		section, _, _ := strings.Cut(after, "--")
		lines := strings.Fields(section)
		last := lines[len(lines)-1]
		if strings.Contains(last, "0x") {
			hexadecimal++
			continue
		}
		decimal++
		test, err := conformance.ParseFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if last != "0" || test.Result != 0 {
			t.Errorf("%s: decimal result %q parsed as %#x", test.Name, last, test.Result)
		}
	}
	if decimal != 8 || hexadecimal != 305 {
		t.Errorf("%d decimal and %d hex results, README says 8 and 305", decimal, hexadecimal)
	}
}

func TestParseSuiteSamples(t *testing.T) {
	tests := map[string]*conformance.Test{}
	for _, test := range parseSuite(t) {
		tests[test.Name] = test
	}
	samples := []struct {
		name    string
		result  uint64
		memory  string // hex
		program string // hex, checked when set
	}{
		{name: "lddw.data", result: 0x1122334455667788,
			program: "1800000088776655" + "0000000044332211" + "9500000000000000"},
		{name: "mem-len.data", result: 8, memory: "0000000100000002"},
		{name: "smod32-neg-by-zero-imm.data", result: 0xfffffff6},
		{name: "mov64-sign-extend.data", result: 0xfffffffffffffff6},
		// callx: the register holding the helper id goes in dst.
		{name: "callx.data", result: 2, program: "b7010000ffffffff" + "b702000005000000" +
			"8d02000000000000" + "b700000002000000" + "9500000000000000"},
		{name: "call_unwind_fail.data", result: 2, program: "b7010000ffffffff" +
			"8500000005000000" + "b700000002000000" + "9500000000000000"},
		// prime.data's C section (with #include lines) precedes its asm; "ja exit" in
		// slot 4 jumps to the first exit, in slot 15.
		{name: "prime.data", result: 1},
	}
	for _, s := range samples {
		test, ok := tests[s.name]
		if !ok {
			t.Errorf("%s: not parsed", s.name)
			continue
		}
		if test.Result != s.result {
			t.Errorf("%s: result %#x, want %#x", s.name, test.Result, s.result)
		}
		if got := hex.EncodeToString(test.Memory); got != s.memory {
			t.Errorf("%s: memory %s, want %s", s.name, got, s.memory)
		}
		if got := hex.EncodeToString(test.Program); s.program != "" && got != s.program {
			t.Errorf("%s: program\n got  %s\n want %s", s.name, got, s.program)
		}
	}
	if prime := tests["prime.data"]; prime != nil {
		if got := hex.EncodeToString(prime.Program[4*8 : 5*8]); got != "05000a0000000000" {
			t.Errorf("prime.data: slot 4 is %s, want ja +10", got)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		data string
		want conformance.Test // Name, Asm are not compared
		prog string           // hex
	}{
		{
			name: "minimal",
			data: "-- asm\nmov %r0, 1\nexit\n-- result\n0x1\n",
			want: conformance.Test{Result: 1},
			prog: "b700000001000000" + "9500000000000000",
		},
		{
			name: "lines before the first header, comments, CRLF, blank lines",
			data: "preamble -\r\n# comment\r\n-- asm\r\n\r\nmov %r0, 2 # -- not a header\r\n   \r\nexit\r\n-- result\r\n  0xAb  \r\n",
			want: conformance.Test{Result: 0xab},
			prog: "b700000002000000" + "9500000000000000",
		},
		{
			name: "last result line wins; decimal",
			data: "-- asm\nexit\n-- result\n0x5\n17\n",
			want: conformance.Test{Result: 17},
			prog: "9500000000000000",
		},
		{
			name: "headers match by substring, first keyword wins",
			data: "--- asm result ---\nexit\n---- memory\n01 0A\nff\n-- results --\n0x1\n",
			want: conformance.Test{Result: 1, Memory: []byte{1, 10, 255}},
			prog: "9500000000000000",
		},
		{
			name: "ignored sections",
			data: "-- c\nint main() { return 0; }\n-- asm\nexit\n-- no register offset\ncall instruction\n-- result\n0x0\n",
			want: conformance.Test{},
			prog: "9500000000000000",
		},
		{
			name: "raw wins over asm, which is then not assembled",
			data: "-- asm\nbogus\n-- raw\n0x00000001000000b7 149\n-- result\n0x1\n",
			want: conformance.Test{Result: 1, FromRaw: true},
			prog: "b700000001000000" + "9500000000000000",
		},
		{
			name: "expected error, trailing blanks dropped, result defaults to 0",
			data: "-- asm\nexit\n-- error\nfirst\nInvalid thing  \t\n",
			want: conformance.Test{ExpectError: "Invalid thing"},
			prog: "9500000000000000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := conformance.Parse("t.data", []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != "t.data" || got.Result != tt.want.Result || got.ExpectError != tt.want.ExpectError ||
				!bytes.Equal(got.Memory, tt.want.Memory) || got.FromRaw != tt.want.FromRaw {
				t.Errorf("got %+v\nwant %+v", *got, tt.want)
			}
			if h := hex.EncodeToString(got.Program); h != tt.prog {
				t.Errorf("program %s, want %s", h, tt.prog)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		data string
		want string
	}{
		{"-- asm\nexit\n-- foo\n", `t.data: line 3: unknown section header "-- foo"`},
		{"-- asm\nmov %r0, 1\nbogus\n-- result\n0x0\n", `t.data: line 3: unknown mnemonic "bogus"`},
		{"-- asm\nexit\n", `t.data: no -- result or -- error section`},
		{"-- asm\n-- result\n0x0\n", `t.data: no instructions`},
		{"-- asm\nexit\n-- result\n0xzz\n", `t.data: invalid result "0xzz"`},
		{"-- asm\nexit\n-- result\nx0x1\n", `t.data: invalid result "x0x1"`},
		{"-- asm\nexit\n-- result\n-1\n", `t.data: invalid result "-1"`},
		{"-- asm\nexit\n-- mem\n00 100\n-- result\n0x0\n", `t.data: memory: invalid byte "100"`},
		{"-- asm\nexit\n-- mem\n0x01\n-- result\n0x0\n", `t.data: memory: invalid byte "0x01"`},
		{"-- raw\n0x95 zz\n-- result\n0x0\n", `t.data: raw: invalid slot "zz"`},
	}
	for _, tt := range tests {
		_, err := conformance.Parse("t.data", []byte(tt.data))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q):\n got  %v\n want %s", tt.data, err, tt.want)
		}
	}
}
