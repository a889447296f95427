package ssa

// zeroext removes zero extensions of values whose upper 32 bits are known
// to be zero already: ZeroExt32to64(Trunc64to32(x)) and x & 0xffffffff
// become x. After lifting, every 32-bit ALU result, 32-bit move and le32
// is such an extension; most of them extend something that needs none.
func zeroext(f *Func) {
	zero := upperZero(f)
	for _, b := range f.Blocks {
		for _, v := range b.Values {
			switch v.Op {
			case OpZeroExt32to64:
				if t := v.Args[0]; t.Op == OpTrunc64to32 && zero[t.Args[0].ID] {
					v.copyOf(t.Args[0])
				}
			case OpAnd64:
				if c, ok := v.Args[1].isConst(); ok && c == 0xffffffff && zero[v.Args[0].ID] {
					v.copyOf(v.Args[0])
				}
			}
		}
	}
	copyelim(f)
}

// upperZero computes which I64 values have their upper 32 bits zero. It is
// optimistic: every candidate starts true and is cleared until nothing
// changes, so loops whose phis only ever carry such values keep the fact.
func upperZero(f *Func) []bool {
	zero := make([]bool, f.NumValues())
	var candidates []*Value
	for _, b := range f.Blocks {
		for _, v := range b.Values {
			if v.Type == TypeI64 {
				zero[v.ID] = true
				candidates = append(candidates, v)
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, v := range candidates {
			if zero[v.ID] && !upperZeroStep(v, zero) {
				zero[v.ID] = false
				changed = true
			}
		}
	}
	return zero
}

// upperZeroStep says whether v's upper half is zero given what zero says
// of its arguments.
func upperZeroStep(v *Value, zero []bool) bool {
	arg := func(i int) bool { return zero[v.Args[i].ID] }
	switch v.Op {
	case OpZeroExt32to64, OpLoad8, OpLoad16, OpLoad32, OpBswap16, OpBswap32:
		return true
	case OpConst64:
		return uint64(v.Aux)>>32 == 0
	case OpAnd64:
		return arg(0) || arg(1)
	case OpOr64, OpXor64:
		return arg(0) && arg(1)
	case OpRsh64:
		if c, ok := v.Args[1].isConst(); ok && c&63 >= 32 {
			return true
		}
		return arg(0)
	case OpUDiv64, OpUDiv64Raw, OpUMod64, OpUMod64Raw:
		// Neither quotient nor remainder (nor x%0 = x) exceeds x.
		return arg(0)
	case OpSelectVal:
		t := v.Args[0]
		return t.Op.Atomic() != AtomicNone && t.Op.Info().Size == 4
	case OpPhi, OpCopy:
		for i := range v.Args {
			if !arg(i) {
				return false
			}
		}
		return true
	}
	return false
}
