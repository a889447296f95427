package arm64_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/backend"
	_ "github.com/bpf2native/bpf2native/backend/arm64"
	"github.com/bpf2native/bpf2native/ir"
)

// moduleOf wraps raw bytecode in a module of one program.
func moduleOf(t testing.TB, code []byte) *ir.Module {
	t.Helper()
	insns, err := ir.Decode(code)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ir.NewProgram("test", insns, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &ir.Module{Programs: []*ir.Program{p}}
}

func marshal(t testing.TB, insns []asm.Instruction) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := asm.Instructions(insns).Marshal(&buf, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// compile compiles a one-program module from instructions and returns the
// object and the dump of every stage.
func compile(t testing.TB, insns ...asm.Instruction) (*backend.Object, string) {
	t.Helper()
	var dump strings.Builder
	obj, err := backend.Compile(moduleOf(t, marshal(t, insns)), backend.Target{Arch: "arm64"}, backend.Options{Dump: &dump})
	if err != nil {
		t.Fatal(err)
	}
	return obj, dump.String()
}

// disasm disassembles code with llvm-mc-19.
func disasm(t testing.TB, code []byte) string {
	t.Helper()
	path, err := exec.LookPath("llvm-mc-19")
	if err != nil {
		t.Skip("llvm-mc-19 not installed (Debian package llvm-19)")
	}
	var in strings.Builder
	for _, b := range code {
		fmt.Fprintf(&in, "0x%02x ", b)
	}
	cmd := exec.Command(path, "--disassemble", "-triple=aarch64")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "invalid") {
		t.Fatalf("llvm-mc: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		if i := strings.Index(l, "//"); i >= 0 {
			l = l[:i]
		}
		l = strings.Join(strings.Fields(l), " ")
		if l == "" || strings.HasPrefix(l, ".") {
			continue
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestScratchDump(t *testing.T) {
	obj, dump := compile(t,
		asm.LoadMem(asm.R0, asm.R1, 0, asm.Word),
		asm.LoadMem(asm.R2, asm.R1, 4, asm.Word),
		asm.Mod.Reg32(asm.R0, asm.R2),
		asm.Return())
	t.Log(dump)
	t.Log(disasm(t, obj.Text))
}
