package assembler

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"
)

// Assemble translates src, one instruction or label per line, into eBPF bytecode: 8
// little-endian bytes per slot, two slots for lddw. A # starts a comment, as in the
// conformance files. Errors name the 1-based line they come from.
func Assemble(src string) ([]byte, error) {
	a := assembly{labels: map[string]label{}}
	for i, text := range strings.Split(src, "\n") {
		if err := a.line(i+1, text); err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
	}
	if err := a.resolve(); err != nil {
		return nil, err
	}
	return a.encode(), nil
}

// slot is one 8-byte instruction slot, fields as RFC 9669 section 3 lays them out.
type slot struct {
	opcode uint8
	dst    uint8
	src    uint8
	off    int16
	imm    int32
}

type label struct {
	slot int // index of the slot the label names
	line int
}

// fixup is a jump or local call whose target label may be defined further down.
type fixup struct {
	slot  int
	line  int
	label string
	inImm bool // ja32 and call local carry the target in imm; other jumps in off
}

type assembly struct {
	slots    []slot
	labels   map[string]label
	fixups   []fixup
	sawExit  bool
	exitSlot int // slot of the first exit, the implicit "exit" label
}

func (a *assembly) line(n int, text string) error {
	if i := strings.IndexByte(text, '#'); i >= 0 {
		text = text[:i]
	}
	tokens := strings.Fields(text)
	if len(tokens) == 0 {
		return nil
	}
	for i, t := range tokens {
		tokens[i] = strings.TrimSuffix(t, ",")
	}
	if name, ok := strings.CutSuffix(tokens[0], ":"); ok {
		return a.defineLabel(n, name, tokens[1:])
	}
	name, ops := tokens[0], tokens[1:]
	if name == "lock" {
		return a.atomic(ops)
	}
	m, ok := mnemonics[name]
	if !ok {
		return fmt.Errorf("unknown mnemonic %q", name)
	}
	if m.form == formCall {
		return a.call(n, ops)
	}
	if want := operandCount[m.form]; len(ops) != want {
		return fmt.Errorf("%s: wrong number of operands (got %d, want %d)", name, len(ops), want)
	}
	if err := a.instruction(n, name, m, ops); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func (a *assembly) defineLabel(n int, name string, rest []string) error {
	if name == "" {
		return errors.New("empty label name")
	}
	if len(rest) > 0 {
		return fmt.Errorf("unexpected %q after label %q", rest[0], name)
	}
	if prev, ok := a.labels[name]; ok {
		return fmt.Errorf("duplicate label %q (first defined on line %d)", name, prev.line)
	}
	a.labels[name] = label{slot: len(a.slots), line: n}
	return nil
}

// instruction encodes every form but call and the atomics; ops has the form's count.
func (a *assembly) instruction(n int, name string, m mnemonic, ops []string) error {
	s := slot{opcode: m.opcode, off: m.off, imm: m.imm}
	var err error
	switch m.form {
	case formALU:
		if s.dst, err = parseRegister(ops[0]); err != nil {
			return err
		}
		err = source(&s, ops[1])
	case formMovSX:
		if s.dst, err = parseRegister(ops[0]); err != nil {
			return err
		}
		if !isRegister(ops[1]) {
			return fmt.Errorf("source must be a register, got %q", ops[1])
		}
		s.src, err = parseRegister(ops[1])
	case formUnary:
		s.dst, err = parseRegister(ops[0])
	case formLddw:
		return a.lddw(s, ops)
	case formLoad:
		if s.dst, err = parseRegister(ops[0]); err != nil {
			return err
		}
		s.src, s.off, err = parseMemory(ops[1])
	case formStoreImm:
		if s.dst, s.off, err = parseMemory(ops[0]); err != nil {
			return err
		}
		s.imm, err = parseImm32(ops[1])
	case formStoreReg:
		if s.dst, s.off, err = parseMemory(ops[0]); err != nil {
			return err
		}
		s.src, err = parseRegister(ops[1])
	case formJump:
		s.off, err = a.offTarget(n, ops[0])
	case formJump32:
		s.imm, err = a.immTarget(n, ops[0])
	case formCondJump:
		if s.dst, err = parseRegister(ops[0]); err != nil {
			return err
		}
		if err = source(&s, ops[1]); err != nil {
			return err
		}
		s.off, err = a.offTarget(n, ops[2])
	case formExit:
		if !a.sawExit {
			a.sawExit, a.exitSlot = true, len(a.slots)
		}
	default:
		panic(fmt.Sprintf("BUG: mnemonic %q has unhandled form %d", name, m.form))
	}
	if err != nil {
		return err
	}
	a.slots = append(a.slots, s)
	return nil
}

// source fills the second operand of ALU and conditional-jump instructions, which is
// either a register (setting the X bit) or an imm32.
func source(s *slot, op string) error {
	var err error
	if isRegister(op) {
		s.opcode |= srcReg
		s.src, err = parseRegister(op)
		return err
	}
	s.imm, err = parseImm32(op)
	return err
}

func (a *assembly) lddw(s slot, ops []string) error {
	var err error
	if s.dst, err = parseRegister(ops[0]); err != nil {
		return err
	}
	v, err := parseImm64(ops[1])
	if err != nil {
		return err
	}
	s.imm = int32(uint32(v))
	a.slots = append(a.slots, s, slot{imm: int32(uint32(v >> 32))})
	return nil
}

// atomic encodes "lock [fetch] OP[32] [%dst+off], %src".
func (a *assembly) atomic(ops []string) error {
	fetch := len(ops) > 0 && ops[0] == "fetch"
	if fetch {
		ops = ops[1:]
	}
	if len(ops) != 3 {
		return fmt.Errorf("lock: want [fetch] OP [%%rN+off], %%rN, got %q", strings.Join(ops, " "))
	}
	op, is32 := strings.CutSuffix(ops[0], "32")
	imm, ok := atomicOps[op]
	if !ok {
		return fmt.Errorf("unknown atomic operation %q", ops[0])
	}
	if fetch {
		imm |= atomicFetch
	}
	s := slot{opcode: classSTX | modeATOMIC | sizeDW, imm: imm}
	if is32 {
		s.opcode = classSTX | modeATOMIC | sizeW
	}
	var err error
	if s.dst, s.off, err = parseMemory(ops[1]); err != nil {
		return fmt.Errorf("lock %s: %w", ops[0], err)
	}
	if s.src, err = parseRegister(ops[2]); err != nil {
		return fmt.Errorf("lock %s: %w", ops[0], err)
	}
	a.slots = append(a.slots, s)
	return nil
}

// call encodes "call N", "call %rN" and "call helper|local|runtime X".
func (a *assembly) call(n int, ops []string) error {
	kind, arg := "helper", ""
	switch len(ops) {
	case 1:
		arg = ops[0]
	case 2:
		kind, arg = ops[0], ops[1]
	default:
		return fmt.Errorf("call: wrong number of operands (got %d, want 1 or 2)", len(ops))
	}
	s := slot{opcode: classJMP | opCall}
	var err error
	switch kind {
	case "helper":
		if isRegister(arg) {
			// callx: the register goes in dst, as LLVM and bpf_conformance encode it.
			s.opcode |= srcReg
			s.dst, err = parseRegister(arg)
		} else {
			s.imm, err = parseImm32(arg)
		}
	case "local":
		s.src = 1
		s.imm, err = a.immTarget(n, arg)
	case "runtime":
		s.src = 2
		s.imm, err = parseImm32(arg)
	default:
		return fmt.Errorf("call: unknown kind %q (want helper, local or runtime)", kind)
	}
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	a.slots = append(a.slots, s)
	return nil
}

// offTarget reads a jump target for the off16 field of the slot about to be appended:
// +N/-N directly, a label through a fixup.
func (a *assembly) offTarget(n int, target string) (int16, error) {
	if isRelative(target) {
		return parseOff16(target)
	}
	a.fixups = append(a.fixups, fixup{slot: len(a.slots), line: n, label: target})
	return 0, nil
}

// immTarget is offTarget for the imm32 field (ja32, call local).
func (a *assembly) immTarget(n int, target string) (int32, error) {
	if isRelative(target) {
		return parseImm32(target)
	}
	a.fixups = append(a.fixups, fixup{slot: len(a.slots), line: n, label: target, inImm: true})
	return 0, nil
}

func (a *assembly) resolve() error {
	if _, ok := a.labels["exit"]; !ok && a.sawExit {
		a.labels["exit"] = label{slot: a.exitSlot}
	}
	for _, f := range a.fixups {
		l, ok := a.labels[f.label]
		if !ok {
			return fmt.Errorf("line %d: undefined label %q", f.line, f.label)
		}
		rel := l.slot - (f.slot + 1)
		s := &a.slots[f.slot]
		switch {
		case f.inImm && rel >= math.MinInt32 && rel <= math.MaxInt32:
			s.imm = int32(rel)
		case !f.inImm && rel >= math.MinInt16 && rel <= math.MaxInt16:
			s.off = int16(rel)
		default:
			return fmt.Errorf("line %d: label %q is %d slots away, out of range", f.line, f.label, rel)
		}
	}
	return nil
}

func (a *assembly) encode() []byte {
	out := make([]byte, 0, 8*len(a.slots))
	for _, s := range a.slots {
		out = append(out, s.opcode, s.dst|s.src<<4)
		out = binary.LittleEndian.AppendUint16(out, uint16(s.off))
		out = binary.LittleEndian.AppendUint32(out, uint32(s.imm))
	}
	return out
}
