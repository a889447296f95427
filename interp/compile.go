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
	// Two ALU operations with immediates on one register, the first
	// possibly fused with a mov before it: dst = (a op1 imm) op2 tgt, both
	// 64-bit or both 32-bit. src holds how many instructions the form
	// absorbs besides its first (1, or 2 with the mov). The cases are
	// numbered opImmPair + (i*len(pairOps)+j)*2 + w, i and j the operations'
	// indices in pairOps, w 0 for 64-bit and 1 for 32-bit.
	opImmPair
)

const (
	// The 32-bit rotate clang writes for (a >> k) | (a << (32-k)):
	// mov t, a; rsh t, k; [mov d, a;] lsh d, 32-k; or d, t. t keeps a >> k,
	// dst's low four bits are d, its high four a; src is t, imm k and tgt
	// how many instructions the form absorbs besides its first (3 or 4).
	opRot32 = opImmPair + pairOpCount*pairOpCount*2 + iota
	// mov d, imm followed by a mov of an immediate to another register
	// (32-bit, or 64-bit sign-extended from 32 bits): the second mov's
	// register is in src, its immediate in tgt.
	opMovImmMov64
	opMovImmMov32
	// mov d, imm followed by a store of d to [r10+off] inside the frame:
	// tgt is the store's offset in the frame, as for the stack forms.
	opMovImmStxStackB
	opMovImmStxStackH
	opMovImmStxStackW
	opMovImmStxStackDW
	// add d, s (64-bit) followed by ldx t, [d+off], a checked load of the
	// sum: an indexed load. src holds s in its low four bits and t in its
	// high four, tgt the load's offset.
	opAddLdxB
	opAddLdxH
	opAddLdxW
	opAddLdxDW
)

const (
	// add d, imm (64-bit); a mov of a register to another; a conditional
	// jump (see addMovJump). Grouped like the add+jump forms.
	opAddMovJeq = opAddLdxDW + 1 + iota*4
	opAddMovJgt
	opAddMovJge
	opAddMovJne
	opAddMovJlt
	opAddMovJle
	opsFused
)

// pairOps are the ALU groups that opImmPair fuses, in the order of its
// cases; the p-constants are their indices.
var pairOps = [pairOpCount]opcode{opAdd, opMul, opOr, opAnd, opXor, opLsh, opRsh}

const (
	pAdd = iota
	pMul
	pOr
	pAnd
	pXor
	pLsh
	pRsh
	pairOpCount
)

// Widths of an opImmPair.
const (
	w64 = iota
	w32
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
	for i := 0; i+2 < len(plain); i++ {
		if f, ok := addMovJump(plain[i], plain[i+1], plain[i+2]); ok {
			insns[i] = f
		}
	}
	for i := 0; i+1 < len(plain); i++ {
		if f, ok := immPair(plain[i:]); ok {
			insns[i] = f
		}
	}
	for i := 0; i+3 < len(plain); i++ {
		if f, ok := rotate32(plain[i:]); ok {
			insns[i] = f
		}
	}
	for i := 0; i+1 < len(plain); i++ {
		if x, y := plain[i], plain[i+1]; x.op == opAdd+v64Reg && y.op >= opLdxB && y.op <= opLdxDW && y.src == x.dst&15 {
			insns[i] = inst{op: opAddLdxB + (y.op - opLdxB), dst: x.dst, src: x.src | y.dst<<4, tgt: y.tgt}
		}
	}
	for i := 0; i+1 < len(plain); i++ {
		if f, ok := movImm(plain[i], plain[i+1]); ok {
			insns[i] = f
		}
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

// addMovJump returns the fused form of x, an add dst, imm (64-bit), followed
// by y, a mov of a register to another, and z, a conditional jump: a loop's
// counter update, a copy of a loop-carried value, and the loop's test. The
// mov runs first, so y must neither read nor write the add's register. y's
// source is in src, its destination in the low four bits of tgt, and bit 13
// of tgt is set when it is 32-bit (tgt>>8 is how far a mask of all ones
// shifts right to truncate the moved value).
func addMovJump(x, y, z inst) (inst, bool) {
	d := x.dst & 15
	if x.op != opAdd+v64Imm || (y.op != opMov+v64Reg && y.op != opMov+v32Reg) || y.dst&15 == d || y.src == d {
		return x, false
	}
	if z.op < opJeq || z.op >= opsGrouped {
		return x, false
	}
	f, ok := addJumpFused[z.op&^3]
	if !ok {
		return x, false
	}
	tgt := int32(y.dst & 15)
	if y.op == opMov+v32Reg {
		tgt |= 32 << 8
	}
	return inst{op: f - opAddJeq + opAddMovJeq + z.op&3, dst: x.dst, src: y.src, tgt: tgt, imm: x.imm}, true
}

// pairOp returns the index in pairOps of y's group and whether y is an ALU
// operation with an immediate of that set, and if it is 32-bit.
func pairOp(y inst) (int, bool, bool) {
	if y.op >= opMov {
		return 0, false, false
	}
	g, v := y.op&^3, y.op&3
	if v != v64Imm && v != v32Imm {
		return 0, false, false
	}
	for i, o := range pairOps {
		if o == g {
			return i, v == v32Imm, true
		}
	}
	return 0, false, false
}

// immPair returns the opImmPair form of the instructions starting at p[0]:
// two ALU operations with immediates on one register, of one width, the
// first possibly preceded by a mov to that register. The first may also be
// lsh 32; rsh 32 (64-bit), clang's zero extension, which runs as an and.
func immPair(p []inst) (inst, bool) {
	x, n := p[0], 0 // n: the instructions absorbed after the first
	a := x.dst >> 4
	if x.op == opMov+v64Reg || x.op == opMov+v32Reg {
		if len(p) < 3 || p[1].dst&15 != x.dst&15 {
			return x, false
		}
		// A 32-bit mov zero-extends, which only a 32-bit operation ignores.
		if _, w32, ok := pairOp(p[1]); !ok || (!w32 && x.op == opMov+v32Reg) {
			return x, false
		}
		a, x, n = x.src, p[1], 1
	}
	i, xw32, ok := pairOp(x)
	if !ok {
		return x, false
	}
	if x.op == opLsh+v64Imm && x.imm == 32 && n+2 < len(p) {
		if z := p[n+1]; z.op == opRsh+v64Imm && z.imm == 32 && z.dst&15 == x.dst&15 {
			zext := inst{op: opAnd + v64Imm, dst: x.dst, imm: 0xffffffff}
			if f, ok := immPairOf(zext, pAnd, false, a, n+2, p[n+2]); ok {
				return f, true
			}
		}
	}
	return immPairOf(x, i, xw32, a, n+1, p[n+1])
}

// immPairOf returns the opImmPair form of x, the first operation, of index
// i in pairOps, on a, followed by y, n instructions after the form's first.
func immPairOf(x inst, i int, xw32 bool, a uint8, n int, y inst) (inst, bool) {
	j, yw32, ok := pairOp(y)
	if !ok || y.dst&15 != x.dst&15 || xw32 != yw32 {
		return x, false
	}
	w := opcode(w64)
	if xw32 {
		w = w32
	}
	return inst{op: opImmPair + opcode(i*pairOpCount+j)*2 + w, dst: withA(x.dst, a), src: uint8(n), tgt: int32(y.imm), imm: x.imm}, true
}

// rotate32 returns the opRot32 form of the instructions starting at p[0]:
// mov t, a; rsh32 t, k; then lsh32 a, 32-k; or32 a, t, or mov d, a;
// lsh32 d, 32-k; or32 d, t.
func rotate32(p []inst) (inst, bool) {
	isMov := func(x inst) bool { return x.op == opMov+v64Reg || x.op == opMov+v32Reg }
	m, sh := p[0], p[1]
	t, a := m.dst&15, m.src
	if !isMov(m) || sh.op != opRsh+v32Imm || sh.dst&15 != t || t == a || sh.imm == 0 {
		return m, false
	}
	k := sh.imm
	rest, d, n := p[2:], a, 3 // n: the instructions absorbed after the first
	if isMov(rest[0]) && rest[0].src == a {
		if len(rest) < 3 {
			return m, false
		}
		d, rest, n = rest[0].dst&15, rest[1:], 4
	}
	l, o := rest[0], rest[1]
	if l.op != opLsh+v32Imm || l.dst&15 != d || l.imm != 32-k || d == t {
		return m, false
	}
	if o.op != opOr+v32Reg || o.dst&15 != d || o.src != t {
		return m, false
	}
	return inst{op: opRot32, dst: withA(d, a), src: t, tgt: int32(n), imm: k}, true
}

// movImm returns the fused form of x, a mov of an immediate, followed by y,
// another such mov or a store of x's register to the current frame.
func movImm(x, y inst) (inst, bool) {
	if x.op != opMov+v64Imm && x.op != opMov+v32Imm {
		return x, false
	}
	switch {
	case y.op >= opStxStackB && y.op <= opStxStackDW && y.src == x.dst&15:
		return inst{op: opMovImmStxStackB + (y.op - opStxStackB), dst: x.dst, tgt: y.tgt, imm: x.imm}, true
	case y.op == opMov+v32Imm:
		return inst{op: opMovImmMov32, dst: x.dst, src: y.dst & 15, tgt: int32(y.imm), imm: x.imm}, true
	case y.op == opMov+v64Imm && int64(y.imm) == int64(int32(y.imm)):
		return inst{op: opMovImmMov64, dst: x.dst, src: y.dst & 15, tgt: int32(y.imm), imm: x.imm}, true
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
