package amd64_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os/exec"
	"path/filepath"
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
		t.Skip("llvm-mc-19 not installed (Debian package llvm-19)")
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
  mov v3, v2
  mov v4, v1
  mov rax, v4
  mov v7.32, 1
  mov v8, v3
  test v8.32, v8.32
  cmove v8.32, v7.32
  xor edx, edx
  div v8.32
  test v3.32, v3.32
  cmove eax, edx
  mov v5, rax
  mov v6, v5
  mov rax, v6
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
		t.Skip("no objects in ../../testdata")
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
// fifth argument on the stack above the 32-byte shadow space.
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
mov rbx, rcx
mov ecx, 1
mov edx, 2
mov r8d, 3
mov r9d, 4
mov qword ptr [rsp + 32], rbx
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
