package asm

import (
	"encoding/binary"
	"strings"
	"testing"
)

// TestFarBranch checks golang-asm's veneer for a conditional branch past
// its ±1 MiB range: b.eq to a b that jumps to the target, and a b over it
// for the fall-through.
func TestFarBranch(t *testing.T) {
	const n = 300000 // 1.2 MB of moves between the branch and its target
	insts := []Inst{
		{Op: "CMP", From: Operand{Kind: Reg, Reg: 1}, Reg: Operand{Kind: Reg, Reg: 0}},
		{Op: "BEQ", To: Operand{Kind: Branch, Target: n + 2}},
	}
	for i := 0; i < n; i++ {
		insts = append(insts, Inst{Op: "MOVD", From: Operand{Kind: Reg, Reg: 1}, To: Operand{Kind: Reg, Reg: 2}})
	}
	insts = append(insts, Inst{Op: "RET", To: Operand{Kind: Reg, Reg: 30}})
	res, err := Assemble(insts)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Offsets[2] - res.Offsets[1]; got != 12 {
		t.Fatalf("branch takes %d bytes, want 12 (with its veneer)", got)
	}
	word := func(off int) uint32 { return binary.LittleEndian.Uint32(res.Code[off:]) }
	at := res.Offsets[1]
	if w := word(at); w != 0x54000040 { // b.eq .+8
		t.Errorf("branch %#08x, want b.eq .+8", w)
	}
	if w := word(at + 4); w != 0x14000002 { // b .+8
		t.Errorf("fall-through %#08x, want b .+8", w)
	}
	// b to the ret: imm26 = (target - place) / 4.
	want := 0x14000000 | uint32((res.Offsets[n+2]-(at+8))/4)
	if w := word(at + 8); w != want {
		t.Errorf("veneer %#08x, want %#08x", w, want)
	}
	if len(res.Code) != res.Offsets[n+3] {
		t.Errorf("code is %d bytes, instructions end at %d", len(res.Code), res.Offsets[n+3])
	}
}

// TestRefusesExpansion checks that operands golang-asm could only encode
// through R27 or a literal pool are errors, not silent clobbers.
func TestRefusesExpansion(t *testing.T) {
	for _, in := range []Inst{
		{Op: "ADD", From: Operand{Kind: Imm, Imm: 0x123456}, Reg: Operand{Kind: Reg, Reg: 1}, To: Operand{Kind: Reg, Reg: 2}},
		{Op: "MOVD", From: Operand{Kind: Mem, Base: 1, Disp: 0x12345}, To: Operand{Kind: Reg, Reg: 2}},
		{Op: "MOVD", From: Operand{Kind: Imm, Imm: 0x123456789}, To: Operand{Kind: Reg, Reg: 2}},
	} {
		if _, err := Assemble([]Inst{in}); err == nil || !strings.Contains(err.Error(), "R27") && !strings.Contains(err.Error(), "pool") {
			t.Errorf("%s %+v: err = %v, want a refusal", in.Op, in.From, err)
		}
	}
}
