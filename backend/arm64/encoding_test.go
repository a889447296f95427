package arm64

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/backend/arm64/internal/asm"
	"github.com/bpf2native/bpf2native/regalloc"
)

// disasm disassembles code with llvm-mc-19 (with LSE, so that nothing the
// encoder might emit reads as invalid).
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
	cmd := exec.Command(path, "--disassemble", "-triple=aarch64", "-mattr=+lse")
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
		if l != "" && !strings.HasPrefix(l, ".") {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}

// TestEncoding checks each instruction form the machine emits, including
// the ones it expands itself, against llvm-mc's reading of the bytes.
func TestEncoding(t *testing.T) {
	m := &Machine{}
	mem := func(base, disp int64) amode { return amode{kind: amReg, base: x(base), disp: disp} }
	for _, tc := range []struct {
		in   *instr
		want string
	}{
		// Constants: one instruction where one suffices.
		{&instr{op: opMovImm, dst: x1, imm: 0}, "mov x1, #0"},
		{&instr{op: opMovImm, dst: x1, imm: 0xbeef0000}, "mov x1, #3203334144"},
		{&instr{op: opMovImm, dst: x1, imm: -1}, "mov x1, #-1"},
		{&instr{op: opMovImm, dst: x1, imm: 0xffffffff}, "mov w1, #-1"},
		{&instr{op: opMovImm, dst: x1, imm: 0xffff1234}, "mov w1, #-60876"},
		{&instr{op: opMovImm, dst: x1, imm: 0x5555555555555555}, "mov x1, #6148914691236517205"},
		{&instr{op: opMovImm, dst: x1, imm: -0x7fff_0000_0000_0001}, "mov x1, #-9223090561878065153"},
		{&instr{op: opMovImm, dst: x1, imm: 0x1234_5678_9abc_def0}, "mov x1, #57072; movk x1, #39612, lsl #16; movk x1, #22136, lsl #32; movk x1, #4660, lsl #48"},
		{&instr{op: opMovImm, dst: x1, imm: -0x1234_0000_0000_5679}, "mov x1, #-22137; movk x1, #60875, lsl #48"},
		{&instr{op: opMovImm, dst: x1, imm: -0x7fff_ffff_ffff_ffff}, "mov x1, #-9223372036854775807"},
		// Immediates of zero are the zero register; shifts by 0 moves.
		{&instr{op: opCmp, size: 8, src1: x2, imm: 0, hasImm: true}, "cmp x2, xzr"},
		{&instr{op: opCmp, size: 4, src1: x2, imm: -5, hasImm: true}, "cmn w2, #5"},
		{&instr{op: opALU, alu: aluSub, size: 4, dst: x3, src1: x2, imm: 0, hasImm: true}, "sub w3, w2, wzr"},
		{&instr{op: opALU, alu: aluLsl, size: 4, dst: x3, src1: x2, imm: 0, hasImm: true}, "mov w3, w2"},
		{&instr{op: opALU, alu: aluAnd, size: 4, dst: x3, src1: x2, imm: -0x100000000 + 0xff00, hasImm: true}, "and w3, w2, #0xff00"},
		{&instr{op: opALU, alu: aluAdd, size: 8, dst: x3, src1: x2, imm: 0x7ff000, hasImm: true}, "add x3, x2, #2047, lsl #12"},
		// Addressing: scaled and unscaled offsets, then through x17.
		{&instr{op: opLoad, size: 8, dst: x0, mem: mem(1, 32760)}, "ldr x0, [x1, #32760]"},
		{&instr{op: opLoad, size: 8, dst: x0, mem: mem(1, -256)}, "ldur x0, [x1, #-256]"},
		{&instr{op: opLoad, size: 4, dst: x0, mem: mem(1, 32768)}, "add x17, x1, #8, lsl #12; ldr w0, [x17]"},
		{&instr{op: opLoad, size: 2, signed: true, dst: x0, mem: mem(1, -0x1235)}, "sub x17, x1, #565; sub x17, x17, #1, lsl #12; ldrsh x0, [x17]"},
		{&instr{op: opStore, size: 8, src1: x3, mem: amode{kind: amReg, base: sp, disp: 32761}}, "add x17, sp, #4089; add x17, x17, #7, lsl #12; str x3, [x17]"},
		{&instr{op: opStore, size: 1, zero: true, mem: mem(1, 4095)}, "strb wzr, [x1, #4095]"},
		{&instr{op: opLea, dst: x4, mem: amode{kind: amReg, base: sp, disp: 5000}}, "add x4, sp, #904; add x4, x4, #1, lsl #12"},
		{&instr{op: opLea, dst: x4, mem: amode{kind: amReg, base: sp}}, "mov x4, sp"},
		// Frames.
		{&instr{op: opAdjSP, imm: 0x12340}, "sub sp, sp, #832; sub sp, sp, #18, lsl #12"},
		{&instr{op: opAdjSP, imm: -16}, "add sp, sp, #16"},
		{&instr{op: opStp, src1: x29, src2: x30, imm: 0}, "stp x29, x30, [sp]"},
		{&instr{op: opLdp, dst: x19, src2: x20, imm: 16}, "ldp x19, x20, [sp, #16]"},
		// Division and its remainder.
		{&instr{op: opMsub, size: 4, dst: x0, src1: x2, src2: x1, src3: x3}, "msub w0, w2, w1, w3"},
		{&instr{op: opALU, alu: aluSdiv, size: 8, dst: x0, src1: x2, src2: x1}, "sdiv x0, x2, x1"},
		{&instr{op: opExt, size: 2, signed: true, dsize: 4, dst: x0, src1: x1}, "sxth w0, w1"},
		{&instr{op: opExt, size: 4, signed: true, dsize: 8, dst: x0, src1: x1}, "sxtw x0, w1"},
		{&instr{op: opRev, size: 2, dst: x0, src1: x1}, "rev16 w0, w1"},
		{&instr{op: opCset, cc: condHi, dst: x0}, "cset x0, hi"},
		// Atomics: LL/SC loops.
		{&instr{op: opAtomic, atomic: atomicAdd, size: 8, src1: x1, src2: x2}, "ldxr x16, [x1]; add x16, x16, x2; stxr w17, x16, [x1]; cbnz w17, #-12"},
		{&instr{op: opAtomic, atomic: atomicOr, fetch: true, size: 4, dst: x0, src1: x1, src2: x2}, "ldxr w0, [x1]; orr w16, w0, w2; stlxr w17, w16, [x1]; cbnz w17, #-12; dmb ish"},
		{&instr{op: opAtomic, atomic: atomicXchg, fetch: true, size: 8, dst: x0, src1: x1, src2: x2}, "ldxr x0, [x1]; stlxr w17, x2, [x1]; cbnz w17, #-8; dmb ish"},
		{&instr{op: opAtomic, atomic: atomicCmpXchg, fetch: true, size: 4, dst: x0, src1: x1, src2: x2, src3: x3}, "ldxr w0, [x1]; cmp w0, w2; b.ne #12; stlxr w17, w3, [x1]; cbnz w17, #-16; dmb ish"},
	} {
		t.Run(tc.in.String(), func(t *testing.T) {
			e := &encoder{}
			m.encodeInstr(e, tc.in)
			res, err := asm.Assemble(e.insts)
			if err != nil {
				t.Fatal(err)
			}
			if got := disasm(t, res.Code); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestIsLogicalImm(t *testing.T) {
	for _, tc := range []struct {
		c    uint64
		size uint8
		want bool
	}{
		{0, 8, false}, {^uint64(0), 8, false}, {1, 8, true}, {0xff, 8, true}, {0x5555555555555555, 8, true},
		{0xf0f0f0f0f0f0f0f0, 8, true}, {0x8000000000000001, 8, true}, {0x1234, 8, false}, {0xff00ff00ff00ff01, 8, false},
		{0xff, 4, true}, {0xffffffff, 4, false}, {0xfffff001, 4, false}, {0x0ffff000, 4, true},
	} {
		if got := isLogicalImm(tc.c, tc.size); got != tc.want {
			t.Errorf("isLogicalImm(%#x, %d) = %v, want %v", tc.c, tc.size, got, tc.want)
		}
	}
}

// x returns register n, for tables.
func x(n int64) regalloc.Reg { return regalloc.Reg(n) }
