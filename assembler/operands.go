package assembler

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// number is a parsed numeric literal, kept as sign and magnitude because what a literal
// means depends on the field it goes into: hex is a raw bit pattern, decimal a signed value.
type number struct {
	neg bool
	hex bool
	mag uint64
}

func parseNumber(s string) (number, error) {
	var n number
	digits := s
	switch {
	case strings.HasPrefix(digits, "-"):
		n.neg = true
		digits = digits[1:]
	case strings.HasPrefix(digits, "+"):
		digits = digits[1:]
	}
	base := 10
	if rest, ok := strings.CutPrefix(digits, "0x"); ok {
		n.hex = true
		base = 16
		digits = rest
	}
	mag, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return number{}, fmt.Errorf("invalid number %q", s)
	}
	n.mag = mag
	return n, nil
}

// parseSigned reads a literal for a field of the given width. A non-negative hex literal
// is a raw bit pattern up to the field's unsigned maximum (0xffffffff is -1 in an imm32);
// anything else is a signed value that must fit.
func parseSigned(s string, bits int) (int64, error) {
	n, err := parseNumber(s)
	if err != nil {
		return 0, err
	}
	maxSigned := uint64(1)<<(bits-1) - 1
	switch {
	case n.hex && !n.neg:
		if n.mag > maxSigned*2+1 {
			return 0, fmt.Errorf("%q does not fit in %d bits", s, bits)
		}
		// Reinterpret the pattern as a signed value of the field's width.
		return int64(n.mag<<(64-bits)) >> (64 - bits), nil
	case n.neg:
		if n.mag > maxSigned+1 {
			return 0, fmt.Errorf("%q does not fit in %d signed bits", s, bits)
		}
		return -int64(n.mag), nil
	default:
		if n.mag > maxSigned {
			return 0, fmt.Errorf("%q does not fit in %d signed bits", s, bits)
		}
		return int64(n.mag), nil
	}
}

func parseImm32(s string) (int32, error) {
	v, err := parseSigned(s, 32)
	if err != nil {
		return 0, fmt.Errorf("immediate: %w", err)
	}
	return int32(v), nil
}

func parseOff16(s string) (int16, error) {
	v, err := parseSigned(s, 16)
	if err != nil {
		return 0, fmt.Errorf("offset: %w", err)
	}
	return int16(v), nil
}

// parseImm64 reads lddw's operand: any 64-bit pattern, written unsigned (hex or decimal)
// or as a negative decimal.
func parseImm64(s string) (uint64, error) {
	n, err := parseNumber(s)
	if err != nil {
		return 0, fmt.Errorf("immediate: %w", err)
	}
	if !n.neg {
		return n.mag, nil
	}
	if n.mag > math.MaxInt64+1 {
		return 0, fmt.Errorf("immediate: %q does not fit in 64 bits", s)
	}
	return -n.mag, nil
}

// registers holds the valid register names; %r11..%r15 fit the encoding but are not
// registers, so they are rejected rather than assembled.
var registers = func() map[string]uint8 {
	m := make(map[string]uint8, 11)
	for i := range uint8(11) {
		m[fmt.Sprintf("%%r%d", i)] = i
	}
	return m
}()

func isRegister(s string) bool { return strings.HasPrefix(s, "%") }

func parseRegister(s string) (uint8, error) {
	r, ok := registers[s]
	if !ok {
		return 0, fmt.Errorf("invalid register %q", s)
	}
	return r, nil
}

// parseMemory reads [%rN], [%rN+off] or [%rN-off].
func parseMemory(s string) (reg uint8, off int16, err error) {
	inner, ok := strings.CutPrefix(s, "[")
	if ok {
		inner, ok = strings.CutSuffix(inner, "]")
	}
	if !ok {
		return 0, 0, fmt.Errorf("invalid memory operand %q", s)
	}
	name, offText := inner, ""
	if i := strings.IndexAny(inner, "+-"); i >= 0 {
		name, offText = inner[:i], inner[i:]
	}
	if reg, err = parseRegister(name); err != nil {
		return 0, 0, fmt.Errorf("memory operand %q: %w", s, err)
	}
	if offText == "" {
		return reg, 0, nil
	}
	if off, err = parseOff16(offText); err != nil {
		return 0, 0, fmt.Errorf("memory operand %q: %w", s, err)
	}
	return reg, off, nil
}

// isRelative tells a numeric jump target (+N, -N) from a label name.
func isRelative(s string) bool {
	return strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-")
}
