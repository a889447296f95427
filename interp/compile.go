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
// 32-bit immediate, 32-bit register; conditional jumps likewise. There are
// a few hundred of them, densely numbered, so that the run loop's switch
// compiles to a single bounds-checked jump table.
type opcode = uint16

const (
	opAdd opcode = iota * 4
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

	// Accesses to [r10+off] where the whole access lies in the current
	// frame. r10 is read-only, so the address is always that frame's top
	// plus off and needs no check at run time: tgt holds the offset in the
	// frame, StackSize+off. Other r10 accesses (into a caller's frame, or
	// out of bounds) keep the checked forms above.
	opLdxStackB
	opLdxStackH
	opLdxStackW
	opLdxStackDW
	opStStackB
	opStStackH
	opStStackW
	opStStackDW
	opStxStackB
	opStxStackH
	opStxStackW
	opStxStackDW

	opsPlain
)

// Superinstructions, fused at pre-decode time from the most frequent pairs
// in the testdata kernels. The fused form replaces only the first
// instruction of the pair; the second stays in place, since it may be a jump
// target, and the fused one skips it. Execution counts therefore stay exact
// (see run), and a fault in the second half is reported at its own slot.
const (
	// mov dst, a; <alu> dst, src|imm becomes the three-address
	// dst = a <alu> src|imm. Groups of four variants, named by the ALU
	// operation's group; the mov is 64-bit, or 32-bit when the ALU
	// operation is.
	opMovAdd = opsPlain + iota*4
	opMovSub
	opMovMul
	opMovOr
	opMovAnd
	opMovXor
	opMovLsh
	opMovRsh
	opMovArsh
	// add dst, imm (64-bit) followed by a conditional jump, the loop
	// counter pattern; the jump is read from the next instruction. Groups of
	// four variants, named by the jump's group and variant; only the
	// unsigned and equality jumps, which are the frequent ones, since
	// opcodes must fit in a byte.
	opAddJeq
	opAddJgt
	opAddJge
	opAddJne
	opAddJlt
	opAddJle
	// mov dst, a; add dst, imm; and a conditional jump: the bounds check
	// pattern (p+n > end). Grouped like the add+jump forms, whose case the
	// run loop falls through to.
	opMovAddJeq
	opMovAddJgt
	opMovAddJge
	opMovAddJne
	opMovAddJlt
	opMovAddJle
	// mov dst, a; add dst, src (64-bit) followed by one of the mov+add+jump
	// forms above: p = base+i; if p+n > end, the bounds check of an indexed
	// packet access. Grouped like the add+jump forms; the run loop falls
	// through to the mov+add+jump case.
	opIdxMovAddJeq
	opIdxMovAddJgt
	opIdxMovAddJge
	opIdxMovAddJne
	opIdxMovAddJlt
	opIdxMovAddJle
	// ldx t, [s+off] followed by an add, xor or mov: the load and the ALU
	// operation in one, with the ALU operation's registers and immediate
	// packed into imm (see loadALU). Groups of four variants, named by the
	// load's size and the ALU operation, its variant added.
	opLdxBAdd
	opLdxBXor
	opLdxBMov
	opLdxHAdd
	opLdxHXor
	opLdxHMov
	opLdxWAdd
	opLdxWXor
	opLdxWMov
	opLdxDWAdd
	opLdxDWXor
	opLdxDWMov
	opsFused
)

// loadALUOps are the ALU groups a load fuses with, in their order in each
// size's series of load+ALU groups.
var loadALUOps = []opcode{opAdd, opXor, opMov}

// addJumpFused maps a conditional jump group to its add-fused group; the
// mov+add+jump group is at a fixed distance.
var addJumpFused = map[opcode]opcode{
	opJeq: opAddJeq, opJgt: opAddJgt, opJge: opAddJge, opJne: opAddJne, opJlt: opAddJlt, opJle: opAddJle,
}

const movAddJumpDistance = opMovAddJeq - opAddJeq

// movFused maps a plain ALU group to its mov-fused group.
var movFused = map[opcode]opcode{
	opAdd: opMovAdd, opSub: opMovSub, opMul: opMovMul, opOr: opMovOr, opAnd: opMovAnd,
	opXor: opMovXor, opLsh: opMovLsh, opRsh: opMovRsh, opArsh: opMovArsh,
}

// inst is one pre-decoded instruction.
type inst struct {
	op opcode
	// dst holds the destination register in its low four bits and, for
	// binary ALU operations, the register holding the first operand in its
	// high four (a): dst itself, or the mov's source in a fused mov+ALU
	// pair. Packing the two keeps an inst at 16 bytes.
	dst, src uint8
	// tgt is the index of a jump or local call target, the map index of a
	// map load, or a memory access's signed offset (its offset in the
	// current frame for the stack forms).
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
		fuse(c.insns[newIndex[f.Start]:])
		last := p.Insns[f.End-1]
		c.insns = append(c.insns, inst{op: opFellOff, tgt: int32(fi)})
		c.slots = append(c.slots, int32(last.Slot+int(last.Width())))
		c.pos = append(c.pos, ir.Position{})
	}
	return c, nil
}

var aluBase = map[asm.ALUOp]opcode{
	asm.Add: opAdd, asm.Sub: opSub, asm.Mul: opMul, asm.Div: opDiv, asm.SDiv: opSDiv,
	asm.Mod: opMod, asm.SMod: opSMod, asm.Or: opOr, asm.And: opAnd, asm.Xor: opXor,
	asm.LSh: opLsh, asm.RSh: opRsh, asm.ArSh: opArsh, asm.Mov: opMov,
}

var jumpBase = map[asm.JumpOp]opcode{
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
			var ops [3]opcode
			switch {
			case wide || reg: // bswap, or be: on a little-endian host both swap
				ops = [3]opcode{opBe16, opBe32, opBe64}
			default:
				ops = [3]opcode{opLe16, opLe32, opNop}
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
			v := opcode(v64Imm)
			if reg {
				v++
			}
			if !wide {
				v += 2
			}
			in.op = base + v
			in.dst = withA(in.dst, in.dst)
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
			v := opcode(v64Imm)
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
			in.op = map[uint8]opcode{0x20: opLdAbsW, 0x28: opLdAbsH, 0x30: opLdAbsB,
				0x40: opLdIndW, 0x48: opLdIndH, 0x50: opLdIndB}[raw]
			in.dst, in.imm = 0, uint64(uint32(imm))
		default:
			return in, fmt.Errorf("%w: unknown load %#x", ir.ErrMalformed, raw)
		}
	case 0x01: // LDX
		sizes := [4]opcode{opLdxW, opLdxH, opLdxB, opLdxDW}
		if raw&0xe0 == 0x80 {
			sizes = [4]opcode{opLdxSW, opLdxSH, opLdxSB, 0}
		}
		in.op, in.tgt = sizes[(raw>>3)&3], int32(ins.Offset)
		if in.op == 0 {
			return in, fmt.Errorf("%w: sign-extending 64-bit load", ir.ErrMalformed)
		}
		if raw&0xe0 != 0x80 {
			in = onStack(in, in.src, opLdxB, opLdxStackB)
		}
	case 0x02: // ST
		writesDst = false
		in.op = [4]opcode{opStW, opStH, opStB, opStDW}[(raw>>3)&3]
		in.tgt, in.imm = int32(ins.Offset), uint64(imm)
		in = onStack(in, in.dst, opStB, opStStackB)
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
			in.op = [4]opcode{opStxW, opStxH, opStxB, opStxDW}[(raw>>3)&3]
			in = onStack(in, in.dst, opStxB, opStxStackB)
		}
	}
	if writesDst && in.dst&15 == 10 {
		return in, fmt.Errorf("%w: r10 is read-only", ir.ErrMalformed)
	}
	return in, nil
}

// onStack turns a checked access of the B/H/W/DW family starting at plain
// into its unchecked form of the family starting at stack when the base
// register is r10 and the whole access lies in the current frame.
func onStack(in inst, base uint8, plain, stack opcode) inst {
	n := int32(1) << (in.op - plain) // B, H, W, DW are consecutive
	if base == 10 && in.tgt >= -StackSize && in.tgt+n <= 0 {
		in.op, in.tgt = stack+(in.op-plain), StackSize+in.tgt
	}
	return in
}

// fuse replaces the first instruction of each fusable pair in the insns of
// one function (followed by its trap) by a superinstruction. Decisions look
// at the plain forms only, so a pair's second instruction may itself start a
// pair.
func fuse(insns []inst) {
	plain := append([]inst(nil), insns...)
	// addJump returns the add+jump form of y, an add dst, imm followed by z.
	addJump := func(y, z inst) (opcode, bool) {
		if y.op != opAdd+v64Imm || z.op < opJeq || z.op >= opsGrouped {
			return 0, false
		}
		f, ok := addJumpFused[z.op&^3]
		return f + z.op&3, ok
	}
	for i := 0; i+1 < len(plain); i++ {
		x, y := plain[i], plain[i+1]
		if x.op != opMov+v64Reg && x.op != opMov+v32Reg {
			if f, ok := addJump(x, y); ok {
				insns[i].op = f
			}
			continue
		}
		if y.op >= opMov || y.dst&15 != x.dst&15 {
			continue
		}
		if i+2 < len(plain) && x.op == opMov+v64Reg {
			if f, ok := addJump(y, plain[i+2]); ok {
				insns[i] = inst{op: f + movAddJumpDistance, dst: withA(y.dst, x.src), imm: y.imm}
				continue
			}
		}
		g, v := y.op&^3, y.op&3
		f, ok := movFused[g]
		// A 32-bit mov zero-extends, which only a 32-bit operation
		// ignores; a register operand that is dst itself would read the
		// mov's result, not the original.
		if !ok || (x.op == opMov+v32Reg && v < v32Imm) || ((v == v64Reg || v == v32Reg) && y.src == y.dst&15) {
			continue
		}
		insns[i] = inst{op: f + v, dst: withA(y.dst, x.src), src: y.src, imm: y.imm}
	}
	// Loads followed by an ALU operation. The ALU operation is copied into
	// the load's imm, which a load does not use, so the pair needs nothing
	// from the instruction after it, which may have been fused itself.
	for i := 0; i+1 < len(plain); i++ {
		if f, ok := loadALU(plain[i], plain[i+1]); ok {
			insns[i] = f
		}
	}
	// Second pass, over the fused forms: a mov+add64 reg whose add is
	// followed by a mov+add+jump.
	for i := 0; i+2 < len(insns); i++ {
		if insns[i].op == opMovAdd+v64Reg && insns[i+2].op >= opMovAddJeq && insns[i+2].op < opIdxMovAddJeq {
			insns[i].op = insns[i+2].op - opMovAddJeq + opIdxMovAddJeq
		}
	}
}

// loadALU returns the fused form of x, a checked ldx t, followed by y, an
// ALU operation that takes the loaded value straight from the load: t op=
// imm|reg, a commutative reg op= t, or mov reg, t. The fused form computes
// v op other, v the loaded value, so that it never reads back the t it has
// just written. y's destination goes in bits 0-3 of imm, the other
// register in bits 8-11, and y's immediate, a sign-extended 32-bit constant
// for the operations that fuse, in bits 32-63.
func loadALU(x, y inst) (inst, bool) {
	if x.op < opLdxB || x.op > opLdxDW || y.op >= opsGrouped {
		return x, false
	}
	t, d, a := x.dst&15, y.dst&15, y.dst>>4
	g, v := y.op&^3, y.op&3
	reg := v == v64Reg || v == v32Reg
	var other uint8
	switch {
	case g == opMov:
		if !reg || y.src != t {
			return x, false
		}
	case d == t && a == t:
		if reg && y.src == t {
			return x, false
		}
		if !reg && int64(y.imm) != int64(int32(y.imm)) && (v != v32Imm || y.imm != uint64(uint32(y.imm))) {
			return x, false
		}
		other = y.src
	case reg && y.src == t && d == a: // add and xor commute
		other = d
	default:
		return x, false
	}
	for j, o := range loadALUOps {
		if o == g {
			x.op = opLdxBAdd + opcode(int(x.op-opLdxB)*len(loadALUOps)+j)*4 + v
			x.imm = uint64(d) | uint64(other)<<8 | uint64(uint32(y.imm))<<32
			return x, true
		}
	}
	return x, false
}

// withA packs register a into the high four bits of dst (see inst).
func withA(dst, a uint8) uint8 { return dst&15 | a<<4 }

func pick[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}
