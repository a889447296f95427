package ssa

import (
	"math"
	"math/bits"
)

// This file is the one definition of what the pure ops compute. The
// evaluator runs it and constant folding calls it, so a folded constant
// is by construction what the unfolded op would have produced.
//
// Values are uint64: an I64 as is, an I32 in the low half with the upper
// half zero, a Bool as 0 or 1.

// evalPure computes pure op op on constant arguments. ok is false for ops
// that are not pure functions of their arguments, and for the raw
// divisions on arguments where they are undefined.
func evalPure(op Op, x, y uint64) (r uint64, ok bool) {
	x32, y32 := uint32(x), uint32(y)
	switch op {
	case OpAdd64:
		return x + y, true
	case OpSub64:
		return x - y, true
	case OpMul64:
		return x * y, true
	case OpAnd64:
		return x & y, true
	case OpOr64:
		return x | y, true
	case OpXor64:
		return x ^ y, true
	case OpLsh64:
		return x << (y & 63), true
	case OpRsh64:
		return x >> (y & 63), true
	case OpArsh64:
		return uint64(int64(x) >> (y & 63)), true
	case OpNeg64:
		return -x, true
	case OpRotl64:
		return bits.RotateLeft64(x, int(y&63)), true
	case OpUDiv64:
		if y == 0 {
			return 0, true
		}
		return x / y, true
	case OpUMod64:
		if y == 0 {
			return x, true
		}
		return x % y, true
	case OpSDiv64:
		return sdiv64(x, y), true
	case OpSMod64:
		return smod64(x, y), true
	case OpUDiv64Raw, OpUMod64Raw:
		if y == 0 {
			return 0, false
		}
		return evalPure(op-OpUDiv64Raw+OpUDiv64, x, y)
	case OpSDiv64Raw, OpSMod64Raw:
		if y == 0 || (x == 1<<63 && y == math.MaxUint64) {
			return 0, false
		}
		return evalPure(op-OpUDiv64Raw+OpUDiv64, x, y)

	case OpAdd32:
		return uint64(x32 + y32), true
	case OpSub32:
		return uint64(x32 - y32), true
	case OpMul32:
		return uint64(x32 * y32), true
	case OpAnd32:
		return uint64(x32 & y32), true
	case OpOr32:
		return uint64(x32 | y32), true
	case OpXor32:
		return uint64(x32 ^ y32), true
	case OpLsh32:
		return uint64(x32 << (y32 & 31)), true
	case OpRsh32:
		return uint64(x32 >> (y32 & 31)), true
	case OpArsh32:
		return uint64(uint32(int32(x32) >> (y32 & 31))), true
	case OpRotl32:
		return uint64(bits.RotateLeft32(x32, int(y32&31))), true
	case OpNeg32:
		return uint64(-x32), true
	case OpUDiv32:
		if y32 == 0 {
			return 0, true
		}
		return uint64(x32 / y32), true
	case OpUMod32:
		if y32 == 0 {
			return uint64(x32), true
		}
		return uint64(x32 % y32), true
	case OpSDiv32:
		return uint64(sdiv32(x32, y32)), true
	case OpSMod32:
		return uint64(smod32(x32, y32)), true
	case OpUDiv32Raw, OpUMod32Raw:
		if y32 == 0 {
			return 0, false
		}
		return evalPure(op-OpUDiv32Raw+OpUDiv32, x, y)
	case OpSDiv32Raw, OpSMod32Raw:
		if y32 == 0 || (x32 == 1<<31 && y32 == math.MaxUint32) {
			return 0, false
		}
		return evalPure(op-OpUDiv32Raw+OpUDiv32, x, y)

	case OpZeroExt32to64, OpTrunc64to32:
		return uint64(x32), true
	case OpSignExt8to64:
		return uint64(int64(int8(x))), true
	case OpSignExt16to64:
		return uint64(int64(int16(x))), true
	case OpSignExt32to64:
		return uint64(int64(int32(x))), true
	case OpSignExt8to32:
		return uint64(uint32(int32(int8(x)))), true
	case OpSignExt16to32:
		return uint64(uint32(int32(int16(x)))), true
	case OpBswap16:
		return uint64(bits.ReverseBytes16(uint16(x))), true
	case OpBswap32:
		return uint64(bits.ReverseBytes32(x32)), true
	case OpBswap64:
		return bits.ReverseBytes64(x), true

	case OpEq64:
		return b2u(x == y), true
	case OpNe64:
		return b2u(x != y), true
	case OpUgt64:
		return b2u(x > y), true
	case OpUge64:
		return b2u(x >= y), true
	case OpUlt64:
		return b2u(x < y), true
	case OpUle64:
		return b2u(x <= y), true
	case OpSgt64:
		return b2u(int64(x) > int64(y)), true
	case OpSge64:
		return b2u(int64(x) >= int64(y)), true
	case OpSlt64:
		return b2u(int64(x) < int64(y)), true
	case OpSle64:
		return b2u(int64(x) <= int64(y)), true
	case OpTest64:
		return b2u(x&y != 0), true
	case OpEq32:
		return b2u(x32 == y32), true
	case OpNe32:
		return b2u(x32 != y32), true
	case OpUgt32:
		return b2u(x32 > y32), true
	case OpUge32:
		return b2u(x32 >= y32), true
	case OpUlt32:
		return b2u(x32 < y32), true
	case OpUle32:
		return b2u(x32 <= y32), true
	case OpSgt32:
		return b2u(int32(x32) > int32(y32)), true
	case OpSge32:
		return b2u(int32(x32) >= int32(y32)), true
	case OpSlt32:
		return b2u(int32(x32) < int32(y32)), true
	case OpSle32:
		return b2u(int32(x32) <= int32(y32)), true
	case OpTest32:
		return b2u(x32&y32 != 0), true
	}
	return 0, false
}

// isPureComputation reports whether evalPure defines op.
func isPureComputation(op Op) bool {
	return (op >= OpAdd64 && op <= OpSMod32Raw) || (op >= OpZeroExt32to64 && op <= OpTest32)
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// sdiv64 is eBPF's signed division: by zero gives 0, INT_MIN/-1 wraps.
func sdiv64(x, y uint64) uint64 {
	switch {
	case y == 0:
		return 0
	case y == math.MaxUint64: // -1: negation, which wraps for INT_MIN
		return -x
	}
	return uint64(int64(x) / int64(y))
}

// smod64 is eBPF's signed modulo: by zero keeps the dividend, the sign
// follows the dividend (truncated division), INT_MIN%-1 is 0.
func smod64(x, y uint64) uint64 {
	switch {
	case y == 0:
		return x
	case y == math.MaxUint64:
		return 0
	}
	return uint64(int64(x) % int64(y))
}

func sdiv32(x, y uint32) uint32 {
	switch {
	case y == 0:
		return 0
	case y == math.MaxUint32:
		return -x
	}
	return uint32(int32(x) / int32(y))
}

func smod32(x, y uint32) uint32 {
	switch {
	case y == 0:
		return x
	case y == math.MaxUint32:
		return 0
	}
	return uint32(int32(x) % int32(y))
}
