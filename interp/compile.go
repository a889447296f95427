package interp

import (
	"errors"
	"fmt"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/cilium/ebpf/asm"
)

// ErrUnsupported is wrapped by errors about valid eBPF the interpreter does
// not run (pseudo lddw forms other than maps, kfunc calls).
var ErrUnsupported = errors.New("unsupported")

// Internal opcodes, one per behaviour so that the run loop never decodes.
// ALU operations come in groups of four: 64-bit immediate, 64-bit register,
// 32-bit immediate, 32-bit register; conditional jumps likewise.
const (
	opAdd uint8 = iota * 4
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
	opMov
	opJeq
	opJgt
	opJge
	opJset
	opJne
	opJsgt
	opJsge
	opJlt
	opJle
	opJslt
	opJsle
	opsGrouped
)

// Variants of a grouped operation.
const (
	v64Imm = iota
	v64Reg
	v32Imm
	v32Reg
)

const (
	opNeg64 = opsGrouped + iota
	opNeg32
	opMovSX8x64
	opMovSX16x64
	opMovSX32x64
	opMovSX8x32
	opMovSX16x32
	opLe16
	opLe32
	opNop
	opBe16
	opBe32
	opBe64
	opJa
	opCall
	opCallLocal
	opCallx
	opExit
	opFellOff
	opLdMap
	opLdMapValue
	opLdxB
	opLdxH
	opLdxW
	opLdxDW
	opLdxSB
	opLdxSH
	opLdxSW
	opStB
	opStH
	opStW
	opStDW
	opStxB
	opStxH
	opStxW
	opStxDW
	opAtomic32
	opAtomic64
	opLdAbsB
	opLdAbsH
	opLdAbsW
	opLdIndB
	opLdIndH
	opLdIndW
	opCount
)

// inst is one pre-decoded instruction.
type inst struct {
	op, dst, src uint8
	// tgt is the index of a jump or local call target, the map index of a
	// map load, or a memory access's signed offset.
	tgt int32
	imm uint64
}

// Code is a program pre-decoded for the interpreter.
type Code struct {
	Name  string
	insns []inst
	funcs []string
	// slots and pos locate each inst in the original program for errors.
	slots []int32
	pos   []ir.Position
}

// Compile pre-decodes p, a program of mod. Each function is followed by a
// trap so that running off its end is an error rather than a fall into the
// next function.
func Compile(mod *ir.Module, p *ir.Program) (*Code, error) {
	c := &Code{Name: p.Name}
	for _, f := range p.Funcs {
		c.funcs = append(c.funcs, f.Name)
	}
	// newIndex maps indices of p.Insns to indices in c.insns.
	newIndex := make([]int32, len(p.Insns))
	n := int32(0)
	for _, f := range p.Funcs {
		for i := f.Start; i < f.End; i++ {
			newIndex[i] = n
			n++
		}
		n++ // the trap
	}
	for fi, f := range p.Funcs {
		for i := f.Start; i < f.End; i++ {
			ins := &p.Insns[i]
			in, err := decode(mod, ins)
			if err != nil {
				return nil, fmt.Errorf("program %s: instruction %d: %w", p.Name, ins.Slot, err)
			}
			if ins.Target != ir.NoTarget {
				in.tgt = newIndex[ins.Target]
			}
			c.insns = append(c.insns, in)
			c.slots = append(c.slots, int32(ins.Slot))
			c.pos = append(c.pos, ins.Pos)
		}
		last := p.Insns[f.End-1]
		c.insns = append(c.insns, inst{op: opFellOff, tgt: int32(fi)})
		c.slots = append(c.slots, int32(last.Slot+int(last.Width())))
		c.pos = append(c.pos, ir.Position{})
	}
	return c, nil
}

var aluBase = map[asm.ALUOp]uint8{
	asm.Add: opAdd, asm.Sub: opSub, asm.Mul: opMul, asm.Div: opDiv, asm.SDiv: opSDiv,
	asm.Mod: opMod, asm.SMod: opSMod, asm.Or: opOr, asm.And: opAnd, asm.Xor: opXor,
	asm.LSh: opLsh, asm.RSh: opRsh, asm.ArSh: opArsh, asm.Mov: opMov,
}

var jumpBase = map[asm.JumpOp]uint8{
	asm.JEq: opJeq, asm.JGT: opJgt, asm.JGE: opJge, asm.JSet: opJset, asm.JNE: opJne,
	asm.JSGT: opJsgt, asm.JSGE: opJsge, asm.JLT: opJlt, asm.JLE: opJle, asm.JSLT: opJslt,
	asm.JSLE: opJsle,
}

func decode(mod *ir.Module, ins *ir.Instruction) (inst, error) {
	raw := uint8(ins.OpCode)
	in := inst{dst: uint8(ins.Dst), src: uint8(ins.Src)}
	imm := ins.Constant
	writesDst := true
	switch class := raw & 7; class {
	case 0x04, 0x07: // ALU, ALU64
		wide := class == 0x07
		reg := raw&0x08 != 0
		switch op := ins.OpCode.ALUOp(); op {
		case asm.Neg:
			in.op = pick(wide, opNeg64, opNeg32)
		case asm.MovSX8:
			in.op = pick(wide, opMovSX8x64, opMovSX8x32)
		case asm.MovSX16:
			in.op = pick(wide, opMovSX16x64, opMovSX16x32)
		case asm.MovSX32:
			in.op = opMovSX32x64
		case asm.Swap:
			var ops [3]uint8
			switch {
			case wide || reg: // bswap, or be: on a little-endian host both swap
				ops = [3]uint8{opBe16, opBe32, opBe64}
			default:
				ops = [3]uint8{opLe16, opLe32, opNop}
			}
			switch imm {
			case 16:
				in.op = ops[0]
			case 32:
				in.op = ops[1]
			case 64:
				in.op = ops[2]
			default:
				return in, fmt.Errorf("%w: byte swap of width %d", ir.ErrMalformed, imm)
			}
		default:
			base, ok := aluBase[op]
			if !ok {
				return in, fmt.Errorf("%w: unknown ALU operation %#x", ir.ErrMalformed, raw)
			}
			v := uint8(v64Imm)
			if reg {
				v++
			}
			if !wide {
				v += 2
			}
			in.op = base + v
			switch {
			case reg:
			case wide:
				in.imm = uint64(imm) // sign-extended, RFC 9669 section 4.1
			default:
				in.imm = uint64(uint32(imm))
			}
			if !reg && (op == asm.LSh || op == asm.RSh || op == asm.ArSh) {
				in.imm &= uint64(pick(wide, 63, 31))
			}
		}
	case 0x05, 0x06: // JMP, JMP32
		writesDst = false
		switch raw & 0xf0 {
		case 0x00:
			in.op = opJa
		case 0x80:
			switch {
			case raw&0x08 != 0:
				in.op = opCallx
			case ins.Src == asm.PseudoCall:
				in.op = opCallLocal
			case ins.Src == 0:
				in.op, in.imm = opCall, uint64(uint32(ins.HelperID()))
			default:
				return in, fmt.Errorf("%w: call with src %d (kfunc)", ErrUnsupported, ins.Src)
			}
		case 0x90:
			in.op = opExit
		default:
			base, ok := jumpBase[ins.OpCode.JumpOp()]
			if !ok {
				return in, fmt.Errorf("%w: unknown jump %#x", ir.ErrMalformed, raw)
			}
			v := uint8(v64Imm)
			if raw&0x08 != 0 {
				v++
			}
			if class == 0x06 {
				v += 2
				in.imm = uint64(uint32(imm))
			} else {
				in.imm = uint64(imm)
			}
			in.op = base + v
		}
	case 0x00: // LD
		switch raw {
		case 0x18:
			switch ins.Src {
			case 0:
				in.op, in.imm = opMov+v64Imm, uint64(imm)
			case asm.PseudoMapFD, asm.PseudoMapValue:
				if ins.Map == ir.NoMap || ins.Map >= len(mod.Maps) {
					return in, fmt.Errorf("%w: map load without a resolved map", ErrUnsupported)
				}
				in.op, in.tgt = opLdMap, int32(ins.Map)
				if ins.Src == asm.PseudoMapValue {
					in.op, in.imm = opLdMapValue, uint64(ins.MapOffset())
				}
			default:
				return in, fmt.Errorf("%w: lddw with src %d", ErrUnsupported, ins.Src)
			}
		case 0x20, 0x28, 0x30, 0x40, 0x48, 0x50:
			in.op = map[uint8]uint8{0x20: opLdAbsW, 0x28: opLdAbsH, 0x30: opLdAbsB,
				0x40: opLdIndW, 0x48: opLdIndH, 0x50: opLdIndB}[raw]
			in.dst, in.imm = 0, uint64(uint32(imm))
		default:
			return in, fmt.Errorf("%w: unknown load %#x", ir.ErrMalformed, raw)
		}
	case 0x01: // LDX
		sizes := [4]uint8{opLdxW, opLdxH, opLdxB, opLdxDW}
		if raw&0xe0 == 0x80 {
			sizes = [4]uint8{opLdxSW, opLdxSH, opLdxSB, 0}
		}
		in.op, in.tgt = sizes[(raw>>3)&3], int32(ins.Offset)
		if in.op == 0 {
			return in, fmt.Errorf("%w: sign-extending 64-bit load", ir.ErrMalformed)
		}
	case 0x02: // ST
		writesDst = false
		in.op = [4]uint8{opStW, opStH, opStB, opStDW}[(raw>>3)&3]
		in.tgt, in.imm = int32(ins.Offset), uint64(imm)
	case 0x03: // STX
		writesDst = false
		in.tgt = int32(ins.Offset)
		if raw&0xe0 == 0xc0 {
			in.op = pick(raw&0x18 == 0x18, opAtomic64, opAtomic32)
			in.imm = uint64(uint32(imm))
			if in.imm&0x01 != 0 && ins.Src == asm.R10 {
				return in, fmt.Errorf("%w: atomic fetch into r10, which is read-only", ir.ErrMalformed)
			}
		} else {
			in.op = [4]uint8{opStxW, opStxH, opStxB, opStxDW}[(raw>>3)&3]
		}
	}
	if writesDst && in.dst == 10 {
		return in, fmt.Errorf("%w: r10 is read-only", ir.ErrMalformed)
	}
	return in, nil
}

func pick[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}
