package ssa

import "math"

// opt folds constants and simplifies algebra until nothing changes:
//   - pure ops on constants become constants (evalPure: the evaluator's own
//     semantics, so 32-bit wrap, masked shifts and division by zero are
//     exactly eBPF's);
//   - phis of one constant value become that constant;
//   - identities: x+0, x|0, x^0, x<<0, x*1, x&-1, x/1, x%0 are x; x*0,
//     x&0, x-x, x^x, x/0, x%1, x%-1 (signed) are 0; x/-1 (signed) is -x; x&x, x|x are x; comparisons of a value with itself are
//     decided;
//   - canonical forms: constants second in commutative ops, x-c as x+(-c),
//     (x+c1)+c2 as x+(c1+c2), Trunc(ZeroExt(x)) as x;
//   - address folding: a load, store or atomic at (x+c)+off accesses x at
//     off+c, which is how FP-relative accesses reach promote.
//
// It ends with deadcode, since most folds strand the values they replace.
func opt(f *Func) {
	copyelim(f)
	for changed := true; changed; {
		changed = false
		for _, b := range f.Blocks {
			for i := 0; i < len(b.Values); i++ {
				v := b.Values[i]
				if rewrite(v) {
					changed = true
				}
				// A rewrite may insert a constant before v.
				for b.Values[i] != v {
					i++
				}
			}
		}
		if changed {
			copyelim(f)
		}
	}
	// Folding strands the values it replaced; later passes need not see them.
	deadcode(f)
}

// constBefore returns a new constant of type t placed just before v.
func constBefore(v *Value, t Type, c uint64) *Value {
	b := v.Block
	for i, w := range b.Values {
		if w == v {
			k := b.insertValueBefore(i, OpConst64, t, v.Insn)
			k.setConst(c)
			return k
		}
	}
	panic("BUG: value not in its block")
}

// allOnes returns the all-ones pattern of an integer type.
func allOnes(t Type) uint64 {
	if t == TypeI32 {
		return math.MaxUint32
	}
	return math.MaxUint64
}

// rewrite applies one rule to v and reports whether it did.
func rewrite(v *Value) bool {
	info := v.Op.Info()
	if v.Op == OpPhi {
		return foldPhi(v)
	}
	if isPureComputation(v.Op) {
		consts := true
		var c [2]uint64
		for i, a := range v.Args {
			var ok bool
			if c[i], ok = a.isConst(); !ok {
				consts = false
			}
		}
		if consts {
			if r, ok := evalPure(v.Op, c[0], c[1]); ok {
				v.setConst(r)
				return true
			}
			return false
		}
	}
	if info.Commutative {
		if _, ok := v.Args[0].isConst(); ok {
			if _, ok := v.Args[1].isConst(); !ok {
				v.Args[0], v.Args[1] = v.Args[1], v.Args[0]
				return true
			}
		}
	}
	if len(v.Args) == 2 && v.Args[0] == v.Args[1] && sameArgRule(v) {
		return true
	}
	if (v.Op.IsLoad() || v.Op.IsStore() || v.Op.Atomic() != AtomicNone) && v.Args[0].Op == OpAdd64 {
		if c, ok := v.Args[0].Args[1].isConst(); ok {
			v.Args[0] = v.Args[0].Args[0]
			v.Off += int64(c)
			return true
		}
	}
	switch v.Op {
	case OpTrunc64to32:
		if x := v.Args[0]; x.Op == OpZeroExt32to64 {
			v.copyOf(x.Args[0])
			return true
		}
		return false
	case OpSub64, OpSub32:
		// x - c is x + (-c): one form for add chains and addresses.
		if c, ok := v.Args[1].isConst(); ok {
			add := OpAdd64
			if v.Op == OpSub32 {
				add = OpAdd32
			}
			v.Op = add
			v.Args[1] = constBefore(v, v.Type, -c)
			return true
		}
	case OpAdd64, OpAdd32:
		// (x + c1) + c2 is x + (c1+c2).
		x := v.Args[0]
		if c2, ok := v.Args[1].isConst(); ok && x.Op == v.Op {
			if c1, ok := x.Args[1].isConst(); ok {
				v.Args[0] = x.Args[0]
				v.Args[1] = constBefore(v, v.Type, c1+c2)
				return true
			}
		}
	}
	c, ok := uint64(0), false
	if len(v.Args) == 2 {
		c, ok = v.Args[1].isConst()
	}
	if !ok {
		return false
	}
	x := v.Args[0]
	switch v.Op {
	case OpAdd64, OpAdd32, OpSub64, OpSub32, OpOr64, OpOr32, OpXor64, OpXor32:
		if c == 0 {
			v.copyOf(x)
			return true
		}
	case OpLsh64, OpRsh64, OpArsh64:
		if c&63 == 0 {
			v.copyOf(x)
			return true
		}
	case OpLsh32, OpRsh32, OpArsh32:
		if c&31 == 0 {
			v.copyOf(x)
			return true
		}
	case OpMul64, OpMul32:
		switch c {
		case 1:
			v.copyOf(x)
			return true
		case 0:
			v.setConst(0)
			return true
		}
	case OpUDiv64, OpUDiv32, OpSDiv64, OpSDiv32:
		// Division by zero is 0 in eBPF; by one it is the dividend.
		switch {
		case c == 0:
			v.setConst(0)
			return true
		case c == 1:
			v.copyOf(x)
			return true
		}
	case OpSDiv64Raw, OpSDiv32Raw, OpUDiv64Raw, OpUDiv32Raw:
		if c == 1 {
			v.copyOf(x)
			return true
		}
	case OpUMod64, OpUMod32, OpSMod64, OpSMod32:
		// Modulo by zero keeps the dividend; by one it is 0.
		switch {
		case c == 0:
			v.copyOf(x)
			return true
		case c == 1:
			v.setConst(0)
			return true
		}
	}
	if (v.Op == OpSDiv64 || v.Op == OpSDiv32) && c == allOnes(v.Type) {
		// x / -1 is -x, which wraps INT_MIN as eBPF wants.
		v.Op = OpNeg64
		if v.Type == TypeI32 {
			v.Op = OpNeg32
		}
		v.Args = v.Args[:1]
		return true
	}
	if (v.Op == OpSMod64 || v.Op == OpSMod32) && c == allOnes(v.Type) {
		v.setConst(0)
		return true
	}
	switch v.Op {
	case OpAnd64, OpAnd32:
		switch c {
		case allOnes(v.Type):
			v.copyOf(x)
			return true
		case 0:
			v.setConst(0)
			return true
		}
	}
	return false
}

// sameArgRule simplifies a binary op whose two arguments are one value.
func sameArgRule(v *Value) bool {
	switch v.Op {
	case OpSub64, OpSub32, OpXor64, OpXor32:
		v.setConst(0)
	case OpAnd64, OpAnd32, OpOr64, OpOr32:
		v.copyOf(v.Args[0])
	case OpEq64, OpEq32, OpUge64, OpUge32, OpUle64, OpUle32, OpSge64, OpSge32, OpSle64, OpSle32:
		v.setConst(1)
	case OpNe64, OpNe32, OpUgt64, OpUgt32, OpUlt64, OpUlt32, OpSgt64, OpSgt32, OpSlt64, OpSlt32:
		v.setConst(0)
	default:
		return false
	}
	return true
}

// foldPhi turns a phi whose arguments are all the same constant into that
// constant.
func foldPhi(v *Value) bool {
	if v.Type != TypeI64 && v.Type != TypeI32 && v.Type != TypeBool {
		return false
	}
	var c uint64
	seen := false
	for _, a := range v.Args {
		if a == v {
			continue // a loop that keeps the value
		}
		k, ok := a.isConst()
		if !ok || (seen && k != c) {
			return false
		}
		c, seen = k, true
	}
	if !seen {
		return false
	}
	// The constant goes to the entry block, which dominates every use; a
	// constant among the phis would break the phis-first rule.
	k := v.Block.Func.Entry().NewValue(OpConst64, v.Type, v.Insn)
	k.setConst(c)
	v.copyOf(k)
	return true
}
