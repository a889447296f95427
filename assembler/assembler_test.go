package assembler_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/assembler"
)

// The expected bytes below were written by hand from the RFC 9669 layout
// (opcode, dst|src<<4, off16 LE, imm32 LE), one 16-digit group per slot.
func TestAssembleEncoding(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		// ALU, 64- and 32-bit, immediate and register sources.
		{"mov %r0, 1", "b700000001000000"},
		{"mov %r0 1", "b700000001000000"},
		{"mov32 %r1, %r2", "bc21000000000000"},
		{"add %r3, -1", "07030000ffffffff"},
		{"mov %r0, 0xffffffff", "b7000000ffffffff"},
		{"sub32 %r9, 0x7fffffff", "14090000ffffff7f"},
		{"mul %r1, %r10", "2fa1000000000000"},
		{"div32 %r0, 3", "3400000003000000"},
		{"sdiv %r0, %r1", "3f10010000000000"},
		{"smod32 %r0, -3", "94000100fdffffff"},
		{"mod %r2, 10", "970200000a000000"},
		{"or %r1, 4", "4701000004000000"},
		{"and32 %r1, %r2", "5c21000000000000"},
		{"lsh %r1, 60", "670100003c000000"},
		{"rsh32 %r1, %r2", "7c21000000000000"},
		{"arsh %r1, 3", "c701000003000000"},
		{"xor32 %r1, 5", "a401000005000000"},
		{"neg %r1", "8701000000000000"},
		{"neg32 %r1", "8401000000000000"},
		{"movsx864 %r1, %r2", "bf21080000000000"},
		{"movsx1664 %r1, %r2", "bf21100000000000"},
		{"movsx3264 %r1, %r2", "bf21200000000000"},
		{"movsx832 %r1, %r2", "bc21080000000000"},
		{"movsx1632 %r1, %r2", "bc21100000000000"},
		// Byte order and byte swap.
		{"be16 %r1", "dc01000010000000"},
		{"be64 %r1", "dc01000040000000"},
		{"le32 %r1", "d401000020000000"},
		{"bswap16 %r2", "d702000010000000"},
		{"swap64 %r2", "d702000040000000"},
		// 64-bit immediate: two slots, low half first.
		{"lddw %r1, 0x1122334455667788", "1801000088776655" + "0000000044332211"},
		{"lddw %r0, -2", "18000000feffffff" + "00000000ffffffff"},
		{"lddw %r0, 18446744073709551615", "18000000ffffffff" + "00000000ffffffff"},
		// Loads and stores.
		{"ldxb %r0, [%r1]", "7110000000000000"},
		{"ldxh %r0, [%r1+2]", "6910020000000000"},
		{"ldxw %r0, [%r10-4]", "61a0fcff00000000"},
		{"ldxdw %r0, [%r1+0x10]", "7910100000000000"},
		{"ldxdw %r0, [%r10-0x10]", "79a0f0ff00000000"},
		{"ldxsb %r0, [%r1]", "9110000000000000"},
		{"ldxsh %r0, [%r1]", "8910000000000000"},
		{"ldxsw %r0, [%r1]", "8110000000000000"},
		{"stb [%r1+2], 0x11", "7201020011000000"},
		{"sth [%r1], -1", "6a010000ffffffff"},
		{"stw [%r10-8], 5", "620af8ff05000000"},
		{"stdw [%r1+8], 1", "7a01080001000000"},
		{"stxb [%r1], %r2", "7321000000000000"},
		{"stxh [%r1], %r2", "6b21000000000000"},
		{"stxw [%r1], %r2", "6321000000000000"},
		{"stxdw [%r10-8], %r1", "7b1af8ff00000000"},
		// Atomics.
		{"lock add [%r10-8], %r1", "db1af8ff00000000"},
		{"lock fetch add32 [%r1], %r2", "c321000001000000"},
		{"lock or [%r1], %r2", "db21000040000000"},
		{"lock fetch or32 [%r1], %r2", "c321000041000000"},
		{"lock and [%r1], %r2", "db21000050000000"},
		{"lock fetch and32 [%r1], %r2", "c321000051000000"},
		{"lock xor32 [%r1], %r2", "c3210000a0000000"},
		{"lock fetch xor [%r1], %r2", "db210000a1000000"},
		{"lock xchg32 [%r1], %r2", "c3210000e1000000"},
		{"lock xchg [%r1], %r2", "db210000e1000000"},
		{"lock cmpxchg [%r1+4], %r2", "db210400f1000000"},
		{"lock cmpxchg32 [%r1], %r2", "c3210000f1000000"},
		// Jumps with numeric targets.
		{"ja +3", "0500030000000000"},
		{"ja -1", "0500ffff00000000"},
		{"ja32 +70000", "0600000070110100"},
		{"jeq %r1, 5, +1", "1501010005000000"},
		{"jne32 %r1, %r2, +2", "5e21020000000000"},
		{"jsle %r1, -1, +0", "d5010000ffffffff"},
		{"jlt32 %r1, 0x80000000, +1", "a601010000000080"},
		{"jset %r1, %r2, +1", "4d21010000000000"},
		{"jgt %r1, 1, +1", "2501010001000000"},
		{"jge32 %r1, 1, +1", "3601010001000000"},
		{"jsgt %r1, %r2, +1", "6d21010000000000"},
		{"jsge32 %r1, 1, +1", "7601010001000000"},
		{"jle %r1, 1, +1", "b501010001000000"},
		{"jslt32 %r1, %r2, +1", "ce21010000000000"},
		// Calls and exit.
		{"call 5", "8500000005000000"},
		{"call helper 7", "8500000007000000"},
		{"call %r2", "8d02000000000000"},
		{"call helper %r3", "8d03000000000000"},
		{"call runtime 3", "8520000003000000"},
		{"call local +2", "8510000002000000"},
		{"exit", "9500000000000000"},
		// Labels: offset = label slot - (this slot + 1).
		{"ja L\nmov %r0, 1\nL:\nexit", "0500010000000000" + "b700000001000000" + "9500000000000000"},
		{"L:\nmov %r0, 1\nja L", "b700000001000000" + "0500feff00000000"},
		// lddw counts as two slots.
		{"jeq %r1, 0, L\nlddw %r0, 1\nL:\nexit",
			"1501020000000000" + "1800000001000000" + "0000000000000000" + "9500000000000000"},
		// The first exit is the implicit label "exit".
		{"jeq %r1, 0, exit\nmov %r0, 1\nexit\nexit",
			"1501010000000000" + "b700000001000000" + "9500000000000000" + "9500000000000000"},
		// An explicit "exit:" label takes precedence over the implicit one.
		{"ja exit\nexit\nexit:\nexit", "0500010000000000" + "9500000000000000" + "9500000000000000"},
		{"call local f\nexit\nf:\nmov %r0, 1\nexit",
			"8510000001000000" + "9500000000000000" + "b700000001000000" + "9500000000000000"},
		{"ja32 L\nL:\nexit", "0600000000000000" + "9500000000000000"},
		// Comments, blank lines and CRLF are ignored.
		{"# header\n\n  mov %r0, 1 # one\r\nexit\n", "b700000001000000" + "9500000000000000"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.src, "\n", "; "), func(t *testing.T) {
			got, err := assembler.Assemble(tt.src)
			if err != nil {
				t.Fatalf("Assemble: %v", err)
			}
			if h := hex.EncodeToString(got); h != tt.want {
				t.Errorf("got  %s\nwant %s", h, tt.want)
			}
		})
	}
}

// TestAssembleDecodesAsCilium cross-checks the assembler with an independent encoder: the
// bytes, decoded by cilium/ebpf, must equal what cilium/ebpf's own constructors build.
func TestAssembleDecodesAsCilium(t *testing.T) {
	jump := func(ins asm.Instruction, off int16) asm.Instruction {
		ins.Offset = off
		return ins
	}
	longJump := func(imm int64) asm.Instruction {
		ins := asm.LongJump("")
		ins.Constant = imm
		return ins
	}
	// cilium/ebpf's decoder keeps the raw imm of an atomic (the operation) in Constant,
	// while its constructor leaves Constant zero; put the operation back.
	atomic := func(op asm.AtomicOp, dst, src asm.Register, size asm.Size, off int16) asm.Instruction {
		ins := op.Mem(dst, src, size, off)
		ins.Constant = int64(op >> 8)
		return ins
	}
	tests := []struct {
		src  string
		want asm.Instruction
	}{
		{"mov %r3, -7", asm.Mov.Imm(asm.R3, -7)},
		{"add32 %r1, %r9", asm.Add.Reg32(asm.R1, asm.R9)},
		{"sdiv %r0, 3", asm.SDiv.Imm(asm.R0, 3)},
		{"smod32 %r0, %r4", asm.SMod.Reg32(asm.R0, asm.R4)},
		{"movsx864 %r1, %r2", asm.MovSX8.Reg(asm.R1, asm.R2)},
		{"movsx1664 %r1, %r2", asm.MovSX16.Reg(asm.R1, asm.R2)},
		{"movsx3264 %r1, %r2", asm.MovSX32.Reg(asm.R1, asm.R2)},
		{"movsx832 %r1, %r2", asm.MovSX8.Reg32(asm.R1, asm.R2)},
		{"movsx1632 %r1, %r2", asm.MovSX16.Reg32(asm.R1, asm.R2)},
		{"neg32 %r5", asm.Instruction{OpCode: asm.Neg.Op32(asm.ImmSource), Dst: asm.R5}},
		{"be32 %r1", asm.HostTo(asm.BE, asm.R1, asm.Word)},
		{"le16 %r1", asm.HostTo(asm.LE, asm.R1, asm.Half)},
		{"bswap64 %r1", asm.BSwap(asm.R1, asm.DWord)},
		{"lddw %r2, 0x8000000000000001", asm.LoadImm(asm.R2, -0x7fffffffffffffff, asm.DWord)},
		{"ldxh %r0, [%r1+6]", asm.LoadMem(asm.R0, asm.R1, 6, asm.Half)},
		{"ldxsw %r0, [%r1-6]", asm.LoadMemSX(asm.R0, asm.R1, -6, asm.Word)},
		// asm.StoreImm refuses DWord (the kernel has no such store), so build it by hand.
		{"stdw [%r10-16], -3", asm.Instruction{OpCode: asm.StoreImmOp(asm.DWord), Dst: asm.R10, Offset: -16, Constant: -3}},
		{"stw [%r1+2], 7", asm.StoreImm(asm.R1, 2, 7, asm.Word)},
		{"stxb [%r0+1], %r7", asm.StoreMem(asm.R0, 1, asm.R7, asm.Byte)},
		{"lock add32 [%r10-4], %r1", atomic(asm.AddAtomic, asm.R10, asm.R1, asm.Word, -4)},
		{"lock fetch and [%r10-8], %r3", atomic(asm.FetchAnd, asm.R10, asm.R3, asm.DWord, -8)},
		{"lock fetch or32 [%r10-8], %r3", atomic(asm.FetchOr, asm.R10, asm.R3, asm.Word, -8)},
		{"lock xor [%r10-8], %r3", atomic(asm.XorAtomic, asm.R10, asm.R3, asm.DWord, -8)},
		{"lock xchg [%r10-8], %r1", atomic(asm.Xchg, asm.R10, asm.R1, asm.DWord, -8)},
		{"lock cmpxchg32 [%r10-8], %r1", atomic(asm.CmpXchg, asm.R10, asm.R1, asm.Word, -8)},
		{"ja +5", jump(asm.Ja.Label(""), 5)},
		{"ja32 -2", longJump(-2)},
		{"jsge %r1, 0x1a8c0, +4", jump(asm.JSGE.Imm(asm.R1, 0x1a8c0, ""), 4)},
		{"jslt32 %r1, %r2, -3", jump(asm.JSLT.Reg32(asm.R1, asm.R2, ""), -3)},
		{"call 5", asm.FnKtimeGetNs.Call()},
		{"call local +1", asm.Instruction{OpCode: asm.Call.Op(asm.ImmSource), Src: asm.PseudoCall, Constant: 1}},
		{"call %r2", asm.Instruction{OpCode: asm.Call.Op(asm.RegSource), Dst: asm.R2}},
		{"exit", asm.Return()},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			code, err := assembler.Assemble(tt.src)
			if err != nil {
				t.Fatalf("Assemble: %v", err)
			}
			insns, err := asm.AppendInstructions(nil, bytes.NewReader(code), binary.LittleEndian, "linux")
			if err != nil {
				t.Fatalf("decode: %v", err)
			}
			if len(insns) != 1 {
				t.Fatalf("decoded %d instructions, want 1: %v", len(insns), insns)
			}
			got := insns[0]
			w := tt.want
			if got.OpCode != w.OpCode || got.Dst != w.Dst || got.Src != w.Src ||
				got.Offset != w.Offset || got.Constant != w.Constant {
				t.Errorf("got  %v (op %#x dst %v src %v off %d imm %d)\nwant %v (op %#x dst %v src %v off %d imm %d)",
					got, uint32(got.OpCode), got.Dst, got.Src, got.Offset, got.Constant,
					w, uint32(w.OpCode), w.Dst, w.Src, w.Offset, w.Constant)
			}
		})
	}
}

func TestAssembleErrors(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{"mov %r0, 1\n\nadd64 %r0, 1", `line 3: unknown mnemonic "add64"`},
		{"mov %r11, 1", `line 1: mov: invalid register "%r11"`},
		{"mov r1, 1", `line 1: mov: invalid register "r1"`},
		{"mov %r0, 0x100000000", `line 1: mov: immediate: "0x100000000" does not fit in 32 bits`},
		{"mov %r0, 2147483648", `line 1: mov: immediate: "2147483648" does not fit in 32 signed bits`},
		{"mov %r0, -2147483649", `line 1: mov: immediate: "-2147483649" does not fit in 32 signed bits`},
		{"mov %r0, 12abc", `line 1: mov: immediate: invalid number "12abc"`},
		{"mov %r0, 0x", `line 1: mov: immediate: invalid number "0x"`},
		{"mov %r0, +-3", `line 1: mov: immediate: invalid number "+-3"`},
		{"mov %r0", `line 1: mov: wrong number of operands (got 1, want 2)`},
		{"exit 1", `line 1: exit: wrong number of operands (got 1, want 0)`},
		{"ldxw %r0, [%r1+32768]", `line 1: ldxw: memory operand "[%r1+32768]": offset: "+32768" does not fit in 16 signed bits`},
		{"ldxw %r0, [%r1+0x10000]", `line 1: ldxw: memory operand "[%r1+0x10000]": offset: "+0x10000" does not fit in 16 bits`},
		{"ldxw %r0, %r1", `line 1: ldxw: invalid memory operand "%r1"`},
		{"ldxw %r0, [%r1", `line 1: ldxw: invalid memory operand "[%r1"`},
		{"stxw [%r12], %r1", `line 1: stxw: memory operand "[%r12]": invalid register "%r12"`},
		{"lddw %r0, 0x10000000000000000", `line 1: lddw: immediate: invalid number "0x10000000000000000"`},
		{"lddw %r0, -9223372036854775809", `line 1: lddw: immediate: "-9223372036854775809" does not fit in 64 bits`},
		{"movsx864 %r0, 1", `line 1: movsx864: source must be a register, got "1"`},
		{"ja +32768", `line 1: ja: offset: "+32768" does not fit in 16 signed bits`},
		{"jeq %r0, 1", `line 1: jeq: wrong number of operands (got 2, want 3)`},
		{"lock", `line 1: lock: want [fetch] OP [%rN+off], %rN, got ""`},
		{"lock fetch add [%r1]", `line 1: lock: want [fetch] OP [%rN+off], %rN, got "add [%r1]"`},
		{"lock nand [%r1], %r2", `line 1: unknown atomic operation "nand"`},
		{"lock add64 [%r1], %r2", `line 1: unknown atomic operation "add64"`},
		{"lock add [%r1], 1", `line 1: lock add: invalid register "1"`},
		{"call", `line 1: call: wrong number of operands (got 0, want 1 or 2)`},
		{"call foo 1", `line 1: call: unknown kind "foo" (want helper, local or runtime)`},
		{"call f", `line 1: call: immediate: invalid number "f"`},
		{"call local nowhere", `line 1: undefined label "nowhere"`},
		{"mov %r0, 0\njeq %r0, 1, nowhere\nexit", `line 2: undefined label "nowhere"`},
		{"ja exit", `line 1: undefined label "exit"`},
		{"L:\nexit\nL:\nexit", `line 3: duplicate label "L" (first defined on line 1)`},
		{"L: mov %r0, 1", `line 1: unexpected "mov" after label "L"`},
		{":", `line 1: empty label name`},
		{"ja L\n" + strings.Repeat("mov %r0, 0\n", 32768) + "L:\nexit",
			`line 1: label "L" is 32768 slots away, out of range`},
	}
	for _, tt := range tests {
		name := tt.src
		if len(name) > 40 {
			name = name[:40]
		}
		t.Run(strings.ReplaceAll(name, "\n", "; "), func(t *testing.T) {
			code, err := assembler.Assemble(tt.src)
			if err == nil {
				t.Fatalf("no error, got %x", code)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got  %s\n want %s", err, tt.want)
			}
		})
	}
}

// A long jump reaches where a 16-bit offset cannot.
func TestAssembleLongJump(t *testing.T) {
	src := "ja32 L\n" + strings.Repeat("mov %r0, 0\n", 32768) + "L:\nexit"
	code, err := assembler.Assemble(src)
	if err != nil {
		t.Fatal(err)
	}
	if got := binary.LittleEndian.Uint32(code[4:8]); got != 32768 {
		t.Errorf("ja32 imm = %d, want 32768", got)
	}
}

// lddw.data is the one conformance file that gives its program both as text and as raw
// slots; the two must agree byte for byte.
func TestAssembleMatchesRawInLddwData(t *testing.T) {
	data, err := os.ReadFile("../../shared/conformance/tests/lddw.data")
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string][]string{}
	var current string
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "#") || line == "":
		case strings.HasPrefix(line, "-- "):
			current = strings.TrimPrefix(line, "-- ")
		default:
			sections[current] = append(sections[current], line)
		}
	}
	if len(sections["asm"]) == 0 || len(sections["raw"]) == 0 {
		t.Fatalf("lddw.data lacks an asm or raw section: %q", sections)
	}
	var want []byte
	for _, tok := range sections["raw"] {
		v, err := strconv.ParseUint(strings.TrimPrefix(tok, "0x"), 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		want = binary.LittleEndian.AppendUint64(want, v)
	}
	got, err := assembler.Assemble(strings.Join(sections["asm"], "\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("asm assembles to %x, raw is %x", got, want)
	}
}
