package ssa

import (
	"math"

	"github.com/cilium/ebpf/asm"
)

// divguard replaces guarded divisions (UDiv64, SMod32, ...) by raw ones
// where the guard is dead: the divisor is a constant other than 0 (and,
// signed, other than -1), or the verifier's facts prove the same of the
// divisor register at the division's instruction.
func divguard(f *Func) {
	for _, b := range f.Blocks {
		for _, v := range b.Values {
			if raw, ok := rawDivision[v.Op]; ok && divisorSafe(f, v) {
				v.Op = raw
			}
		}
	}
}

var rawDivision = map[Op]Op{
	OpUDiv64: OpUDiv64Raw, OpUMod64: OpUMod64Raw, OpSDiv64: OpSDiv64Raw, OpSMod64: OpSMod64Raw,
	OpUDiv32: OpUDiv32Raw, OpUMod32: OpUMod32Raw, OpSDiv32: OpSDiv32Raw, OpSMod32: OpSMod32Raw,
}

func divisorSafe(f *Func, v *Value) bool {
	is32 := v.Type == TypeI32
	signed := v.Op == OpSDiv64 || v.Op == OpSMod64 || v.Op == OpSDiv32 || v.Op == OpSMod32
	if c, ok := v.Args[1].isConst(); ok {
		return c != 0 && !(signed && c == allOnes(v.Type))
	}
	if f.facts == nil || v.Insn < 0 || f.Program == nil {
		return false
	}
	ins := &f.Program.Insns[v.Insn]
	if ins.OpCode.Source() != asm.RegSource {
		return false
	}
	reg := ins.Src
	r, known := f.facts.Range(v.Insn, reg)
	switch {
	case is32:
		// The divisor is the low half: bounds on 64 bits say something
		// about it only when the value fits in 32 bits.
		if !known || r.UMax > math.MaxUint32 || r.UMin == 0 {
			return false
		}
		return !signed || r.UMax < math.MaxUint32
	case !signed:
		return f.facts.NonZero(v.Insn, reg) || (known && r.UMin > 0)
	default:
		return known && (r.Min > 0 || r.Max < -1)
	}
}
