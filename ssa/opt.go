package ssa

import (
	"math"
	"math/bits"
)

// opt folds constants and simplifies algebra until nothing changes:
//   - pure ops on constants become constants (evalPure: the evaluator's own
//     semantics, so 32-bit wrap, masked shifts and division by zero are
//     exactly eBPF's);
//   - phis of one constant value become that constant;
//   - identities: x+0, x|0, x^0, x<<0, x*1, x&-1, x/1, x%0 are x; x*0,
//     x&0, x-x, x^x, x/0, x%1, x%-1 (signed) are 0; x/-1 (signed) is -x;
//     x&x, x|x are x; comparisons of a value with itself are decided; x&m
//     is x when m = 2^k-1 and x is known to fit in k bits (fitsBits);
//   - canonical forms: constants second in commutative ops, x-c as x+(-c),
//     (x+c1)+c2 as x+(c1+c2), Trunc(ZeroExt(x)) as x;
//   - address folding: a load, store or atomic at (x+c)+off accesses x at
//     off+c, which is how FP-relative accesses reach promote;
//   - idioms: a rotate written as (x << c) | (x >> (w-c)) (or ^ or +) is
//     Rotl; clang's zero and sign extensions (x << k) >> k and
//     (x << k) s>> k are ZeroExt32to64(Trunc64to32 x), an And with a mask
//     or a SignExt.
//
// It works from a worklist: every value once, then again each value whose
// argument changed, so a function is swept a constant number of times
// rather than until a whole sweep changes nothing. Copies a rule leaves
// are looked through as arguments are read; it ends with copyelim and
// deadcode, since most folds strand the values they replace.
func opt(f *Func) {
	copyelim(f)
	n := f.NumValues()
	values, args := 0, 0
	for _, b := range f.Blocks {
		values += len(b.Values)
		for _, v := range b.Values {
			args += len(v.Args)
		}
	}
	// The users of value id, in the order they were added, are a chain
	// through uses from firstUse[id] to lastUse[id] (-1 when none): one
	// array for all of them rather than a slice per value.
	type use struct {
		v    *Value
		next int32
	}
	uses := make([]use, 0, args+args/4)
	firstUse := make([]int32, n, n+n/4)
	lastUse := make([]int32, n, n+n/4)
	queued := make([]bool, n, n+n/4)
	for id := range firstUse {
		firstUse[id], lastUse[id] = -1, -1
	}
	grow := func(id ID) {
		for int(id) >= len(queued) {
			queued = append(queued, false)
			firstUse = append(firstUse, -1)
			lastUse = append(lastUse, -1)
		}
	}
	work := make([]*Value, 0, values)
	push := func(v *Value) {
		grow(v.ID)
		if !queued[v.ID] && v.Block != nil {
			queued[v.ID] = true
			work = append(work, v)
		}
	}
	addUsers := func(v *Value) {
		for _, a := range v.Args {
			grow(a.ID)
			u := int32(len(uses))
			uses = append(uses, use{v, -1})
			if lastUse[a.ID] < 0 {
				firstUse[a.ID] = u
			} else {
				uses[lastUse[a.ID]].next = u
			}
			lastUse[a.ID] = u
		}
	}
	for _, b := range f.Blocks {
		for _, v := range b.Values {
			addUsers(v)
			push(v)
		}
	}
	var created []*Value
	f.created = &created
	defer func() { f.created = nil }()
	for head := 0; head < len(work); head++ {
		v := work[head]
		queued[v.ID] = false
		if v.Block == nil || v.Op == OpCopy {
			continue
		}
		for i, a := range v.Args {
			v.Args[i] = copySource(a)
		}
		changed := false
		if v.Op == OpPhi {
			if w := trivialPhi(v); w != nil {
				v.copyOf(w)
				changed = true
			}
		}
		if !changed {
			changed = rewrite(v)
		}
		if !changed {
			continue
		}
		// Values the rule made (constants, truncations) are new users of
		// their arguments and may simplify further.
		for _, w := range created {
			addUsers(w)
			push(w)
		}
		created = created[:0]
		addUsers(v)
		push(v)
		for u := firstUse[v.ID]; u >= 0; u = uses[u].next {
			push(uses[u].v)
		}
		if head > 1<<16 && head > 2*len(work)/3 {
			// Keep the queue's memory proportional to what is pending.
			work = append(work[:0], work[head+1:]...)
			head = -1
		}
	}
	copyelim(f)
	// Folding strands the values it replaced; later passes need not see them.
	deadcode(f)
}

// valueBefore returns a new value placed just before v.
func valueBefore(v *Value, op Op, t Type, args ...*Value) *Value {
	b := v.Block
	for i, w := range b.Values {
		if w == v {
			return b.insertValueBefore(i, op, t, v.Insn, args...)
		}
	}
	panic("BUG: value not in its block")
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
	if rotate(v) || extension(v) {
		return true
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
		switch {
		case c == allOnes(v.Type):
			v.copyOf(x)
			return true
		case c == 0:
			v.setConst(0)
			return true
		case c&(c+1) == 0 && fitsBits(x, uint(bits.Len64(c)), nil, 0):
			// A mask of bits x cannot have set: u8 values re-masked
			// around a loop.
			v.copyOf(x)
			return true
		}
	}
	return false
}

// fitsBits reports whether v is known to be below 1<<k. Phis on a cycle
// are assumed to fit while their other arguments are checked: if every
// value entering the cycle fits and every operation on it keeps values
// fitting, all do (an inductive proof).
func fitsBits(v *Value, k uint, visiting map[*Value]bool, depth int) bool {
	if k >= 64 {
		return true
	}
	if depth > 8 {
		return false
	}
	switch v.Op {
	case OpConst64, OpConst32, OpConstBool:
		c, _ := v.isConst()
		return c>>k == 0
	case OpLoad8:
		return k >= 8
	case OpLoad16:
		return k >= 16
	case OpLoad32:
		return k >= 32
	case OpBswap16:
		return k >= 16
	case OpCopy, OpZeroExt32to64, OpTrunc64to32:
		return fitsBits(v.Args[0], k, visiting, depth+1)
	case OpAnd64, OpAnd32:
		return fitsBits(v.Args[0], k, visiting, depth+1) || fitsBits(v.Args[1], k, visiting, depth+1)
	case OpOr64, OpOr32, OpXor64, OpXor32:
		return fitsBits(v.Args[0], k, visiting, depth+1) && fitsBits(v.Args[1], k, visiting, depth+1)
	case OpRsh64, OpRsh32, OpUDiv64, OpUDiv32, OpUDiv64Raw, OpUDiv32Raw:
		return fitsBits(v.Args[0], k, visiting, depth+1)
	case OpUMod64, OpUMod32, OpUMod64Raw, OpUMod32Raw:
		// x % y is x when y is 0, else below both.
		return fitsBits(v.Args[0], k, visiting, depth+1)
	case OpPhi:
		if visiting[v] {
			return true
		}
		if visiting == nil {
			visiting = map[*Value]bool{}
		}
		visiting[v] = true
		defer delete(visiting, v)
		for _, a := range v.Args {
			if !fitsBits(a, k, visiting, depth+1) {
				return false
			}
		}
		return true
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

// rotate turns (x << c) | (x >> (w-c)), with | or ^ or + (the two sides
// share no bits), into Rotl(x, c). It also undoes clang's folding of the
// left shift of a product into the multiplier: (y * (m << c)) | ((y * m)
// >> (w-c)) is Rotl(y * m, c), murmur3's "k *= c1; k = rotl(k, 15)".
func rotate(v *Value) bool {
	var lsh, rsh, rot, mul Op
	var w uint64
	switch v.Op {
	case OpOr64, OpXor64, OpAdd64:
		lsh, rsh, rot, mul, w = OpLsh64, OpRsh64, OpRotl64, OpMul64, 64
	case OpOr32, OpXor32, OpAdd32:
		lsh, rsh, rot, mul, w = OpLsh32, OpRsh32, OpRotl32, OpMul32, 32
	default:
		return false
	}
	a, b := v.Args[0], v.Args[1]
	if a.Op == rsh {
		a, b = b, a
	}
	if a.Op == mul && b.Op == rsh && b.Args[0].Op == mul {
		return rotateProduct(v, a, b, rot, w)
	}
	if a.Op != lsh || b.Op != rsh || a.Args[0] != b.Args[0] {
		return false
	}
	c1, ok1 := a.Args[1].isConst()
	c2, ok2 := b.Args[1].isConst()
	if !ok1 || !ok2 {
		return false
	}
	c1, c2 = c1&(w-1), c2&(w-1)
	if c1 == 0 || c1+c2 != w {
		return false
	}
	v.Op = rot
	v.Args[0], v.Args[1] = a.Args[0], a.Args[1]
	return true
}

// rotateProduct turns v = (y * m1) | ((y * m) >> r), a being the first
// product and b the shift of the second, into Rotl(y * m, w - r) where m1
// is m << (w - r) (mod 2^w): the low w-r bits of y*m1 are zero, so the
// two sides share no bits.
func rotateProduct(v, a, b *Value, rot Op, w uint64) bool {
	p := b.Args[0]
	if a.Args[0] != p.Args[0] {
		return false
	}
	m1, ok1 := a.Args[1].isConst()
	m, ok2 := p.Args[1].isConst()
	r, ok3 := b.Args[1].isConst()
	if !ok1 || !ok2 || !ok3 {
		return false
	}
	r &= w - 1
	c := w - r
	if r == 0 || m1 != m<<c&(1<<w-1) {
		return false
	}
	v.Op = rot
	v.Args[0], v.Args[1] = p, constBefore(v, a.Args[1].Type, c)
	return true
}

// extension recognizes clang's extensions by shifts: (x << k) >> k keeps
// the low w-k bits, (x << k) s>> k sign-extends them.
func extension(v *Value) bool {
	var lsh Op
	var w uint64
	switch v.Op {
	case OpRsh64, OpArsh64:
		lsh, w = OpLsh64, 64
	case OpRsh32, OpArsh32:
		lsh, w = OpLsh32, 32
	default:
		return false
	}
	x := v.Args[0]
	if x.Op != lsh {
		return false
	}
	k1, ok1 := x.Args[1].isConst()
	k2, ok2 := v.Args[1].isConst()
	if !ok1 || !ok2 || k1&(w-1) != k2&(w-1) || k1&(w-1) == 0 {
		return false
	}
	k, src := k1&(w-1), x.Args[0]
	if v.Op == OpArsh64 || v.Op == OpArsh32 {
		ext := map[uint64]Op{}
		if w == 64 {
			ext = map[uint64]Op{32: OpSignExt32to64, 48: OpSignExt16to64, 56: OpSignExt8to64}
		} else {
			ext = map[uint64]Op{16: OpSignExt16to32, 24: OpSignExt8to32}
		}
		op, ok := ext[k]
		if !ok {
			return false
		}
		v.Op, v.Args = op, append(v.Args[:0], src)
		return true
	}
	if w == 64 && k == 32 {
		t := valueBefore(v, OpTrunc64to32, TypeI32, src)
		v.Op, v.Args = OpZeroExt32to64, append(v.Args[:0], t)
		return true
	}
	if w == 64 && k < 33 {
		return false // the mask is no 32-bit immediate
	}
	mask := valueBefore(v, OpConst64, v.Type)
	mask.setConst(uint64(1)<<(w-k) - 1)
	v.Op = OpAnd64
	if w == 32 {
		v.Op = OpAnd32
	}
	v.Args[0], v.Args[1] = src, mask
	return true
}
