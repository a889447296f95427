package ssa

// promote turns stack slots into SSA values. A slot is a byte range
// [FP+off, FP+off+size) that loads and stores address with a constant
// offset from FP. It is promoted when
//   - every access that touches any of its bytes is exactly the slot (same
//     offset and size: an 8-byte store followed by a 4-byte load of its half
//     keeps both in memory), and
//   - its address never escapes. Escaping means: FP-derived pointers passed
//     to a helper expose the bytes from the pointer to the frame's top (a
//     helper accesses memory upwards from the pointers it gets, within
//     sizes the verifier checked); an atomic exposes the bytes it touches;
//     any other use (a store of the pointer, a call of a sub-program, a
//     phi, arithmetic other than adding a constant, a comparison, a return,
//     an access at an unknown offset) exposes the whole frame.
//
// A promoted store becomes the slot's new value; a promoted load becomes
// that value narrowed as the load would have read it. Reading a slot
// before any store reads Undef: the verifier refuses uninitialized stack
// reads.
func promote(f *Func) {
	removeUnreachable(f)
	var fp *Value
	for _, v := range f.Entry().Values {
		if v.Op == OpFP {
			fp = v
		}
	}
	if fp == nil {
		return
	}

	type slot struct{ off, size int64 }
	var (
		escapedAll bool
		escaped    [StackSize]bool
		// offset[id] is the offset from FP of the address value id
		// computes, if derived[id].
		offset    = make([]int64, f.NumValues())
		derived   = make([]bool, f.NumValues())
		slots     []slot
		slotIndex = map[slot]int{}
		// accessSlot[id] is the slot load or store id accesses, or -1.
		accessSlot = make([]int32, f.NumValues())
		// owner[i] is the slot touching byte i: -1 none yet, -2 several.
		owner [StackSize]int
	)
	derived[fp.ID] = true
	for i := range owner {
		owner[i] = -1
	}
	for i := range accessSlot {
		accessSlot[i] = -1
	}
	escape := func(from, to int64) {
		for o := max(from, -StackSize); o < min(to, 0); o++ {
			escaped[o+StackSize] = true
		}
	}
	access := func(v *Value, off int64) {
		size := int64(v.Op.Info().Size)
		if off < -StackSize || off+size > 0 {
			escapedAll = true // outside the frame: leave the stack alone
			return
		}
		s := slot{off, size}
		k, ok := slotIndex[s]
		if !ok {
			k = len(slots)
			slots = append(slots, s)
			slotIndex[s] = k
		}
		accessSlot[v.ID] = int32(k)
		for o := off; o < off+size; o++ {
			switch owner[o+StackSize] {
			case -1:
				owner[o+StackSize] = k
			case k:
			default:
				owner[o+StackSize] = -2
			}
		}
	}

	// Values come in dominance order (reverse postorder, each block in
	// order), so a pointer's offset is known before its uses; phis, the
	// only exception, expose the frame anyway.
	dom := newDomTree(f)
	for _, b := range dom.rpo {
		for _, v := range b.Values {
			for i, a := range v.Args {
				if !derived[a.ID] {
					continue
				}
				k := offset[a.ID]
				switch {
				case v.Op == OpAdd64 && i == 0 && isConstArg(v, 1):
					c, _ := v.Args[1].isConst()
					offset[v.ID], derived[v.ID] = k+int64(c), true
				case (v.Op.IsLoad() || v.Op.IsStore()) && i == 0:
					access(v, k+v.Off)
				case v.Op.Atomic() != AtomicNone && i == 0:
					escape(k+v.Off, k+v.Off+int64(v.Op.Info().Size))
				case (v.Op == OpCallHelper || v.Op == OpCallTail || v.Op == OpCallX) && i < 5:
					escape(k, 0)
				default:
					escapedAll = true
				}
			}
		}
		for _, c := range b.Controls {
			if derived[c.ID] {
				escapedAll = true
			}
		}
	}
	if escapedAll || len(slots) == 0 {
		return
	}
	promoted := make([]bool, len(slots))
	anyPromoted := false
	for k, s := range slots {
		promoted[k] = true
		for o := s.off; o < s.off+s.size; o++ {
			if owner[o+StackSize] != k || escaped[o+StackSize] {
				promoted[k] = false
			}
		}
		anyPromoted = anyPromoted || promoted[k]
	}
	if !anyPromoted {
		return
	}

	undef := f.Undef()
	vb := newVarBuilder(f, func(int) Type { return TypeI64 }, func(int) *Value { return undef })
	for _, b := range f.Blocks {
		vals := make([]*Value, 0, len(b.Values))
		for _, v := range b.Values {
			k := int32(-1)
			if int(v.ID) < len(accessSlot) { // not made by promote itself
				k = accessSlot[v.ID]
			}
			if k < 0 || !promoted[k] {
				vals = append(vals, v)
				continue
			}
			if v.Op.IsStore() {
				vb.write(b, int(k), v.Args[1])
				v.copyOf(v.Args[2]) // the memory before the store
				vals = append(vals, v)
				continue
			}
			x := vb.read(b, int(k))
			switch v.Op {
			case OpLoad64:
				v.copyOf(x)
			case OpLoad32:
				t := f.newValue(OpTrunc64to32, TypeI32, b, v.Insn, x)
				vals = append(vals, t)
				v.reset(OpZeroExt32to64)
				v.Args = append(v.Args, t)
			case OpLoad16, OpLoad8:
				mask := f.newValue(OpConst64, TypeI64, b, v.Insn)
				mask.Aux = 0xff
				if v.Op == OpLoad16 {
					mask.Aux = 0xffff
				}
				vals = append(vals, mask)
				v.reset(OpAnd64)
				v.Args = append(v.Args, x, mask)
			case OpLoadSX32:
				v.reset(OpSignExt32to64)
				v.Args = append(v.Args, x)
			case OpLoadSX16:
				v.reset(OpSignExt16to64)
				v.Args = append(v.Args, x)
			case OpLoadSX8:
				v.reset(OpSignExt8to64)
				v.Args = append(v.Args, x)
			}
			vals = append(vals, v)
		}
		b.Values = vals
	}
	vb.resolve()
	copyelim(f)
}

func isConstArg(v *Value, i int) bool {
	_, ok := v.Args[i].isConst()
	return ok
}
