package pe_test

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/linker/pe"
)

// checkA64Unwind compares the unwind information of an arm64 driver, as
// llvm-readobj decodes it (readobj, its --unwind output), with the code,
// as llvm-objdump disassembles it: each function's prologue codes must be
// its first instructions, each epilogue scope's codes the instructions at
// its offset followed by a ret, and every ret of a function with a
// prologue to undo must end such an epilogue.
func checkA64Unwind(t *testing.T, d *driver, file, readobj string) {
	t.Helper()
	objdump, err := exec.LookPath("llvm-objdump-19")
	if err != nil {
		t.Fatal("llvm-objdump-19 is required (scripts/deps.sh installs llvm-19)")
	}
	out, err := exec.Command(objdump, "-d", "--no-show-raw-insn", file).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: llvm-objdump: %v\n%s", d.id, err, out)
	}
	code := map[uint64]string{}
	line := regexp.MustCompile(`^\s*([0-9a-f]+):\s+(.*)$`)
	for _, l := range strings.Split(string(out), "\n") {
		if m := line.FindStringSubmatch(l); m != nil {
			code[parseHex(m[1])] = normalizeA64(m[2])
		}
	}
	sizes := map[uint64]int{}
	for _, f := range d.obj.Funcs {
		sizes[pe.ImageBase+0x1000+uint64(f.Offset)] = f.Size
	}
	epilogues := 0
	for _, rf := range strings.Split(readobj, "RuntimeFunction {")[1:] {
		u, err := parseA64Unwind(rf)
		if err != nil {
			t.Fatalf("%s: %v\n%s", d.id, err, rf)
		}
		where := fmt.Sprintf("%s: function at %#x", d.id, u.start)
		if size, ok := sizes[u.start]; ok && size != u.length {
			t.Errorf("%s: unwind data covers %d bytes of %d", where, u.length, size)
		}
		restores := false
		for k, c := range u.prologue {
			at := u.start + 4*uint64(len(u.prologue)-1-k)
			if code[at] != c {
				t.Errorf("%s: prologue code %q, instruction at %#x %q", where, c, at, code[at])
			}
			restores = restores || c != "mov x29, sp"
		}
		ends := map[uint64]bool{}
		for _, e := range u.epilogues {
			at := u.start + 4*e.offset
			for _, c := range e.codes {
				if code[at] != c {
					t.Errorf("%s: epilogue code %q, instruction at %#x %q", where, c, at, code[at])
				}
				at += 4
			}
			if code[at] != "ret" {
				t.Errorf("%s: epilogue at %#x ends in %q, not ret", where, u.start+4*e.offset, code[at])
			}
			ends[at] = true
			epilogues++
		}
		for at := u.start; at < u.start+uint64(u.length); at += 4 {
			if code[at] == "ret" && restores && !ends[at] {
				t.Errorf("%s: the ret at %#x ends no epilogue scope", where, at)
			}
		}
	}
	if epilogues == 0 {
		t.Errorf("%s: no epilogue scope checked", d.id)
	}
}

// a64Unwind is one RuntimeFunction of llvm-readobj's output: codes as the
// instructions it prints for them, "end" left out.
type a64Unwind struct {
	start     uint64
	length    int
	prologue  []string
	epilogues []struct {
		offset uint64
		codes  []string
	}
}

func parseA64Unwind(s string) (*a64Unwind, error) {
	u := &a64Unwind{}
	section := ""
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		k, v, _ := strings.Cut(l, ": ")
		switch {
		case k == "Function":
			u.start = parseHex(v)
		case k == "FunctionLength":
			u.length, _ = strconv.Atoi(v)
		case l == "Prologue [":
			section = "prologue"
		case l == "Opcodes [":
			section = "epilogue"
		case l == "]":
			section = ""
		case k == "StartOffset":
			n, _ := strconv.Atoi(v)
			u.epilogues = append(u.epilogues, struct {
				offset uint64
				codes  []string
			}{offset: uint64(n)})
		case section != "" && strings.HasPrefix(l, "0x"):
			_, insn, ok := strings.Cut(l, "; ")
			if !ok {
				return nil, fmt.Errorf("unwind code line %q", l)
			}
			insn = normalizeA64(insn)
			if insn == "end" {
				continue
			}
			if section == "prologue" {
				u.prologue = append(u.prologue, insn)
			} else {
				e := &u.epilogues[len(u.epilogues)-1]
				e.codes = append(e.codes, insn)
			}
		}
	}
	if u.start == 0 || u.length == 0 {
		return nil, fmt.Errorf("no function or length")
	}
	return u, nil
}

var (
	a64Comment = regexp.MustCompile(`\s*(//.*|<.*>)$`)
	a64Hex     = regexp.MustCompile(`#(-?)0x([0-9a-f]+)`)
	a64Shifted = regexp.MustCompile(`#(\d+), lsl #12`)
	a64SPImm   = regexp.MustCompile(`^(add|sub) sp, #`)
)

// normalizeA64 puts an instruction as llvm-objdump prints it and as
// llvm-readobj prints an unwind code in one form: decimal immediates, no
// zero offset, x29 and x30 by number, "sub sp, sp, #n".
func normalizeA64(s string) string {
	s = strings.ToLower(a64Comment.ReplaceAllString(strings.TrimSpace(s), ""))
	s = strings.Join(strings.Fields(s), " ")
	s = a64Hex.ReplaceAllStringFunc(s, func(m string) string {
		sub := a64Hex.FindStringSubmatch(m)
		v, _ := strconv.ParseUint(sub[2], 16, 64)
		return "#" + sub[1] + strconv.FormatUint(v, 10)
	})
	s = a64Shifted.ReplaceAllStringFunc(s, func(m string) string {
		v, _ := strconv.Atoi(a64Shifted.FindStringSubmatch(m)[1])
		return "#" + strconv.Itoa(v<<12)
	})
	s = a64SPImm.ReplaceAllString(s, "$1 sp, sp, #")
	s = strings.ReplaceAll(s, ", #0]", "]")
	s = regexp.MustCompile(`\bfp\b`).ReplaceAllString(s, "x29")
	return regexp.MustCompile(`\blr\b`).ReplaceAllString(s, "x30")
}
