// Package prevailtest runs PREVAIL's YAML verifier suite
// (../shared/verifier-tests) through package verifier: it reads the suite's
// regular YAML layout, assembles PREVAIL's assembly syntax into bytecode,
// translates the `pre` constraints into a verifier.EntryState, and builds
// the fixed harness environment the suite assumes (a 64-byte context with
// packet data at ctx+0 and its end at ctx+4, Linux helpers, one map with
// key 4, value 4 and 4 entries).
package prevailtest

import (
	"encoding/binary"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/bpf2native/bpf2native/ir"
)

// Block is one labelled block of a case's code.
type Block struct {
	Label string
	Lines []string
}

// Program is an assembled case: its instructions, resolved, and the map
// indices its lddw instructions name.
type Program struct {
	Prog *ir.Program
}

type rawInsn struct {
	op       byte
	dst, src byte
	off      int16
	imm      int32
	// wide is an lddw; imm2 is its second slot's immediate.
	wide bool
	imm2 int32
	// target is the label a jump or local call reaches; sink marks the
	// jump of an `assume`, which leaves the path.
	target string
	sink   bool
	// mapIdx is the map an lddw of a map names (-1: none, -2: invalid).
	mapIdx int
}

// Assemble turns the blocks into a program. `assume c` becomes a jump on
// "not c" to a sink that ends the path (`r0 = 0; exit`, appended to every
// function), which is exactly "continue only where c holds". Code that
// runs off the end of a function also reaches the sink: the harness needs
// no exit instruction. The error says which line is malformed.
func Assemble(name string, blocks []Block) (*ir.Program, error) {
	// Functions start at <start> and at every local call target.
	callTargets := map[string]bool{}
	for _, b := range blocks {
		for _, l := range b.Lines {
			if m := reCallLabel.FindStringSubmatch(l); m != nil {
				callTargets[m[1]] = true
			}
		}
	}
	var insns []rawInsn
	labels := map[string]int{} // label → slot
	var pendingSink []int      // insns jumping to the current function's sink
	slot := 0
	closeFunc := func() {
		for _, k := range pendingSink {
			insns[k].off = int16(slot - (slotOf(insns, k) + 1))
		}
		pendingSink = nil
		insns = append(insns, rawInsn{op: 0xb7, mapIdx: -1}, rawInsn{op: 0x95, mapIdx: -1})
		slot += 2
	}
	for bi, b := range blocks {
		if bi > 0 && callTargets[b.Label] {
			closeFunc()
		}
		labels[b.Label] = slot
		for _, l := range b.Lines {
			ris, err := assembleLine(l)
			if err != nil {
				return nil, fmt.Errorf("%s: %q: %w", b.Label, l, err)
			}
			for _, ri := range ris {
				if ri.target == "end" && ri.op != 0x85 {
					// <end> names the function's sink.
					ri.target, ri.sink = "", true
				}
				if ri.sink {
					pendingSink = append(pendingSink, len(insns))
				}
				insns = append(insns, ri)
				slot++
				if ri.wide {
					slot++
				}
			}
		}
	}
	closeFunc()
	// Resolve labels.
	for k := range insns {
		ri := &insns[k]
		if ri.target == "" {
			continue
		}
		t, ok := labels[ri.target]
		if !ok {
			return nil, fmt.Errorf("unknown label <%s>", ri.target)
		}
		rel := t - (slotOf(insns, k) + 1)
		if ri.op == 0x85 {
			ri.imm = int32(rel)
		} else {
			ri.off = int16(rel)
		}
	}
	var code []byte
	for _, ri := range insns {
		code = append(code, encode(ri.op, ri.dst, ri.src, ri.off, ri.imm)...)
		if ri.wide {
			code = append(code, encode(0, 0, 0, 0, ri.imm2)...)
		}
	}
	dec, err := ir.Decode(code)
	if err != nil {
		return nil, err
	}
	names := map[int]string{}
	for k := range dec {
		for l, s := range labels {
			if s == dec[k].Slot && callTargets[l] {
				names[k] = l
			}
		}
	}
	p, err := ir.NewProgram(name, dec, names)
	if err != nil {
		return nil, err
	}
	// Bind map loads: the harness has one data map (index 0) and one
	// program array (index 1).
	for k := range dec {
		ri := insns[k]
		if ri.mapIdx == -2 {
			p.Insns[k].Map = ir.NoMap
		} else if ri.mapIdx >= 0 {
			p.Insns[k].Map = ri.mapIdx
		}
	}
	return p, nil
}

func slotOf(insns []rawInsn, k int) int {
	s := 0
	for j := 0; j < k; j++ {
		s++
		if insns[j].wide {
			s++
		}
	}
	return s
}

func encode(op, dst, src byte, off int16, imm int32) []byte {
	b := make([]byte, 8)
	b[0] = op
	b[1] = dst | src<<4
	binary.LittleEndian.PutUint16(b[2:], uint16(off))
	binary.LittleEndian.PutUint32(b[4:], uint32(imm))
	return b
}

var (
	reCallLabel = regexp.MustCompile(`^call <([^>]+)>$`)
	reReg       = `([rw])(\d+)`
	reImm       = `(-?(?:0x[0-9a-fA-F]+|\d+))`
	reOperand   = `(?:` + reReg + `|` + reImm + `)`
	reALU       = regexp.MustCompile(`^` + reReg + ` ?(s?[-+*/%|&^]|<<|>>|s>>|s/|s%)= ?` + reOperand + `$`)
	reMov       = regexp.MustCompile(`^` + reReg + ` ?= ?` + reOperand + `$`)
	reMovSX     = regexp.MustCompile(`^` + reReg + ` s(8|16|32)= ` + reReg + `$`)
	reNeg       = regexp.MustCompile(`^` + reReg + ` = - ?` + reReg + `$`)
	reEndian    = regexp.MustCompile(`^` + reReg + ` = (be|le|swap)(16|32|64) ` + reReg + `$`)
	reLddw      = regexp.MustCompile(`^` + reReg + ` = ` + reImm + `ll$`)
	reMapFD     = regexp.MustCompile(`^` + reReg + ` = map_fd (\d+)$`)
	reMapVal    = regexp.MustCompile(`^` + reReg + ` = map_val\((\d+)\) \+ (\d+)$`)
	reMapIdx    = regexp.MustCompile(`^` + reReg + ` = map_by_idx\((\d+)\)$`)
	reMapIdxVal = regexp.MustCompile(`^` + reReg + ` = mva\(map_by_idx\((\d+)\)\) \+ (\d+)$`)
	reLoad      = regexp.MustCompile(`^` + reReg + ` = \*\(([us])(8|16|32|64) \*\)\(` + reReg + ` ([-+]) (\d+)\)$`)
	reStore     = regexp.MustCompile(`^\*\(u(8|16|32|64) \*\)\(` + reReg + ` ([-+]) (\d+)\) = ` + reOperand + `$`)
	reAtomic    = regexp.MustCompile(`^lock \*\(u(32|64) \*\)\(` + reReg + ` ([-+]) (\d+)\) (\+|\||&|\^|x|cx)= ` + reReg + `( fetch)?$`)
	reLegacy    = regexp.MustCompile(`^r0 = \*\(u(8|16|32) \*\)skb\[(?:` + reReg + `|(\d+))\]$`)
	reJump      = regexp.MustCompile(`^(if|assume) ` + reReg + ` (==|!=|<|<=|>|>=|s<|s<=|s>|s>=|&==|&!=) ` + reOperand + `(?: goto <([^>]+)>)?$`)
	reGoto      = regexp.MustCompile(`^goto <([^>]+)>$`)
	reCall      = regexp.MustCompile(`^call (\d+)$`)
	reCallx     = regexp.MustCompile(`^callx ` + reReg + `$`)
)

var aluCodes = map[string]struct {
	op  byte
	off int16
}{
	"+": {0x00, 0}, "-": {0x10, 0}, "*": {0x20, 0}, "/": {0x30, 0}, "|": {0x40, 0}, "&": {0x50, 0},
	"<<": {0x60, 0}, ">>": {0x70, 0}, "%": {0x90, 0}, "^": {0xa0, 0}, "s>>": {0xc0, 0},
	"s/": {0x30, 1}, "s%": {0x90, 1},
}

var jumpCodes = map[string]byte{"==": 0x10, ">": 0x20, ">=": 0x30, "&!=": 0x40, "!=": 0x50, "s>": 0x60,
	"s>=": 0x70, "<": 0xa0, "<=": 0xb0, "s<": 0xc0, "s<=": 0xd0}

// negated gives the jump taken when the condition fails (for assume).
var negated = map[string]string{"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">",
	"s<": "s>=", "s>=": "s<", "s>": "s<=", "s<=": "s>", "&!=": "&==", "&==": "&!="}

func reg(s string) (byte, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n > 10 {
		return 0, fmt.Errorf("bad register %s", s)
	}
	return byte(n), nil
}

func parseImm(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		return 0, err
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

func sizeCode(bits string) byte {
	return map[string]byte{"8": 0x10, "16": 0x08, "32": 0x00, "64": 0x18}[bits]
}

func fitsImm(v int64) bool { return v >= math.MinInt32 && v <= math.MaxInt32 }

func assembleLine(l string) ([]rawInsn, error) {
	ri := rawInsn{mapIdx: -1}
	var err error
	r := func(s string) byte {
		v, e := reg(s)
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	imm := func(s string) int64 {
		v, e := parseImm(s)
		if e != nil && err == nil {
			err = e
		}
		return v
	}
	cls := func(w string, c32, c64 byte) byte {
		if w == "w" {
			return c32
		}
		return c64
	}
	switch {
	case l == "exit":
		ri.op = 0x95
	case reGoto.MatchString(l):
		m := reGoto.FindStringSubmatch(l)
		ri.op, ri.target = 0x05, m[1]
	case reCallLabel.MatchString(l):
		m := reCallLabel.FindStringSubmatch(l)
		ri.op, ri.src, ri.target = 0x85, 1, m[1]
	case reCall.MatchString(l):
		m := reCall.FindStringSubmatch(l)
		ri.op, ri.imm = 0x85, int32(imm(m[1]))
	case reCallx.MatchString(l):
		m := reCallx.FindStringSubmatch(l)
		ri.op, ri.dst = 0x8d, r(m[2])
	case reLddw.MatchString(l):
		m := reLddw.FindStringSubmatch(l)
		v := imm(m[3])
		ri.op, ri.dst, ri.wide, ri.imm, ri.imm2 = 0x18, r(m[2]), true, int32(v), int32(uint64(v)>>32)
	case reMapFD.MatchString(l):
		m := reMapFD.FindStringSubmatch(l)
		ri.op, ri.dst, ri.src, ri.wide, ri.imm, ri.mapIdx = 0x18, r(m[2]), 1, true, int32(imm(m[3])), 0
	case reMapIdx.MatchString(l):
		m := reMapIdx.FindStringSubmatch(l)
		ri.op, ri.dst, ri.src, ri.wide, ri.imm = 0x18, r(m[2]), 5, true, int32(imm(m[3]))
		ri.mapIdx = mapByIdx(imm(m[3]))
	case reMapVal.MatchString(l):
		m := reMapVal.FindStringSubmatch(l)
		ri.op, ri.dst, ri.src, ri.wide, ri.imm, ri.imm2, ri.mapIdx = 0x18, r(m[2]), 2, true, int32(imm(m[3])), int32(imm(m[4])), 0
	case reMapIdxVal.MatchString(l):
		m := reMapIdxVal.FindStringSubmatch(l)
		ri.op, ri.dst, ri.src, ri.wide, ri.imm, ri.imm2 = 0x18, r(m[2]), 6, true, int32(imm(m[3])), int32(imm(m[4]))
		ri.mapIdx = mapByIdx(imm(m[3]))
	case reMovSX.MatchString(l):
		m := reMovSX.FindStringSubmatch(l)
		ri.op, ri.dst, ri.src, ri.off = cls(m[1], 0xbc, 0xbf), r(m[2]), r(m[5]), int16(imm(m[3]))
	case reNeg.MatchString(l):
		m := reNeg.FindStringSubmatch(l)
		if m[2] != m[4] {
			return nil, fmt.Errorf("negation source must be the destination")
		}
		ri.op, ri.dst = cls(m[1], 0x84, 0x87), r(m[2])
	case reEndian.MatchString(l):
		m := reEndian.FindStringSubmatch(l)
		if m[2] != m[6] {
			return nil, fmt.Errorf("byte swap source must be the destination")
		}
		ri.dst, ri.imm = r(m[2]), int32(imm(m[4]))
		switch m[3] {
		case "le":
			ri.op = 0xd4
		case "be":
			ri.op = 0xdc
		case "swap":
			ri.op = 0xd7
		}
	case reMov.MatchString(l):
		m := reMov.FindStringSubmatch(l)
		ri.dst = r(m[2])
		if m[3] != "" {
			ri.op, ri.src = cls(m[1], 0xbc, 0xbf), r(m[4])
		} else {
			v := imm(m[5])
			if !fitsImm(v) && m[1] == "r" {
				ri.op, ri.wide, ri.imm, ri.imm2 = 0x18, true, int32(v), int32(uint64(v)>>32)
			} else {
				ri.op, ri.imm = cls(m[1], 0xb4, 0xb7), int32(v)
			}
		}
	case reALU.MatchString(l):
		m := reALU.FindStringSubmatch(l)
		c, ok := aluCodes[m[3]]
		if !ok {
			return nil, fmt.Errorf("unknown operator %s=", m[3])
		}
		ri.dst, ri.off = r(m[2]), c.off
		if m[4] != "" {
			ri.op, ri.src = c.op|0x08|cls(m[1], 0x04, 0x07), r(m[5])
		} else {
			ri.op, ri.imm = c.op|cls(m[1], 0x04, 0x07), int32(imm(m[6]))
		}
	case reLoad.MatchString(l):
		m := reLoad.FindStringSubmatch(l)
		mode := byte(0x60)
		if m[3] == "s" {
			mode = 0x80
		}
		off := imm(m[8])
		if m[7] == "-" {
			off = -off
		}
		ri.op, ri.dst, ri.src, ri.off = 0x01|mode|sizeCode(m[4]), r(m[2]), r(m[6]), int16(off)
	case reStore.MatchString(l):
		m := reStore.FindStringSubmatch(l)
		off := imm(m[5])
		if m[4] == "-" {
			off = -off
		}
		ri.dst, ri.off = r(m[3]), int16(off)
		if m[6] != "" {
			ri.op, ri.src = 0x63|sizeCode(m[1]), r(m[7])
		} else {
			ri.op, ri.imm = 0x62|sizeCode(m[1]), int32(imm(m[8]))
		}
	case reAtomic.MatchString(l):
		m := reAtomic.FindStringSubmatch(l)
		off := imm(m[5])
		if m[4] == "-" {
			off = -off
		}
		ri.op, ri.dst, ri.src, ri.off = 0xc3|sizeCode(m[1]), r(m[3]), r(m[8]), int16(off)
		ri.imm = map[string]int32{"+": 0x00, "|": 0x40, "&": 0x50, "^": 0xa0, "x": 0xe1, "cx": 0xf1}[m[6]]
		if m[9] != "" {
			ri.imm |= 1
		}
	case reLegacy.MatchString(l):
		m := reLegacy.FindStringSubmatch(l)
		sz := sizeCode(m[1])
		if m[3] != "" {
			ri.op, ri.src = 0x40|sz, r(m[3])
		} else {
			ri.op, ri.imm = 0x20|sz, int32(imm(m[4]))
		}
	case reJump.MatchString(l):
		m := reJump.FindStringSubmatch(l)
		op := m[4]
		if m[1] == "assume" {
			if m[8] != "" {
				return nil, fmt.Errorf("assume takes no target")
			}
			op = negated[op]
			ri.sink = true
		} else if m[8] == "" {
			return nil, fmt.Errorf("if needs a goto")
		} else {
			ri.target = m[8]
		}
		ri.dst = r(m[3])
		code := jumpCodes[op] | cls(m[2], 0x06, 0x05)
		if op == "&==" {
			// "a & b == 0" has no jump of its own: JSET over a goto.
			code = jumpCodes["&!="] | cls(m[2], 0x06, 0x05)
			j := ri
			j.target, j.sink = "", false
			j.off = 1
			if m[5] != "" {
				j.op, j.src = code|0x08, r(m[6])
			} else {
				j.op, j.imm = code, int32(imm(m[7]))
			}
			g := rawInsn{op: 0x05, target: ri.target, sink: ri.sink, mapIdx: -1}
			return []rawInsn{j, g}, err
		}
		if m[5] != "" {
			ri.op, ri.src = code|0x08, r(m[6])
		} else {
			ri.op, ri.imm = code, int32(imm(m[7]))
		}
	default:
		return nil, fmt.Errorf("unrecognised instruction")
	}
	return []rawInsn{ri}, err
}

func mapByIdx(i int64) int {
	if i != 0 {
		return -2
	}
	return 0
}
