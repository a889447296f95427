package loader

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/bpf2native/bpf2native/backend"
)

// relocate patches the field r names in text, which will run at address
// base, to refer to address target (the table slot; r.Addend is added
// here). It implements every backend form whatever the host, so each can be
// tested anywhere.
func relocate(text []byte, base uint64, r backend.Reloc, target uint64) error {
	size := 4
	if r.Form == backend.Abs64 {
		size = 8
	}
	if r.Offset < 0 || r.Offset > len(text)-size {
		return fmt.Errorf("relocation at %#x: field outside the %d-byte text", r.Offset, len(text))
	}
	field := text[r.Offset : r.Offset+size]
	s := target + uint64(r.Addend) // S + A
	p := base + uint64(r.Offset)   // P
	le := binary.LittleEndian
	switch r.Form {
	case backend.PCRel32:
		d := int64(s - p)
		if d < math.MinInt32 || d > math.MaxInt32 {
			return fmt.Errorf("relocation at %#x: displacement %#x does not fit in 32 bits", r.Offset, d)
		}
		le.PutUint32(field, uint32(int32(d)))
	case backend.Abs64:
		le.PutUint64(field, s)
	case backend.AArch64Page21:
		// ADRP: the 4 KiB page delta, 21 bits signed, split into immlo
		// (bits 29-30) and immhi (bits 5-23).
		d := int64(s&^0xfff-p&^0xfff) >> 12
		if d < -(1<<20) || d >= 1<<20 {
			return fmt.Errorf("relocation at %#x: page delta %d does not fit ADRP", r.Offset, d)
		}
		imm := uint32(d) & 0x1fffff
		ins := le.Uint32(field) &^ (3<<29 | 0x7ffff<<5)
		le.PutUint32(field, ins|(imm&3)<<29|(imm>>2)<<5)
	case backend.AArch64Lo12Add:
		ins := le.Uint32(field) &^ (0xfff << 10)
		le.PutUint32(field, ins|uint32(s&0xfff)<<10)
	case backend.AArch64Lo12Ldst64:
		if s&7 != 0 {
			return fmt.Errorf("relocation at %#x: address %#x is not 8-byte aligned for a 64-bit load", r.Offset, s)
		}
		ins := le.Uint32(field) &^ (0xfff << 10)
		le.PutUint32(field, ins|uint32(s&0xfff>>3)<<10)
	default:
		return fmt.Errorf("relocation at %#x: unknown form %d", r.Offset, r.Form)
	}
	return nil
}
