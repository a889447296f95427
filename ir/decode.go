package ir

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/cilium/ebpf/asm"
)

// ErrMalformed is wrapped by every error about bytecode that is not valid
// eBPF, as opposed to valid eBPF that a later stage refuses.
var ErrMalformed = errors.New("malformed bytecode")

// MaxInstructions bounds the size of one program, so that absurd inputs are
// refused up front instead of exhausting memory in later stages.
const MaxInstructions = 1 << 20

// Decode decodes raw little-endian bytecode. Each instruction gets its slot;
// targets and maps are left unresolved (NoTarget, NoMap) for NewProgram.
func Decode(code []byte) ([]Instruction, error) {
	if len(code)%asm.InstructionSize != 0 {
		return nil, fmt.Errorf("%w: length %d is not a multiple of %d", ErrMalformed, len(code), asm.InstructionSize)
	}
	if len(code)/asm.InstructionSize > MaxInstructions {
		return nil, fmt.Errorf("%w: %d instructions exceed the limit of %d", ErrMalformed, len(code)/asm.InstructionSize, MaxInstructions)
	}
	insns := make([]Instruction, 0, len(code)/asm.InstructionSize)
	r := bytes.NewReader(code)
	for slot := 0; r.Len() > 0; {
		raw := code[slot*asm.InstructionSize : slot*asm.InstructionSize+asm.InstructionSize]
		if err := checkEncoding(raw); err != nil {
			return nil, fmt.Errorf("instruction %d: %w", slot, err)
		}
		var ins asm.Instruction
		if err := ins.Unmarshal(r, binary.LittleEndian, "linux"); err != nil {
			return nil, fmt.Errorf("instruction %d: %w: %v", slot, ErrMalformed, err)
		}
		insns = append(insns, Instruction{Instruction: ins, Slot: slot, Target: NoTarget, Map: NoMap})
		slot += int(ins.Width())
	}
	return insns, nil
}

// checkEncoding rejects what RFC 9669 does not define, so that every later
// stage may assume a well-formed instruction. It looks at the raw slot
// because cilium/ebpf decodes some invalid encodings into valid-looking ones.
func checkEncoding(raw []byte) error {
	op := raw[0]
	dst, src := raw[1]&0xf, raw[1]>>4
	off := int16(binary.LittleEndian.Uint16(raw[2:]))
	imm := int32(binary.LittleEndian.Uint32(raw[4:]))
	class := op & 7
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: opcode %#02x: %s", ErrMalformed, op, fmt.Sprintf(format, args...))
	}
	if dst > 10 {
		return bad("invalid destination register r%d", dst)
	}
	switch class {
	case 0x04, 0x07: // ALU, ALU64
		aluOp, usesReg := op&0xf0, op&0x08 != 0
		if usesReg && src > 10 {
			return bad("invalid source register r%d", src)
		}
		if !usesReg && src != 0 {
			return bad("source register set on an immediate operation")
		}
		switch aluOp {
		case 0x00, 0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xc0:
			if off != 0 {
				return bad("non-zero offset %d", off)
			}
		case 0x30, 0x90: // div, mod: offset 1 selects the signed form
			if off != 0 && off != 1 {
				return bad("offset %d is neither unsigned (0) nor signed (1)", off)
			}
		case 0x80: // neg
			if usesReg || off != 0 || imm != 0 {
				return bad("neg takes no operand")
			}
		case 0xb0: // mov, and movsx with offset 8/16/32
			switch {
			case off == 0:
			case !usesReg:
				return bad("sign-extending move needs a register source")
			case off == 8 || off == 16 || (off == 32 && class == 0x07):
			default:
				return bad("invalid sign-extension width %d", off)
			}
		case 0xd0: // le/be, and bswap on ALU64
			if class == 0x07 && usesReg {
				return bad("invalid byte swap")
			}
			if imm != 16 && imm != 32 && imm != 64 {
				return bad("byte swap width %d is not 16, 32 or 64", imm)
			}
			if off != 0 || src != 0 {
				return bad("byte swap takes no source or offset")
			}
		default:
			return bad("unknown ALU operation")
		}
	case 0x05, 0x06: // JMP, JMP32
		jmpOp, usesReg := op&0xf0, op&0x08 != 0
		switch jmpOp {
		case 0x00: // ja; on JMP32 the target is in imm (gotol)
			if usesReg || src != 0 || dst != 0 {
				return bad("ja takes no registers")
			}
		case 0x80: // call
			if class != 0x05 {
				return bad("call in JMP32 class")
			}
			if usesReg {
				// callx: the register is in dst (as clang and the conformance
				// suite encode it).
				if src != 0 || off != 0 {
					return bad("invalid callx")
				}
			} else if src > 2 || dst != 0 || off != 0 {
				return bad("invalid call")
			}
		case 0x90: // exit
			if class != 0x05 || usesReg || src != 0 || dst != 0 || off != 0 || imm != 0 {
				return bad("invalid exit")
			}
		case 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0:
			if usesReg && src > 10 {
				return bad("invalid source register r%d", src)
			}
			if !usesReg && src != 0 {
				return bad("source register set on an immediate comparison")
			}
		default:
			return bad("unknown jump operation")
		}
	case 0x00: // LD: lddw and the legacy packet loads
		switch op {
		case 0x18:
			if src > 6 || off != 0 {
				return bad("invalid lddw")
			}
		case 0x20, 0x28, 0x30: // ld abs
			if src != 0 || dst != 0 || off != 0 {
				return bad("invalid packet load")
			}
		case 0x40, 0x48, 0x50: // ld ind
			if src > 10 || dst != 0 || off != 0 {
				return bad("invalid packet load")
			}
		default:
			return bad("unknown load")
		}
	case 0x01: // LDX
		mode := op & 0xe0
		if mode != 0x60 && !(mode == 0x80 && op&0x18 != 0x18) {
			return bad("unknown load mode")
		}
		if src > 10 || imm != 0 {
			return bad("invalid memory load")
		}
	case 0x02: // ST
		if op&0xe0 != 0x60 || src != 0 {
			return bad("invalid store")
		}
	case 0x03: // STX
		switch op & 0xe0 {
		case 0x60:
			if src > 10 || imm != 0 {
				return bad("invalid store")
			}
		case 0xc0:
			if op&0x18 != 0x00 && op&0x18 != 0x18 {
				return bad("atomic operations are 32 or 64 bits wide")
			}
			switch imm {
			case 0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1:
			default:
				return bad("unknown atomic operation %#x", imm)
			}
			if src > 10 {
				return bad("invalid source register r%d", src)
			}
		default:
			return bad("unknown store mode")
		}
	}
	return nil
}

// NewProgram resolves decoded instructions into a program: it finds the
// functions (the entry, every local call target and every named start in
// names, keyed by instruction index), resolves jump and call targets to
// instruction indices, and collects the helpers called. It refuses jumps that
// leave their function or land inside an lddw.
func NewProgram(name string, insns []Instruction, names map[int]string) (*Program, error) {
	if len(insns) == 0 {
		return nil, fmt.Errorf("%w: program %s has no instructions", ErrMalformed, name)
	}
	bySlot := make(map[int]int, len(insns))
	for i := range insns {
		bySlot[insns[i].Slot] = i
	}
	indexOf := func(i, slot int) (int, error) {
		t, ok := bySlot[slot]
		if !ok {
			if slot < 0 || slot > insns[len(insns)-1].Slot {
				return 0, fmt.Errorf("instruction %d: %w: target %d is outside the program", insns[i].Slot, ErrMalformed, slot)
			}
			return 0, fmt.Errorf("instruction %d: %w: target %d is inside an lddw", insns[i].Slot, ErrMalformed, slot)
		}
		return t, nil
	}

	starts := map[int]bool{0: true}
	for i := range names {
		if i < 0 || i >= len(insns) {
			return nil, fmt.Errorf("BUG: function name at index %d outside program", i)
		}
		starts[i] = true
	}
	for i := range insns {
		ins := &insns[i]
		var slot int
		switch {
		case ins.IsLocalCall():
			slot = ins.Slot + 1 + int(int32(ins.Constant))
		case isJump(&ins.Instruction):
			slot = ins.Slot + 1 + jumpOffset(&ins.Instruction)
		default:
			continue
		}
		t, err := indexOf(i, slot)
		if err != nil {
			return nil, err
		}
		ins.Target = t
		if ins.IsLocalCall() {
			starts[t] = true
		}
	}

	startList := make([]int, 0, len(starts))
	for s := range starts {
		startList = append(startList, s)
	}
	sort.Ints(startList)
	p := &Program{Name: name, Insns: insns}
	for k, s := range startList {
		end := len(insns)
		if k+1 < len(startList) {
			end = startList[k+1]
		}
		fname := names[s]
		if fname == "" {
			if s == 0 {
				fname = name
			} else {
				fname = fmt.Sprintf("%s.func%d", name, insns[s].Slot)
			}
		}
		p.Funcs = append(p.Funcs, Function{Name: fname, Start: s, End: end})
		for i := s; i < end; i++ {
			insns[i].Func = k
		}
	}
	helpers := map[int32]bool{}
	for i := range insns {
		ins := &insns[i]
		if ins.IsHelperCall() {
			helpers[ins.HelperID()] = true
		}
		if isJump(&ins.Instruction) && insns[ins.Target].Func != ins.Func {
			return nil, fmt.Errorf("instruction %d: %w: jump to %d leaves function %s", ins.Slot, ErrMalformed, insns[ins.Target].Slot, p.Funcs[ins.Func].Name)
		}
	}
	for id := range helpers {
		p.Helpers = append(p.Helpers, id)
	}
	sort.Slice(p.Helpers, func(a, b int) bool { return p.Helpers[a] < p.Helpers[b] })
	return p, nil
}

// isJump reports whether ins transfers control within its function.
func isJump(ins *asm.Instruction) bool {
	if !ins.OpCode.Class().IsJump() {
		return false
	}
	switch ins.OpCode.JumpOp() {
	case asm.Call, asm.Exit, asm.InvalidJumpOp:
		return false
	}
	return true
}

// jumpOffset returns the slot distance of a jump; gotol (ja in the JMP32
// class) keeps it in the immediate to reach beyond 16 bits.
func jumpOffset(ins *asm.Instruction) int {
	if ins.OpCode.Class() == asm.Jump32Class && ins.OpCode.JumpOp() == asm.Ja {
		return int(int32(ins.Constant))
	}
	return int(ins.Offset)
}
