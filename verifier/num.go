package verifier

import (
	"fmt"
	"math"
	"math/bits"
)

// Tnum is a "tristate number": the bits set in Mask are unknown, the others
// equal the bits of Value. It is the known-bits half of the numeric domain;
// the operations follow the Linux verifier's tnum.c, which proves them sound.
type Tnum struct {
	Value, Mask uint64
}

var tnumUnknown = Tnum{Mask: math.MaxUint64}

func tnumConst(v uint64) Tnum { return Tnum{Value: v} }

// tnumRange is the smallest tnum holding every value of [lo, hi].
func tnumRange(lo, hi uint64) Tnum {
	chi := lo ^ hi
	n := bits.Len64(chi)
	if n > 63 {
		return tnumUnknown
	}
	delta := uint64(1)<<n - 1
	return Tnum{lo &^ delta, delta}
}

func (a Tnum) add(b Tnum) Tnum {
	sm := a.Mask + b.Mask
	sv := a.Value + b.Value
	sigma := sm + sv
	chi := sigma ^ sv
	mu := chi | a.Mask | b.Mask
	return Tnum{sv &^ mu, mu}
}

func (a Tnum) sub(b Tnum) Tnum {
	dv := a.Value - b.Value
	alpha := dv + a.Mask
	beta := dv - b.Mask
	chi := alpha ^ beta
	mu := chi | a.Mask | b.Mask
	return Tnum{dv &^ mu, mu}
}

func (a Tnum) and(b Tnum) Tnum {
	alpha := a.Value | a.Mask
	beta := b.Value | b.Mask
	v := a.Value & b.Value
	return Tnum{v, alpha & beta &^ v}
}

func (a Tnum) or(b Tnum) Tnum {
	v := a.Value | b.Value
	mu := a.Mask | b.Mask
	return Tnum{v, mu &^ v}
}

func (a Tnum) xor(b Tnum) Tnum {
	v := a.Value ^ b.Value
	mu := a.Mask | b.Mask
	return Tnum{v &^ mu, mu}
}

func (a Tnum) lsh(k uint) Tnum { return Tnum{a.Value << k, a.Mask << k} }
func (a Tnum) rsh(k uint) Tnum { return Tnum{a.Value >> k, a.Mask >> k} }
func (a Tnum) arsh(k uint) Tnum {
	return Tnum{uint64(int64(a.Value) >> k), uint64(int64(a.Mask) >> k)}
}

func (a Tnum) mul(b Tnum) Tnum {
	accV := a.Value * b.Value
	var accM Tnum
	for a.Value != 0 || a.Mask != 0 {
		if a.Value&1 != 0 {
			accM = accM.add(Tnum{0, b.Mask})
		} else if a.Mask&1 != 0 {
			accM = accM.add(Tnum{0, b.Value | b.Mask})
		}
		a = a.rsh(1)
		b = b.lsh(1)
	}
	return Tnum{accV, 0}.add(accM)
}

// join is the smallest tnum holding both.
func (a Tnum) join(b Tnum) Tnum {
	mu := a.Mask | b.Mask | (a.Value ^ b.Value)
	return Tnum{a.Value &^ mu, mu}
}

// meet intersects two tnums; ok is false if they share no value.
func (a Tnum) meet(b Tnum) (Tnum, bool) {
	if (a.Value^b.Value)&^(a.Mask|b.Mask) != 0 {
		return Tnum{}, false
	}
	v := a.Value | b.Value
	mu := a.Mask & b.Mask
	return Tnum{v &^ mu, mu}, true
}

func (a Tnum) isConst() bool { return a.Mask == 0 }

// Num is an abstract 64-bit number: a signed interval, an unsigned interval
// and known bits, all holding at once. The three views refine each other
// (sync), which is what lets a signed comparison bound an unsigned index.
// A Num is never empty: operations that could produce an empty one return
// ok=false instead, meaning the path is infeasible.
type Num struct {
	SMin, SMax int64
	UMin, UMax uint64
	T          Tnum
}

// NumTop is any 64-bit value.
var NumTop = Num{SMin: math.MinInt64, SMax: math.MaxInt64, UMax: math.MaxUint64, T: tnumUnknown}

// NumConst is exactly v.
func NumConst(v uint64) Num {
	return Num{SMin: int64(v), SMax: int64(v), UMin: v, UMax: v, T: tnumConst(v)}
}

// NumURange is any value in the unsigned range [lo, hi].
func NumURange(lo, hi uint64) Num {
	n, _ := NumTop.meetU(lo, hi)
	return n
}

// NumSRange is any value in the signed range [lo, hi].
func NumSRange(lo, hi int64) Num {
	n := NumTop
	n.SMin, n.SMax = lo, hi
	n, _ = n.sync()
	return n
}

// numWidth is any zero-extended value of w bytes.
func numWidth(w int) Num {
	if w >= 8 {
		return NumTop
	}
	return NumURange(0, 1<<(8*w)-1)
}

// IsConst reports whether n is a single value.
func (n Num) IsConst() bool { return n.UMin == n.UMax }

// Contains reports whether v is among n's values (as far as the domain knows).
func (n Num) Contains(v uint64) bool {
	return v >= n.UMin && v <= n.UMax && int64(v) >= n.SMin && int64(v) <= n.SMax &&
		v&^n.T.Mask == n.T.Value
}

func (n Num) String() string {
	if n.IsConst() {
		if int64(n.UMin) < 0 && int64(n.UMin) > -1<<20 {
			return fmt.Sprint(int64(n.UMin))
		}
		return fmt.Sprint(n.UMin)
	}
	s := fmt.Sprintf("[%s,%s]", fmtS(n.SMin), fmtS(n.SMax))
	if n.SMin < 0 || uint64(n.SMax) != n.UMax || uint64(n.SMin) != n.UMin {
		s += fmt.Sprintf(" u[%d,%s]", n.UMin, fmtU(n.UMax))
	}
	return s
}

func fmtS(v int64) string {
	switch v {
	case math.MinInt64:
		return "-oo"
	case math.MaxInt64:
		return "+oo"
	}
	return fmt.Sprint(v)
}

func fmtU(v uint64) string {
	if v == math.MaxUint64 {
		return "+oo"
	}
	return fmt.Sprint(v)
}

// sync makes the three views agree, as the Linux verifier's
// reg_bounds_sync does. ok is false if n holds no value.
func (n Num) sync() (Num, bool) {
	for range 2 {
		// Known bits bound both intervals.
		n.UMin = max(n.UMin, n.T.Value)
		n.UMax = min(n.UMax, n.T.Value|n.T.Mask)
		const sign = 1 << 63
		n.SMin = max(n.SMin, int64(n.T.Value|(n.T.Mask&sign)))
		n.SMax = min(n.SMax, int64(n.T.Value|(n.T.Mask&^sign)))
		// A signed range that does not cross zero is an unsigned one.
		if n.SMin >= 0 || n.SMax < 0 {
			n.UMin = max(n.UMin, uint64(n.SMin))
			n.UMax = min(n.UMax, uint64(n.SMax))
		}
		// An unsigned range within one half is a signed one.
		if int64(n.UMin) <= int64(n.UMax) {
			n.SMin = max(n.SMin, int64(n.UMin))
			n.SMax = min(n.SMax, int64(n.UMax))
		}
		// Low known bits make the bounds round to the nearest value
		// they allow (a multiple of 4 in [0,255] is at most 252).
		if k := bits.TrailingZeros64(n.T.Mask); k > 0 && k < 64 {
			n = n.roundToLowBits(uint(k))
		}
		if n.UMin > n.UMax || n.SMin > n.SMax {
			return n, false
		}
		t, ok := n.T.meet(tnumRange(n.UMin, n.UMax))
		if !ok {
			return n, false
		}
		n.T = t
	}
	if n.UMin > n.UMax || n.SMin > n.SMax {
		return n, false
	}
	return n, true
}

// roundToLowBits moves each bound inward to the nearest value whose low k
// bits equal the known ones (k < 64). A bound that would move past the
// end of its range makes the Num empty (the caller sees UMin > UMax).
func (n Num) roundToLowBits(k uint) Num {
	m := uint64(1)<<k - 1
	want := n.T.Value & m
	if d := (want - n.UMin) & m; d != 0 {
		if n.UMin+d < n.UMin {
			n.UMin, n.UMax = 1, 0
			return n
		}
		n.UMin += d
	}
	if d := (n.UMax - want) & m; d != 0 {
		if n.UMax < d {
			n.UMin, n.UMax = 1, 0
			return n
		}
		n.UMax -= d
	}
	if d := (want - uint64(n.SMin)) & m; d != 0 {
		if v, o := addOverflowS(n.SMin, int64(d)); o {
			n.SMin, n.SMax = 1, 0
		} else {
			n.SMin = v
		}
	}
	if d := (uint64(n.SMax) - want) & m; d != 0 {
		if v, o := subOverflowS(n.SMax, int64(d)); o {
			n.SMin, n.SMax = 1, 0
		} else {
			n.SMax = v
		}
	}
	return n
}

func (n Num) meetU(lo, hi uint64) (Num, bool) {
	n.UMin = max(n.UMin, lo)
	n.UMax = min(n.UMax, hi)
	if n.UMin > n.UMax {
		return n, false
	}
	return n.sync()
}

func (n Num) meetS(lo, hi int64) (Num, bool) {
	n.SMin = max(n.SMin, lo)
	n.SMax = min(n.SMax, hi)
	if n.SMin > n.SMax {
		return n, false
	}
	return n.sync()
}

// Meet intersects two numbers; ok is false if they share no value.
func (n Num) Meet(m Num) (Num, bool) {
	t, ok := n.T.meet(m.T)
	if !ok {
		return n, false
	}
	n.T = t
	n, ok = n.meetU(m.UMin, m.UMax)
	if !ok {
		return n, false
	}
	return n.meetS(m.SMin, m.SMax)
}

// Join is the smallest Num holding both.
func (n Num) Join(m Num) Num {
	r := Num{SMin: min(n.SMin, m.SMin), SMax: max(n.SMax, m.SMax),
		UMin: min(n.UMin, m.UMin), UMax: max(n.UMax, m.UMax), T: n.T.join(m.T)}
	r, _ = r.sync()
	return r
}

// Widen extrapolates a growing sequence so that the fixpoint is reached in
// few steps: every bound that moved jumps to the next threshold.
func (n Num) Widen(m Num) Num { return n.widenT(m, nil) }

// thresholds are the constants a program compares against (and their
// neighbours): widening stops at them first, so that a loop bounded by
// "i < 100" keeps the bound 100 at its head.
type thresholds struct{ up []uint64 }

func (th *thresholds) next(v uint64) (uint64, bool) {
	if th == nil {
		return 0, false
	}
	for _, t := range th.up {
		if t >= v {
			return t, true
		}
	}
	return 0, false
}

func (n Num) widenT(m Num, th *thresholds) Num {
	r := n.Join(m)
	if r.SMin < n.SMin {
		r.SMin = widenDownS(r.SMin)
	}
	if r.SMax > n.SMax {
		s := widenUpS(r.SMax)
		if t, ok := th.next(uint64(r.SMax)); ok && r.SMax >= 0 && t <= uint64(s) {
			s = int64(t)
		}
		r.SMax = s
	}
	if r.UMin < n.UMin {
		r.UMin = 0
	}
	if r.UMax > n.UMax {
		u := widenUpU(r.UMax)
		if t, ok := th.next(r.UMax); ok && t < u {
			u = t
		}
		r.UMax = u
	}
	// Known bits form a lattice of finite height (at most 64 bits can
	// become unknown), but the interval widened past the known high bits:
	// keep only the low known bits (a congruence modulo a power of two,
	// e.g. "a multiple of 4" for a counter stepping by 4).
	r.T = lowBits(n.T.join(m.T))
	r, _ = r.sync()
	return r
}

// lowBits keeps the trailing known bits of t (those below its lowest
// unknown bit) and makes every other bit unknown.
func lowBits(t Tnum) Tnum {
	k := bits.TrailingZeros64(t.Mask)
	if k >= 64 {
		k = 63
	}
	low := uint64(1)<<k - 1
	return Tnum{t.Value & low, ^low}
}

// Widening thresholds: the extremes of the integer widths programs use, so
// that a value masked or compared against such a width keeps its bound.
var thresholdsU = []uint64{0xff, 0xffff, math.MaxInt32, math.MaxUint32, math.MaxInt64, math.MaxUint64}

func widenUpU(v uint64) uint64 {
	for _, t := range thresholdsU {
		if v <= t {
			return t
		}
	}
	return math.MaxUint64
}

func widenUpS(v int64) int64 {
	if v < 0 {
		return -1
	}
	return int64(min(widenUpU(uint64(v)), math.MaxInt64))
}

func widenDownS(v int64) int64 {
	if v >= 0 {
		return 0
	}
	for _, t := range []int64{-0x80, -0x8000, math.MinInt32} {
		if v >= t {
			return t
		}
	}
	return math.MinInt64
}

// Leq reports whether every value of n is one of m's (n ⊑ m).
func (n Num) Leq(m Num) bool {
	return n.SMin >= m.SMin && n.SMax <= m.SMax && n.UMin >= m.UMin && n.UMax <= m.UMax &&
		n.T.Mask&^m.T.Mask == 0 && (n.T.Value^m.T.Value)&^m.T.Mask == 0
}

// trunc32 keeps the low 32 bits, zero-extended, as a 32-bit ALU result is.
func (n Num) trunc32() Num {
	if n.UMax <= math.MaxUint32 {
		return n
	}
	t := Tnum{n.T.Value & math.MaxUint32, n.T.Mask & math.MaxUint32}
	r := Num{SMin: 0, SMax: math.MaxUint32, UMin: 0, UMax: math.MaxUint32, T: t}
	if n.UMin>>32 == n.UMax>>32 {
		r.UMin, r.UMax = n.UMin&math.MaxUint32, n.UMax&math.MaxUint32
	}
	r, _ = r.sync()
	return r
}

// sext sign-extends the low w bytes.
func (n Num) sext(w int) Num {
	if w >= 8 {
		return n
	}
	b := uint(8 * w)
	if n.IsConst() {
		return NumConst(uint64(int64(n.UMin<<(64-b)) >> (64 - b)))
	}
	if n.UMax < 1<<(b-1) {
		return n
	}
	lo := -(int64(1) << (b - 1))
	return NumSRange(lo, -lo-1)
}

func addOverflowS(a, b int64) (int64, bool) {
	c := a + b
	return c, (a >= 0) == (b >= 0) && (c >= 0) != (a >= 0)
}

func subOverflowS(a, b int64) (int64, bool) {
	c := a - b
	return c, (a >= 0) != (b >= 0) && (c >= 0) != (a >= 0)
}

func numAdd(a, b Num) Num {
	r := NumTop
	r.T = a.T.add(b.T)
	if hi, c := bits.Add64(a.UMax, b.UMax, 0); c == 0 {
		r.UMin, r.UMax = a.UMin+b.UMin, hi
	}
	lo, o1 := addOverflowS(a.SMin, b.SMin)
	hi, o2 := addOverflowS(a.SMax, b.SMax)
	if !o1 && !o2 {
		r.SMin, r.SMax = lo, hi
	}
	r, _ = r.sync()
	return r
}

func numSub(a, b Num) Num {
	r := NumTop
	r.T = a.T.sub(b.T)
	if a.UMin >= b.UMax {
		r.UMin, r.UMax = a.UMin-b.UMax, a.UMax-b.UMin
	}
	lo, o1 := subOverflowS(a.SMin, b.SMax)
	hi, o2 := subOverflowS(a.SMax, b.SMin)
	if !o1 && !o2 {
		r.SMin, r.SMax = lo, hi
	}
	r, _ = r.sync()
	return r
}

func numMul(a, b Num) Num {
	r := NumTop
	r.T = a.T.mul(b.T)
	if a.UMax <= math.MaxUint32 && b.UMax <= math.MaxUint32 {
		r.UMin, r.UMax = a.UMin*b.UMin, a.UMax*b.UMax
	}
	r, _ = r.sync()
	return r
}

// aluOp names the binary operations of the numeric domain.
type aluOp int

const (
	opAdd aluOp = iota
	opSub
	opMul
	opDiv
	opSDiv
	opMod
	opSMod
	opOr
	opAnd
	opXor
	opLsh
	opRsh
	opArsh
)

// evalALU computes an operation on concrete values with eBPF's exact
// semantics: division by zero gives 0, modulo by zero keeps the dividend,
// INT_MIN / -1 wraps, shift counts are masked.
func evalALU(op aluOp, a, b uint64, is32 bool) uint64 {
	if is32 {
		a, b = a&math.MaxUint32, b&math.MaxUint32
	}
	var r uint64
	switch op {
	case opAdd:
		r = a + b
	case opSub:
		r = a - b
	case opMul:
		r = a * b
	case opDiv:
		if b != 0 {
			r = a / b
		}
	case opMod:
		r = a
		if b != 0 {
			r = a % b
		}
	case opSDiv, opSMod:
		x, y := int64(a), int64(b)
		if is32 {
			x, y = int64(int32(a)), int64(int32(b))
		}
		switch {
		case y == 0 && op == opSDiv:
			r = 0
		case y == 0:
			r = a
		case y == -1 && op == opSDiv:
			r = uint64(-x)
		case y == -1:
			r = 0
		case op == opSDiv:
			r = uint64(x / y)
		default:
			r = uint64(x % y)
		}
	case opOr:
		r = a | b
	case opAnd:
		r = a & b
	case opXor:
		r = a ^ b
	case opLsh, opRsh, opArsh:
		k := uint(b & 63)
		if is32 {
			k = uint(b & 31)
		}
		switch {
		case op == opLsh:
			r = a << k
		case op == opRsh:
			r = a >> k
		case is32:
			r = uint64(uint32(int32(a) >> k))
		default:
			r = uint64(int64(a) >> k)
		}
	}
	if is32 {
		r &= math.MaxUint32
	}
	return r
}

// numALU is the abstract counterpart of evalALU.
func numALU(op aluOp, a, b Num, is32 bool) Num {
	if is32 {
		a, b = a.trunc32(), b.trunc32()
	}
	if a.IsConst() && b.IsConst() {
		return NumConst(evalALU(op, a.UMin, b.UMin, is32))
	}
	var r Num
	switch op {
	case opAdd:
		r = numAdd(a, b)
	case opSub:
		r = numSub(a, b)
	case opMul:
		r = numMul(a, b)
	case opDiv:
		// x / 0 = 0 and x / d <= x.
		lo := uint64(0)
		if b.UMin > 0 {
			lo = a.UMin / b.UMax
		}
		r = NumURange(lo, a.UMax/max(b.UMin, 1))
	case opMod:
		// x % 0 = x and x % d < d, x % d <= x.
		if a.UMax < b.UMin {
			r = a
		} else if b.UMin == 0 {
			r = NumURange(0, a.UMax)
		} else {
			r = NumURange(0, min(a.UMax, b.UMax-1))
		}
	case opSDiv, opSMod:
		r = NumTop
		if is32 {
			r = numWidth(4)
		}
		if op == opSMod && a.SMin >= 0 && b.SMin > 0 && (!is32 || a.UMax <= math.MaxInt32 && b.UMax <= math.MaxInt32) {
			r = NumURange(0, min(a.UMax, b.UMax-1))
		}
		if op == opSDiv && a.SMin >= 0 && b.SMin > 0 && (!is32 || a.UMax <= math.MaxInt32 && b.UMax <= math.MaxInt32) {
			r = NumURange(a.UMin/b.UMax, a.UMax/b.UMin)
		}
	case opAnd:
		r = NumTop
		r.T = a.T.and(b.T)
		r.UMax = min(a.UMax, b.UMax)
		if a.SMin >= 0 || b.SMin >= 0 {
			r.SMin = 0
		}
		r, _ = r.sync()
	case opOr:
		r = NumTop
		r.T = a.T.or(b.T)
		r.UMin = max(a.UMin, b.UMin)
		r, _ = r.sync()
	case opXor:
		r = NumTop
		r.T = a.T.xor(b.T)
		r, _ = r.sync()
	case opLsh, opRsh, opArsh:
		width := uint64(64)
		if is32 {
			width = 32
		}
		if !b.IsConst() {
			// The masked count is unknown; only rsh keeps a bound.
			r = NumTop
			if op == opRsh {
				r = NumURange(0, a.UMax)
			}
			if a.IsConst() && a.UMin == 0 {
				r = NumConst(0)
			}
			break
		}
		k := uint(b.UMin & (width - 1))
		switch op {
		case opLsh:
			r = NumTop
			r.T = a.T.lsh(k)
			if k == 0 || a.UMax < 1<<(64-k) {
				r.UMin, r.UMax = a.UMin<<k, a.UMax<<k
			}
			r, _ = r.sync()
		case opRsh:
			r = NumURange(a.UMin>>k, a.UMax>>k)
			if t, ok := r.T.meet(a.T.rsh(k)); ok {
				r.T = t
				r, _ = r.sync()
			}
		case opArsh:
			if is32 {
				s := a.sext(4)
				r = NumSRange(s.SMin>>k, s.SMax>>k)
			} else {
				r = NumSRange(a.SMin>>k, a.SMax>>k)
				if t, ok := r.T.meet(a.T.arsh(k)); ok {
					r.T = t
					r, _ = r.sync()
				}
			}
		}
	}
	if is32 {
		r = r.trunc32()
	}
	return r
}

// bswap reverses the low w bytes (zero-extending the result).
func bswap(v uint64, w int) uint64 {
	switch w {
	case 2:
		return uint64(bits.ReverseBytes16(uint16(v)))
	case 4:
		return uint64(bits.ReverseBytes32(uint32(v)))
	}
	return bits.ReverseBytes64(v)
}
