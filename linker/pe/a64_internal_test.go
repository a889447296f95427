package pe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// TestA64Encodings checks every encoder the routines use against
// llvm-mc's disassembler.
func TestA64Encodings(t *testing.T) {
	tool, err := exec.LookPath("llvm-mc-19")
	if err != nil {
		t.Fatal("llvm-mc-19 is required (scripts/deps.sh installs llvm-19)")
	}
	tests := []struct {
		word uint32
		want string
	}{
		{addImm(x3, sp, 32), "add x3, sp, #32"},
		{addImm(x29, sp, 0), "mov x29, sp"},
		{addImm(x2, x2, 0xabc), "add x2, x2, #2748"},
		{addImm(sp, sp, 0x5000), "add sp, sp, #5, lsl #12"},
		{subImm(sp, sp, 0x240), "sub sp, sp, #576"},
		{subImm(sp, sp, 0xfff000), "sub sp, sp, #4095, lsl #12"},
		{cmpImmW(x1, 3), "cmp w1, #3"},
		{cmpImmW(x0, 0x103), "cmp w0, #259"},
		{ldrImm(x1, x1, 8), "ldr x1, [x1, #8]"},
		{ldrImm(x10, x9, 32760), "ldr x10, [x9, #32760]"},
		{strImm(xzr, x0, 0), "str xzr, [x0]"},
		{strImm(x9, x19, 0x68), "str x9, [x19, #104]"},
		{strImmW(x9, x0, 8), "str w9, [x0, #8]"},
		{pair(pairOffset, x9, x10, x11, 0), "stp x9, x10, [x11]"},
		{pair(pairOffset, x29, x30, sp, 504), "stp x29, x30, [sp, #504]"},
		{pair(pairOffset|pairLoad, 19, 20, sp, 16), "ldp x19, x20, [sp, #16]"},
		{pair(pairPre, x29, x30, sp, -512), "stp x29, x30, [sp, #-512]!"},
		{pair(pairPost|pairLoad, x29, x30, sp, 48), "ldp x29, x30, [sp], #48"},
		{movz(x0, 0xd, 0, false), "mov w0, #13"},
		{movk(x0, 0xc000, 1, false), "movk w0, #49152, lsl #16"},
		{movz(x3, 0, 0, true), "mov x3, #0"},
		{movk(x9, 1, 3, true), "movk x9, #1, lsl #48"},
		{movReg(x19, x0), "mov x19, x0"},
		{patched(t, adrp(x16), fixA64Page21, 0x5123, 0x2008), "adrp x16, #12288"},
		{patched(t, adrp(x2), fixA64Page21, 0x1000, 0x9ffc), "adrp x2, #-32768"},
		{patched(t, addImm(x2, x2, 0), fixA64Lo12Add, 0x5123, 0x2008), "add x2, x2, #291"},
		{patched(t, ldrImm(x16, x16, 0), fixA64Lo12Ldst64, 0x4ff8, 0x2008), "ldr x16, [x16, #4088]"},
		{patched(t, strImm(x10, x11, 0), fixA64Lo12Ldst64, 0x6010, 0x2008), "str x10, [x11, #16]"},
		{patched(t, branch(), fixA64Branch26, 0x1000, 0x3000), "b #-8192"},
		{blr(x16), "blr x16"},
		{bcond(condNE) | 3<<5, "b.ne #12"},
		{cbz(x9) | 2<<5, "cbz x9, #8"},
		{cbnzW(x0) | 0x7ffff<<5, "cbnz w0, #-4"},
		{tbnzW(x0, 31) | 4<<5, "tbnz w0, #31, #16"},
		{branch() | 5, "b #20"},
		{a64RET, "ret"},
	}
	var in strings.Builder
	for _, tt := range tests {
		for _, b := range binary.LittleEndian.AppendUint32(nil, tt.word) {
			fmt.Fprintf(&in, "0x%02x ", b)
		}
	}
	cmd := exec.Command(tool, "--disassemble", "-triple=aarch64")
	cmd.Stdin = strings.NewReader(in.String())
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "invalid") {
		t.Fatalf("llvm-mc: %v\n%s", err, out)
	}
	var got []string
	for _, l := range strings.Split(string(out), "\n") {
		l, _, _ = strings.Cut(l, "//")
		if l = strings.Join(strings.Fields(l), " "); l != "" && !strings.HasPrefix(l, ".") {
			got = append(got, l)
		}
	}
	if len(got) != len(tests) {
		t.Fatalf("llvm-mc decoded %d instructions, want %d:\n%s", len(got), len(tests), out)
	}
	for k, tt := range tests {
		if got[k] != tt.want {
			t.Errorf("%#08x: llvm-mc says %q, want %q", tt.word, got[k], tt.want)
		}
	}
}

// TestAllocCodes checks the three forms of the stack allocation codes at
// their boundaries, and that sizes one sub cannot allocate are refused.
func TestAllocCodes(t *testing.T) {
	for _, tt := range []struct {
		n    int
		code []byte
	}{
		{16, []byte{0x01}},
		{496, []byte{0x1f}},
		{512, []byte{0xc0, 0x20}},
		{0x1000, []byte{0xc1, 0x00}},
		{0x7000, []byte{0xc7, 0x00}},
		{0x8000, []byte{0xe0, 0x00, 0x08, 0x00}},
		{0xfff000, []byte{0xe0, 0x0f, 0xff, 0x00}},
	} {
		s, err := allocSP(tt.n)
		if err != nil || !bytes.Equal(s.code, tt.code) || s.insn != subImm(sp, sp, tt.n) || s.restore != addImm(sp, sp, tt.n) {
			t.Errorf("allocSP(%#x) = %x, %v; want code %x", tt.n, s.code, err, tt.code)
		}
	}
	for _, n := range []int{0, 8, 0x1010, 1 << 24} {
		if _, err := allocSP(n); err == nil {
			t.Errorf("allocSP(%#x) accepted", n)
		}
	}
}

// TestXdata encodes the record of a function with a frame larger than one
// sub allocates, a frame record and a pair of callee-saved registers, and
// an epilogue that restores in another order than the prologue saved, so
// its codes follow the prologue's; then one whose epilogue mirrors the
// prologue and shares its codes.
func TestXdata(t *testing.T) {
	steps := []a64Step{must(allocSP(0x230)), must(allocSP(0x1000)), must(saveFPLR(0)), setFP(), must(saveRegP(19, 16))}
	var words []uint32
	for _, s := range steps {
		words = append(words, s.insn)
	}
	words = append(words, movz(x0, 0, 0, true))
	words = append(words, steps[4].restore, steps[2].restore, steps[0].restore, steps[1].restore, a64RET)
	got, err := xdata(a64Func{name: "f", words: words, steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	want := le32(11|1<<22|5<<27, 6|9<<22)
	want = append(want,
		0xc8, 0x02, 0xe1, 0x40, 0xc1, 0x00, 0xc0, 0x23, 0xe4, // save_regp, set_fp, save_fplr, alloc_m 4096, alloc_m 560, end
		0xc8, 0x02, 0x40, 0xc0, 0x23, 0xc1, 0x00, 0xe4, // the epilogue's, in its order
		0xe4, 0xe4, 0xe4) // padding
	if !bytes.Equal(got, want) {
		t.Errorf("xdata\n got %x\nwant %x", got, want)
	}

	steps = []a64Step{must(saveFPLRx(32)), must(saveReg(x19, 16)), setFP()}
	words = []uint32{steps[0].insn, steps[1].insn, steps[2].insn, steps[1].restore, steps[0].restore, a64RET}
	got, err = xdata(a64Func{name: "g", words: words, steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	want = append(le32(6|1<<22|2<<27, 3|1<<22), 0xe1, 0xd0, 0x02, 0x83, 0xe4, 0xe4, 0xe4, 0xe4)
	if !bytes.Equal(got, want) {
		t.Errorf("shared xdata\n got %x\nwant %x", got, want)
	}
}

// TestXdataManyEpilogues checks the extended header, needed past 31
// epilogue scopes.
func TestXdataManyEpilogues(t *testing.T) {
	steps := []a64Step{must(saveFPLRx(16))}
	words := []uint32{steps[0].insn}
	for k := 0; k < 40; k++ {
		words = append(words, steps[0].restore, a64RET)
	}
	got, err := xdata(a64Func{name: "f", words: words, steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	if h := binary.LittleEndian.Uint32(got); h != uint32(len(words)) {
		t.Errorf("header %#x, want only the length", h)
	}
	if h := binary.LittleEndian.Uint32(got[4:]); h != 40|1<<16 {
		t.Errorf("extension %#x, want 40 scopes and 1 code word", h)
	}
	for k := 0; k < 40; k++ {
		if s := binary.LittleEndian.Uint32(got[8+4*k:]); s != uint32(1+2*k) {
			t.Errorf("scope %d: %#x", k, s)
		}
	}
}

// TestXdataRefuses checks that records are written only for code that
// matches its description.
func TestXdataRefuses(t *testing.T) {
	steps := []a64Step{must(saveFPLRx(16)), setFP()}
	for name, words := range map[string][]uint32{
		"prologue":        {steps[1].insn, steps[0].insn, a64RET},
		"no epilogue":     {steps[0].insn, steps[1].insn, movz(x0, 0, 0, true), a64RET},
		"ret in prologue": {steps[0].insn, steps[1].insn, a64RET},
	} {
		if _, err := xdata(a64Func{name: name, words: words, steps: steps}); !errors.Is(err, ErrInvalidObject) {
			t.Errorf("%s: xdata = %v, want ErrInvalidObject", name, err)
		}
	}
}

// patched returns word with its field for kind patched to target, the
// word being at place.
func patched(t *testing.T, word uint32, kind fixKind, target, place int64) uint32 {
	b := binary.LittleEndian.AppendUint32(nil, word)
	if err := patchA64(b, kind, target, place); err != nil {
		t.Fatal(err)
	}
	return binary.LittleEndian.Uint32(b)
}

func le32(ws ...uint32) []byte {
	var b []byte
	for _, w := range ws {
		b = binary.LittleEndian.AppendUint32(b, w)
	}
	return b
}
