package loader

import (
	"encoding/binary"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
)

// TestRelocate checks each form against encodings from llvm-mc-19
// (`adrp x0, #0x123000` → f0000900, `add x1, x1, #0x468` → 9111a021,
// `ldr x0, [x0, #0x468]` → f9423400) and hand-computed x86-64 fields.
func TestRelocate(t *testing.T) {
	const base = 0x400000
	for _, tc := range []struct {
		name   string
		ins    uint32 // the instruction word (arm64) or 0
		form   backend.RelocForm
		addend int64
		offset int
		target uint64
		want   uint64
	}{
		{"adrp", 0x90000000, backend.AArch64Page21, 0, 0, 0x523468, 0xf0000900},
		{"adrp backwards", 0x90000000, backend.AArch64Page21, 0, 0, 0x3ff000, 0xf0ffffe0},
		{"add lo12", 0x91000021, backend.AArch64Lo12Add, 0, 4, 0x523468, 0x9111a021},
		{"ldr lo12", 0xf9400000, backend.AArch64Lo12Ldst64, 0, 8, 0x523468, 0xf9423400},
		{"ldr lo12 addend", 0xf9400000, backend.AArch64Lo12Ldst64, 8, 8, 0x523460, 0xf9423400},
		{"pc32", 0, backend.PCRel32, -4, 2, 0x401000, 0x1000 - 4 - 2},
		{"pc32 backwards", 0, backend.PCRel32, -4, 0x10, 0x3ffff0, 0xffffffdc},
		{"abs64", 0, backend.Abs64, 0x10, 0, 0x7fff12345678, 0x7fff12345688},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text := make([]byte, 32)
			binary.LittleEndian.PutUint32(text[tc.offset:], tc.ins)
			r := backend.Reloc{Offset: tc.offset, Form: tc.form, Addend: tc.addend}
			if err := relocate(text, base, r, tc.target); err != nil {
				t.Fatal(err)
			}
			var got uint64
			if tc.form == backend.Abs64 {
				got = binary.LittleEndian.Uint64(text[tc.offset:])
			} else {
				got = uint64(binary.LittleEndian.Uint32(text[tc.offset:]))
			}
			if got != tc.want {
				t.Errorf("field = %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestRelocateRejects(t *testing.T) {
	text := make([]byte, 16)
	for name, tc := range map[string]struct {
		r      backend.Reloc
		target uint64
	}{
		"pc32 range":     {backend.Reloc{Form: backend.PCRel32, Addend: -4}, 1 << 40},
		"adrp range":     {backend.Reloc{Form: backend.AArch64Page21}, 1 << 40},
		"ldr misaligned": {backend.Reloc{Form: backend.AArch64Lo12Ldst64}, 0x1004},
		"outside":        {backend.Reloc{Form: backend.Abs64, Offset: 12}, 0},
		"negative":       {backend.Reloc{Form: backend.PCRel32, Offset: -1}, 0},
		"form":           {backend.Reloc{Form: backend.RelocForm(99)}, 0},
	} {
		if err := relocate(text, 0x1000, tc.r, tc.target); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
