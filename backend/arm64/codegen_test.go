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
		t.Fatal("llvm-mc-19 is required (Debian package llvm-19; make test installs it)")
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

// TestCallx checks callx: the id, clamped into the helper-id table (ids
// beyond it go to slot 0), indexes the table, and the unclamped id is the
// sixth argument.
func TestCallx(t *testing.T) {
	obj, _ := compile(t,
		asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
		asm.Mov.Imm(asm.R1, 7),
		asm.Instruction{OpCode: asm.Call.Op(asm.RegSource), Dst: asm.R2},
		asm.Return())
	got := disasm(t, obj.Text)
	for _, want := range []string{"cmp x5, #256", "csel x", "adrp x16", "add x16, x16, #0", "ldr x16, [x16, x", ", lsl #3]", "blr x16"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in:\n%s", want, got)
		}
	}
	if obj.HelperIDSlots != backend.HelperIDSlots || len(obj.Relocs) != 2 || obj.Relocs[0].Table != backend.HelperIDTable ||
		obj.Relocs[0].Form != backend.AArch64Page21 || obj.Relocs[1].Form != backend.AArch64Lo12Add {
		t.Errorf("helper-id slots %d, relocations %+v: want adrp and add of the helper-id table", obj.HelperIDSlots, obj.Relocs)
	}
}

// TestOptimizedForms asserts what optimizations leave in the arm64 code:
// rotates become ror, clang's zero extension by shifts a 32-bit move, a
// rotated loop's back edge one conditional branch.
func TestOptimizedForms(t *testing.T) {
	for _, tc := range []struct {
		name      string
		insns     []asm.Instruction
		want, not []string
	}{{
		name: "32-bit rotate",
		insns: []asm.Instruction{
			asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
			asm.Mov.Reg32(asm.R0, asm.R2),
			asm.LSh.Imm32(asm.R0, 13),
			asm.RSh.Imm32(asm.R2, 19),
			asm.Or.Reg32(asm.R0, asm.R2),
			asm.Return(),
		},
		want: []string{"ror w0, w", ", #19"},
		not:  []string{"lsl", "lsr"},
	}, {
		name: "zero extension by shifts",
		insns: []asm.Instruction{
			asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord),
			asm.LSh.Imm(asm.R0, 32),
			asm.RSh.Imm(asm.R0, 32),
			asm.Return(),
		},
		want: []string{"mov w0, w"},
		not:  []string{"lsl", "lsr"},
	}, {
		name: "loop back edge",
		insns: []asm.Instruction{
			asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
			asm.Mov.Imm(asm.R0, 0),
			asm.JEq.Imm(asm.R2, 0, "out"),
			asm.Add.Reg(asm.R0, asm.R2).WithSymbol("loop"),
			asm.Sub.Imm(asm.R2, 1),
			asm.JNE.Imm(asm.R2, 0, "loop"),
			asm.Return().WithSymbol("out"),
		},
		want: []string{"b.ne"},
		not:  []string{"\nb #", "\nb 0x"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			obj, _ := compile(t, tc.insns...)
			code := "\n" + disasm(t, obj.Text)
			for _, w := range tc.want {
				if !strings.Contains(code, w) {
					t.Errorf("no %q in:%s", w, code)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(code, n) {
					t.Errorf("%q in:%s", n, code)
				}
			}
		})
	}
}

// TestCondSelect checks that a branch choosing between two values (here a
// minimum) becomes a compare and a conditional select.
func TestCondSelect(t *testing.T) {
	obj, _ := compile(t,
		asm.Mov.Reg(asm.R0, asm.R1),
		asm.JGE.Reg(asm.R2, asm.R0, "end"),
		asm.Mov.Reg(asm.R0, asm.R2),
		asm.Return().WithSymbol("end"),
	)
	want := `
cmp x1, x0
csel x0, x0, x1, hs
ret`
	if got := disasm(t, obj.Text); strings.TrimSpace(got) != strings.TrimSpace(want) {
		t.Errorf("got:\n%swant:\n%s", got, want)
	}
}
