package amd64

import (
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/backend/amd64/internal/asm"
	"github.com/bpf2native/bpf2native/regalloc"
)

// llvmMC disassembles code with llvm-mc-19 in Intel syntax, one
// instruction a line.
func llvmMC(t *testing.T, code []byte) string {
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
			// llvm-mc prints the prefix on a line of its own.
			lines[n-1] += " " + l
			continue
		}
		lines = append(lines, l)
	}
	return strings.Join(lines, "\n")
}

// TestEncoding encodes one instruction of each form through golang-asm and
// checks the bytes and what an independent disassembler reads in them.
func TestEncoding(t *testing.T) {
	m := NewMachine(SysV)
	mem := func(base int, disp int32) amode { return amode{kind: amReg, base: regOf(base), disp: disp} }
	tests := []struct {
		in   *instr
		hex  string
		want string
	}{
		{&instr{op: opMov, size: 8, dst: rax, src: r12}, "4c89e0", "mov rax, r12"},
		{&instr{op: opMov, size: 4, dst: rsi, src: r9}, "4489ce", "mov esi, r9d"},
		{&instr{op: opMovImm, size: 4, dst: r10, imm: 0xffffffff}, "41baffffffff", "mov r10d, 4294967295"},
		{&instr{op: opMovImm, size: 8, dst: rbx, imm: -2}, "48c7c3feffffff", "mov rbx, -2"},
		{&instr{op: opMovImm, size: 8, dst: rcx, imm: 0x123456789}, "48b98967452301000000", "movabs rcx, 4886718345"},
		{&instr{op: opALU, alu: aluAdd, size: 8, dst: rdx, src: r15}, "4c01fa", "add rdx, r15"},
		{&instr{op: opALU, alu: aluSub, size: 4, dst: rdi, imm: 7, hasImm: true}, "83ef07", "sub edi, 7"},
		{&instr{op: opALU, alu: aluAnd, size: 8, dst: r8, imm: 0x7fffffff, hasImm: true}, "4981e0ffffff7f", "and r8, 2147483647"},
		{&instr{op: opALU, alu: aluXor, size: 4, dst: rax, src: rax}, "31c0", "xor eax, eax"},
		{&instr{op: opZero, size: 4, dst: r11}, "4531db", "xor r11d, r11d"},
		{&instr{op: opALU, alu: aluImul, size: 8, dst: rsi, src: r13}, "490fafF5", "imul rsi, r13"},
		{&instr{op: opCmp, size: 8, dst: rbp, src: r11}, "4c39dd", "cmp rbp, r11"},
		{&instr{op: opCmp, size: 4, dst: r14, imm: -1, hasImm: true}, "4183feff", "cmp r14d, -1"},
		{&instr{op: opTest, size: 8, dst: rcx, src: rcx}, "4885c9", "test rcx, rcx"},
		{&instr{op: opShift, alu: shiftSar, size: 8, dst: r9, src: rcx}, "49d3f9", "sar r9, cl"},
		{&instr{op: opShift, alu: shiftShl, size: 4, dst: rbx, imm: 31, hasImm: true}, "c1e31f", "shl ebx, 31"},
		{&instr{op: opShift, alu: shiftShr, size: 8, dst: rdx, imm: 63, hasImm: true}, "48c1ea3f", "shr rdx, 63"},
		{&instr{op: opNeg, size: 4, dst: r12}, "41f7dc", "neg r12d"},
		{&instr{op: opLoad, size: 8, dst: rax, mem: mem(4, 504)}, "488b8424f8010000", "mov rax, qword ptr [rsp + 504]"},
		{&instr{op: opLoad, size: 4, dst: r13, mem: mem(13, -4)}, "458b6dfc", "mov r13d, dword ptr [r13 - 4]"},
		{&instr{op: opLoad, size: 2, dst: rsi, mem: mem(5, 0)}, "0fb77500", "movzx esi, word ptr [rbp]"},
		{&instr{op: opLoad, size: 1, dst: rdi, mem: mem(12, 3)}, "410fb67c2403", "movzx edi, byte ptr [r12 + 3]"},
		{&instr{op: opLoad, size: 1, signed: true, dst: rdx, mem: mem(0, 1)}, "480fbe5001", "movsx rdx, byte ptr [rax + 1]"},
		{&instr{op: opLoad, size: 2, signed: true, dst: rdx, mem: mem(0, 1)}, "480fbf5001", "movsx rdx, word ptr [rax + 1]"},
		{&instr{op: opLoad, size: 4, signed: true, dst: rdx, mem: mem(0, 1)}, "48635001", "movsxd rdx, dword ptr [rax + 1]"},
		{&instr{op: opStore, size: 8, src: r10, mem: mem(7, 16)}, "4c895710", "mov qword ptr [rdi + 16], r10"},
		{&instr{op: opStore, size: 1, src: rsi, mem: mem(3, 0)}, "408833", "mov byte ptr [rbx], sil"},
		{&instr{op: opStore, size: 2, imm: -1, hasImm: true, mem: mem(1, 2)}, "66c74102ffff", "mov word ptr [rcx + 2], 65535"},
		{&instr{op: opStore, size: 4, imm: 5, hasImm: true, mem: mem(4, 8)}, "c744240805000000", "mov dword ptr [rsp + 8], 5"},
		{&instr{op: opLea, size: 8, dst: r8, mem: mem(4, 512)}, "4c8d842400020000", "lea r8, [rsp + 512]"},
		{&instr{op: opExt, size: 1, dst: rax, src: rax}, "0fb6c0", "movzx eax, al"},
		{&instr{op: opExt, size: 2, dst: rcx, src: r9}, "410fb7c9", "movzx ecx, r9w"},
		{&instr{op: opExt, size: 1, signed: true, dst: rdx, src: rsi}, "480fbed6", "movsx rdx, sil"},
		{&instr{op: opExt, size: 1, signed: true, dsize: 4, dst: rdx, src: rdi}, "400fbed7", "movsx edx, dil"},
		{&instr{op: opExt, size: 4, signed: true, dst: r11, src: rax}, "4c63d8", "movsxd r11, eax"},
		{&instr{op: opBswap, size: 8, dst: r10}, "490fca", "bswap r10"},
		{&instr{op: opBswap, size: 4, dst: rbx}, "0fcb", "bswap ebx"},
		{&instr{op: opRol16, size: 2, dst: rsi}, "66c1c608", "rol si, 8"},
		{&instr{op: opDiv, size: 8, src: r8}, "49f7f0", "div r8"},
		{&instr{op: opDiv, size: 4, signed: true, src: rcx}, "f7f9", "idiv ecx"},
		{&instr{op: opSignAx, size: 8}, "4899", "cqo"},
		{&instr{op: opSignAx, size: 4}, "99", "cdq"},
		{&instr{op: opCmov, cc: condEq, size: 8, dst: rax, src: rdx}, "480f44c2", "cmove rax, rdx"},
		{&instr{op: opCmov, cc: condEq, size: 4, dst: r9, src: r10}, "450f44ca", "cmove r9d, r10d"},
		{&instr{op: opSetcc, cc: condB, size: 1, dst: rsi}, "400f92c6", "setb sil"},
		{&instr{op: opSetcc, cc: condLe, size: 1, dst: r15}, "410f9ec7", "setle r15b"},
		{&instr{op: opLockALU, alu: aluAdd, size: 8, src: rcx, mem: mem(6, -8)}, "f048014ef8", "lock add qword ptr [rsi - 8], rcx"},
		{&instr{op: opLockALU, alu: aluXor, size: 4, src: r9, mem: mem(0, 0)}, "f0443108", "lock xor dword ptr [rax], r9d"},
		{&instr{op: opXadd, size: 8, src: rdx, mem: mem(7, 0)}, "f0480fc117", "lock xadd qword ptr [rdi], rdx"},
		{&instr{op: opXchg, size: 4, src: rsi, mem: mem(1, 4)}, "877104", "xchg dword ptr [rcx + 4], esi"},
		{&instr{op: opCmpxchg, size: 8, src: r8, mem: mem(3, 0)}, "f04c0fb103", "lock cmpxchg qword ptr [rbx], r8"},
		{&instr{op: opCmpxchg, size: 4, src: rdx, mem: mem(3, 0)}, "f00fb113", "lock cmpxchg dword ptr [rbx], edx"},
		{&instr{op: opPush, size: 8, src: r12}, "4154", "push r12"},
		{&instr{op: opPop, size: 8, dst: rbx}, "5b", "pop rbx"},
		{&instr{op: opAdjSP, imm: 536}, "4881ec18020000", "sub rsp, 536"},
		{&instr{op: opAdjSP, imm: -40}, "4883c428", "add rsp, 40"},
		{&instr{op: opRet}, "c3", "ret"},
		// Table references: RIP-relative, the displacement left for the
		// relocation (checked in TestEncodingRelocations).
		{&instr{op: opCall, reloc: backend.RelocHelper, index: 1}, "ff1500000000", "call qword ptr [rip]"},
		{&instr{op: opLoadTable, dst: r9, reloc: backend.RelocMap, index: 0}, "4c8b0d00000000", "mov r9, qword ptr [rip]"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			res, err := asm.Assemble(m.encodeInstr(nil, tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := hex.EncodeToString(res.Code), strings.ToLower(tt.hex); got != want {
				t.Errorf("%s: bytes %s, want %s", tt.in, got, want)
			}
			if got := llvmMC(t, res.Code); got != tt.want {
				t.Errorf("%s: llvm-mc reads %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func regOf(n int) regalloc.Reg { return regalloc.Reg(n) }

// TestEncodingRelocations checks the relocations of a helper call, a
// local call and a map load: each field's offset and an addend measured
// from the place, as backend.Reloc wants (-4 for a field that ends its
// instruction).
func TestEncodingRelocations(t *testing.T) {
	m := NewMachine(SysV)
	m.code.SetLayout([]*block{{Instrs: []*instr{
		{op: opCall, reloc: backend.RelocHelper, index: 12},
		{op: opCall, reloc: backend.RelocCall, index: 2},
		{op: opLoadTable, dst: rax, reloc: backend.RelocMapValue, index: 3},
		{op: opRet},
	}}})
	code, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprint(code.Relocs)
	want := fmt.Sprint([]backend.CodeReloc{
		{Offset: 2, Form: backend.PCRel32, Kind: backend.RelocHelper, Index: 12, Addend: -4},
		{Offset: 7, Form: backend.PCRel32, Kind: backend.RelocCall, Index: 2, Addend: -4},
		{Offset: 14, Form: backend.PCRel32, Kind: backend.RelocMapValue, Index: 3, Addend: -4},
	})
	if got != want {
		t.Errorf("relocations\n%s\nwant\n%s", got, want)
	}
}
