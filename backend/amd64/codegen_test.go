package amd64_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/platform"
)

// compile compiles a one-program module from instructions and returns the
// object and the dump of every stage.
func compile(t *testing.T, abi string, insns ...asm.Instruction) (*backend.Object, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := asm.Instructions(insns).Marshal(&buf, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	var dump strings.Builder
	obj, err := backend.Compile(moduleOf(t, buf.Bytes()), backend.Target{Arch: "amd64", ABI: abi}, backend.Options{Dump: &dump})
	if err != nil {
		t.Fatal(err)
	}
	return obj, dump.String()
}

// disasm disassembles an object's text with llvm-mc-19, Intel syntax.
func disasm(t *testing.T, code []byte) string {
	t.Helper()
	path, err := exec.LookPath("llvm-mc-19")
	if err != nil {
		t.Fatal("llvm-mc-19 is required (Debian package llvm-19; make test installs it)")
	}
	var in strings.Builder
	for _, b := range code {
		fmt.Fprintf(&in, "0x%02x ", b)
	}
	cmd := exec.Command(path, "--disassemble", "-triple=x86_64", "-output-asm-variant=1")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "invalid") {
		t.Fatalf("llvm-mc: %v\n%s", err, out)
	}
	var lines []string
	for _, l := range strings.Split(string(out), "\n") {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" || strings.HasPrefix(l, ".") {
			continue
		}
		if n := len(lines); n > 0 && lines[n-1] == "lock" {
			lines[n-1] += " " + l
			continue
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestStages(t *testing.T) {
	tests := []struct {
		name  string
		abi   string
		insns []asm.Instruction
		want  string // every stage, then the final code as llvm-mc reads it
	}{{
		name: "guarded 32-bit division",
		abi:  "sysv",
		insns: []asm.Instruction{
			asm.LoadMem(asm.R0, asm.R1, 0, asm.Word),
			asm.LoadMem(asm.R2, asm.R1, 4, asm.Word),
			asm.Div.Reg32(asm.R0, asm.R2),
			asm.Return(),
		},
		want: `
# test lowered
L0:
  mov v0, rdi
  mov v1.32, dword [v0]
  mov v2.32, dword [v0+4]
  mov rax, v1
  mov v4.32, 1
  mov v5, v2
  test v5.32, v5.32
  cmove v5.32, v4.32
  xor edx, edx
  div v5.32
  test v2.32, v2.32
  cmove eax, edx
  mov v3, rax
  mov rax, v3
  ret
# test allocated
L0:
  mov eax, dword [rdi]
  mov ecx, dword [rdi+4]
  mov edx, 1
  mov rsi, rcx
  test esi, esi
  cmove esi, edx
  xor edx, edx
  div esi
  test ecx, ecx
  cmove eax, edx
  ret
# test finalized
L0:
  mov eax, dword [rdi]
  mov ecx, dword [rdi+4]
  mov edx, 1
  mov rsi, rcx
  test esi, esi
  cmove esi, edx
  xor edx, edx
  div esi
  test ecx, ecx
  cmove eax, edx
  ret
# final
mov eax, dword ptr [rdi]
mov ecx, dword ptr [rdi + 4]
mov edx, 1
mov rsi, rcx
test esi, esi
cmove esi, edx
xor edx, edx
div esi
test ecx, ecx
cmove eax, edx
ret
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj, dump := compile(t, tt.abi, tt.insns...)
			got := dump + "# final\n" + disasm(t, obj.Text)
			if strings.TrimSpace(got) != strings.TrimSpace(tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

// TestOptimizations asserts what optimizations leave in the amd64 code.
func TestOptimizations(t *testing.T) {
	count := func(code, mnemonic string) int {
		n := 0
		for _, l := range strings.Split(code, "\n") {
			if strings.HasPrefix(l, mnemonic+" ") {
				n++
			}
		}
		return n
	}
	t.Run("a constant divisor loses its guard", func(t *testing.T) {
		obj, _ := compile(t, "sysv",
			asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord),
			asm.Div.Imm(asm.R0, 7),
			asm.Return())
		code := disasm(t, obj.Text)
		if n := count(code, "cmove"); n != 0 || count(code, "div") != 1 {
			t.Errorf("want one bare div and no cmov:\n%s", code)
		}
	})
	t.Run("a register divisor keeps its guard", func(t *testing.T) {
		obj, _ := compile(t, "sysv",
			asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord),
			asm.LoadMem(asm.R2, asm.R1, 8, asm.DWord),
			asm.SDiv.Reg(asm.R0, asm.R2),
			asm.Return())
		code := disasm(t, obj.Text)
		if count(code, "cmove") < 3 || count(code, "idiv") != 1 {
			t.Errorf("want idiv with cmov guards for 0 and -1:\n%s", code)
		}
	})
	t.Run("a 32-bit op emits no extra zero extension", func(t *testing.T) {
		obj, _ := compile(t, "sysv",
			asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord),
			asm.Add.Imm32(asm.R0, 1),
			asm.Return())
		code := disasm(t, obj.Text)
		want := "mov rax, qword ptr [rdi]\nadd eax, 1\nret\n"
		if code != want {
			t.Errorf("got:\n%swant:\n%s", code, want)
		}
	})
	t.Run("compare and branch fuse", func(t *testing.T) {
		obj, _ := compile(t, "sysv",
			asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord),
			asm.JGT.Imm(asm.R0, 10, "big"),
			asm.Mov.Imm(asm.R0, 1),
			asm.Return(),
			asm.Mov.Imm(asm.R0, 2).WithSymbol("big"),
			asm.Return())
		code := disasm(t, obj.Text)
		if count(code, "cmp") != 1 || count(code, "set") != 0 || count(code, "ja") != 1 {
			t.Errorf("want cmp and ja, no setcc:\n%s", code)
		}
	})
	t.Run("a leaf without stack needs no frame", func(t *testing.T) {
		obj, _ := compile(t, "windows",
			asm.Mov.Reg(asm.R0, asm.R1),
			asm.Return())
		if got, want := disasm(t, obj.Text), "mov rax, rcx\nret\n"; got != want {
			t.Errorf("got:\n%swant:\n%s", got, want)
		}
	})
}

// TestObjects compiles every program of the clang-built test objects for
// both ABIs, checks that llvm-mc reads the whole text as valid code, and
// that compiling twice gives the same bytes.
func TestObjects(t *testing.T) {
	objs, err := filepath.Glob("../../testdata/*.o")
	if err != nil || len(objs) == 0 {
		t.Fatal("no objects in ../../testdata")
	}
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range objs {
		for _, abi := range []string{"sysv", "windows"} {
			t.Run(filepath.Base(path)+"/"+abi, func(t *testing.T) {
				t.Parallel()
				mod, err := elf.LoadFile(path, plat)
				if err != nil {
					t.Fatal(err)
				}
				obj, err := backend.Compile(mod, backend.Target{Arch: "amd64", ABI: abi}, backend.Options{})
				if err != nil {
					t.Fatal(err)
				}
				again, err := backend.Compile(mod, backend.Target{Arch: "amd64", ABI: abi}, backend.Options{})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(obj.Text, again.Text) || fmt.Sprint(obj.Relocs) != fmt.Sprint(again.Relocs) {
					t.Fatal("two compilations differ")
				}
				for _, f := range obj.Funcs {
					// Padding between functions is int3, which llvm-mc reads too.
					disasm(t, obj.Text[f.Offset:f.Offset+f.Size])
				}
				for _, r := range obj.Relocs {
					if r.Offset < 0 || r.Offset+4 > len(obj.Text) || r.Addend != -4 {
						t.Errorf("bad relocation %+v", r)
					}
				}
			})
		}
	}
}

// TestHelperCallABIs checks a five-argument helper call whose value in r6
// survives the call, under both conventions: Microsoft x64 passes the
// fifth argument on the stack above the 32-byte shadow space, and the
// program context (the entry's rcx) as the sixth.
func TestHelperCallABIs(t *testing.T) {
	insns := []asm.Instruction{
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.Mov.Imm(asm.R1, 1), asm.Mov.Imm(asm.R2, 2), asm.Mov.Imm(asm.R3, 3), asm.Mov.Imm(asm.R4, 4), asm.Mov.Reg(asm.R5, asm.R6),
		asm.FnTracePrintk.Call(),
		asm.Add.Reg(asm.R0, asm.R6),
		asm.Return(),
	}
	for abi, want := range map[string]string{
		"sysv": `
push rbx
mov rbx, rdi
mov edi, 1
mov esi, 2
mov edx, 3
mov ecx, 4
mov r8, rbx
call qword ptr [rip]
add rax, rbx
pop rbx
ret`,
		"windows": `
push rbx
sub rsp, 48
mov rax, rcx
mov rbx, rcx
mov ecx, 1
mov edx, 2
mov r8d, 3
mov r9d, 4
mov qword ptr [rsp + 32], rbx
mov qword ptr [rsp + 40], rax
call qword ptr [rip]
add rax, rbx
add rsp, 48
pop rbx
ret`,
	} {
		t.Run(abi, func(t *testing.T) {
			obj, _ := compile(t, abi, insns...)
			if got := disasm(t, obj.Text); strings.TrimSpace(got) != strings.TrimSpace(want) {
				t.Errorf("got:\n%swant:\n%s", got, want)
			}
			if len(obj.Relocs) != 1 || obj.Relocs[0].Table != backend.HelperTable || obj.Relocs[0].Addend != -4 ||
				!bytes.Equal(obj.Text[obj.Relocs[0].Offset-2:obj.Relocs[0].Offset], []byte{0xff, 0x15}) {
				t.Errorf("relocations %+v: want one helper-table reference in a call [rip+disp32]", obj.Relocs)
			}
			if fmt.Sprint(obj.Helpers) != "[6]" {
				t.Errorf("helpers %v, want [6]", obj.Helpers)
			}
		})
	}
}

// TestCallx checks callx: the id, clamped into the helper-id table (ids
// beyond it go to slot 0), selects the slot, and the unclamped id is the
// sixth argument (on the stack for Microsoft x64).
func TestCallx(t *testing.T) {
	insns := []asm.Instruction{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
		asm.Mov.Imm(asm.R1, 7),
		{OpCode: asm.Call.Op(asm.RegSource), Dst: asm.R2},
		asm.Return(),
	}
	// r3-r5 hold the entry's arguments, which the call passes on.
	for abi, want := range map[string]string{
		"sysv": `
sub rsp, 8
mov r9, qword ptr [rdi]
mov edi, 7
xor eax, eax
mov r10, r9
cmp r9, 256
cmovae r10, rax
lea rax, [rip]
mov rsi, r9
call qword ptr [rax + 8*r10]
add rsp, 8
ret`,
		"windows": `
push rbx
sub rsp, 48
mov rax, qword ptr [rsp + 96]
mov r10, qword ptr [rcx]
mov ecx, 7
xor edx, edx
mov r11, r10
cmp r10, 256
cmovae r11, rdx
lea rbx, [rip]
mov rdx, r10
mov qword ptr [rsp + 32], rax
mov qword ptr [rsp + 40], r10
call qword ptr [rbx + 8*r11]
add rsp, 48
pop rbx
ret`,
	} {
		t.Run(abi, func(t *testing.T) {
			obj, _ := compile(t, abi, insns...)
			if got := disasm(t, obj.Text); strings.TrimSpace(got) != strings.TrimSpace(want) {
				t.Errorf("got:\n%swant:\n%s", got, want)
			}
			if obj.HelperIDSlots != backend.HelperIDSlots || len(obj.Helpers) != 0 {
				t.Errorf("helper-id slots %d, helpers %v: want %d and none", obj.HelperIDSlots, obj.Helpers, backend.HelperIDSlots)
			}
			if len(obj.Relocs) != 1 || obj.Relocs[0].Table != backend.HelperIDTable || obj.Relocs[0].Slot != 0 || obj.Relocs[0].Addend != -4 {
				t.Errorf("relocations %+v: want one reference to the helper-id table", obj.Relocs)
			}
		})
	}
}

// TestOptimizedForms asserts the instructions each optimization leaves in
// the amd64 code; TestIdiomsNative runs the same programs.
func TestOptimizedForms(t *testing.T) {
	for _, tc := range idiomPrograms {
		t.Run(tc.name, func(t *testing.T) {
			obj, _ := compile(t, "sysv", tc.insns...)
			code := disasm(t, obj.Text)
			for _, want := range tc.amd64 {
				if !regexp.MustCompile(want).MatchString(code) {
					t.Errorf("no %q in:\n%s", want, code)
				}
			}
			for _, bad := range tc.amd64Not {
				if strings.Contains(code, bad) {
					t.Errorf("%q in:\n%s", bad, code)
				}
			}
		})
	}
}

// idiomPrograms read their input from memory ([r1], [r1+8]) so that
// nothing folds, and say what their result must be and which amd64
// instructions must (not) appear.
var idiomPrograms = []struct {
	name  string
	insns []asm.Instruction
	want  func(x, y uint64) uint64
	// amd64 are regular expressions the code must match, amd64Not
	// strings it must not contain.
	amd64, amd64Not []string
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
	want:     func(x, _ uint64) uint64 { return uint64(uint32(x)<<13 | uint32(x)>>19) },
	amd64:    []string{"rol e.., 13"},
	amd64Not: []string{"shl", "shr"},
}, {
	name: "64-bit rotate",
	insns: []asm.Instruction{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
		asm.Mov.Reg(asm.R0, asm.R2),
		asm.RSh.Imm(asm.R0, 8),
		asm.LSh.Imm(asm.R2, 56),
		asm.Xor.Reg(asm.R0, asm.R2),
		asm.Return(),
	},
	want:  func(x, _ uint64) uint64 { return x>>8 | x<<56 },
	amd64: []string{"rol r.., 56"},
}, {
	name: "zero extension by shifts",
	insns: []asm.Instruction{
		asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord),
		asm.LSh.Imm(asm.R0, 32),
		asm.RSh.Imm(asm.R0, 32),
		asm.Return(),
	},
	want:     func(x, _ uint64) uint64 { return uint64(uint32(x)) },
	amd64:    []string{`mov e\w+, e\w+`},
	amd64Not: []string{"shl", "shr"},
}, {
	name: "sign extension by shifts",
	insns: []asm.Instruction{
		asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord),
		asm.LSh.Imm(asm.R0, 48),
		asm.ArSh.Imm(asm.R0, 48),
		asm.Return(),
	},
	want:  func(x, _ uint64) uint64 { return uint64(int64(int16(x))) },
	amd64: []string{"movsx r.., .x"},
}, {
	name: "multiply by a constant",
	insns: []asm.Instruction{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
		asm.Mov.Reg(asm.R0, asm.R2),
		asm.Mul.Imm(asm.R0, 1000),
		asm.Mul.Imm32(asm.R2, 9),
		asm.Add.Reg(asm.R0, asm.R2),
		asm.Return(),
	},
	want:     func(x, _ uint64) uint64 { return x*1000 + uint64(uint32(x)*9) },
	amd64:    []string{`imul r\w+, r\w+, 1000`, `lea e\w+, \[r\w+ \+ 8\*r\w+\]`},
	amd64Not: []string{"mov edx, 1000"},
}, {
	name: "indexed stack access",
	insns: []asm.Instruction{
		asm.Mov.Imm(asm.R5, 0),
		asm.StoreMem(asm.R10, -32, asm.R5, asm.DWord), asm.StoreMem(asm.R10, -24, asm.R5, asm.DWord),
		asm.StoreMem(asm.R10, -16, asm.R5, asm.DWord), asm.StoreMem(asm.R10, -8, asm.R5, asm.DWord),
		asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
		asm.And.Imm(asm.R2, 7),
		asm.LSh.Imm(asm.R2, 2),
		asm.Mov.Reg(asm.R3, asm.R10),
		asm.Add.Imm(asm.R3, -32),
		asm.Add.Reg(asm.R3, asm.R2),
		asm.LoadMem(asm.R4, asm.R1, 8, asm.DWord),
		asm.StoreMem(asm.R3, 0, asm.R4, asm.Word),
		asm.LoadMem(asm.R0, asm.R10, -32, asm.DWord),
		asm.Return(),
	},
	want: func(x, y uint64) uint64 {
		var stack [4]uint64
		i := x & 7
		stack[i/2] = uint64(uint32(y)) << (32 * (i % 2))
		return stack[0]
	},
	amd64:    []string{`mov dword ptr \[rsp \+ 4\*r\w+( [+-] \d+)?\], e`},
	amd64Not: []string{"lea"},
}, {
	name: "loop back edge is one conditional jump",
	insns: []asm.Instruction{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
		asm.And.Imm(asm.R2, 255),
		asm.Mov.Imm(asm.R0, 0),
		asm.JEq.Imm(asm.R2, 0, "out"),
		asm.Add.Reg(asm.R0, asm.R2).WithSymbol("loop"),
		asm.Sub.Imm(asm.R2, 1),
		asm.JNE.Imm(asm.R2, 0, "loop"),
		asm.Return().WithSymbol("out"),
	},
	want: func(x, _ uint64) uint64 {
		n := x & 255
		return n * (n + 1) / 2
	},
	// The loop is add, sub, jne back: no jmp at all.
	amd64Not: []string{"jmp"},
	amd64:    []string{"jne"},
}, {
	name: "three-operand add",
	insns: []asm.Instruction{
		asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
		asm.Mov.Reg(asm.R0, asm.R2),
		asm.Add.Imm(asm.R0, 5),
		asm.Mul.Reg(asm.R0, asm.R2),
		asm.Return(),
	},
	want:  func(x, _ uint64) uint64 { return (x + 5) * x },
	amd64: []string{`lea r\w+, \[r\w+ \+ 5\]`},
}}

// TestCondSelect checks that a branch choosing between two values (here a
// minimum) becomes a compare and a conditional move, the compare fused.
func TestCondSelect(t *testing.T) {
	obj, _ := compile(t, "sysv",
		asm.Mov.Reg(asm.R0, asm.R1),
		asm.JGE.Reg(asm.R2, asm.R0, "end"),
		asm.Mov.Reg(asm.R0, asm.R2),
		asm.Return().WithSymbol("end"),
	)
	want := `
mov rax, rsi
cmp rsi, rdi
cmovae rax, rdi
ret`
	if got := disasm(t, obj.Text); strings.TrimSpace(got) != strings.TrimSpace(want) {
		t.Errorf("got:\n%swant:\n%s", got, want)
	}
}
