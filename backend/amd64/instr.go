package amd64

import (
	"fmt"
	"strings"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/regalloc"
)

// opcode is the shape of an instruction; aluOp, cond and size refine it.
type opcode uint8

const (
	opInvalid   opcode = iota
	opMov              // mov dst, src (size 8: a copy; size 4: zero-extends)
	opMovImm           // mov dst, imm
	opZero             // xor dst32, dst32: dst = 0, reading nothing
	opALU              // alu dst, src|imm: add sub and or xor imul
	opCmp              // cmp dst, src|imm (dst is only read)
	opTest             // test dst, src|imm
	opShift            // shl/shr/sar dst, cl|imm
	opNeg              // neg dst
	opLoad             // mov/movzx/movsx dst, [mem]
	opStore            // mov [mem], src|imm
	opLea              // lea dst, [mem]
	opExt              // movzx/movsx dst, src (size is the source width)
	opBswap            // bswap dst
	opRol16            // rol dst16, 8
	opDiv              // div/idiv src: rdx:rax / src
	opSignAx           // cqo/cdq: rdx = sign of rax
	opCmov             // cmovcc dst, src
	opSetcc            // setcc dst8
	opJmp              // jmp label
	opJcc              // jcc label
	opCall             // call [rip+helper] or call func
	opRet              // ret (the epilogue is added by Finalize)
	opLockALU          // lock add/and/or/xor [mem], src
	opXadd             // lock xadd [mem], src
	opXchg             // xchg [mem], src
	opCmpxchg          // lock cmpxchg [mem], src (rax implicit)
	opLoadTable        // mov dst, [rip+table slot]
	opLabel            // a branch target inside a block
	opKeepAlive        // no code: keeps its uses live up to here
	opPush             // push src (prologue)
	opPop              // pop dst (epilogue)
	opAdjSP            // sub/add rsp, imm (prologue, epilogue)
	opLeaTable         // lea dst, [rip+table]
	opCallMem          // call [mem]
	opImul3            // imul dst, src, imm
)

type aluOp uint8

const (
	aluAdd aluOp = iota
	aluSub
	aluAnd
	aluOr
	aluXor
	aluImul
	shiftShl
	shiftShr
	shiftSar
	shiftRol
)

var aluNames = [...]string{"add", "sub", "and", "or", "xor", "imul", "shl", "shr", "sar", "rol"}

// cond is a condition code.
type cond uint8

const (
	condEq cond = iota
	condNe
	condA  // unsigned >
	condAe // unsigned >=
	condB  // unsigned <
	condBe // unsigned <=
	condG
	condGe
	condL
	condLe
)

var condNames = [...]string{"e", "ne", "a", "ae", "b", "be", "g", "ge", "l", "le"}

func (c cond) invert() cond {
	return [...]cond{condNe, condEq, condBe, condB, condAe, condA, condLe, condL, condGe, condG}[c]
}

// swap returns the condition with the operands exchanged: a < b is b > a.
func (c cond) swap() cond {
	return [...]cond{condEq, condNe, condB, condBe, condA, condAe, condL, condLe, condG, condGe}[c]
}

// amodeKind says what a memory operand's base is. All but amReg become
// rsp-relative once Finalize knows the frame.
type amodeKind uint8

const (
	amReg      amodeKind = iota // [base + disp]
	amFP                        // the eBPF frame pointer (r10) + disp
	amSpill                     // spill slot slot
	amIncoming                  // incoming stack argument slot
	amOutgoing                  // outgoing argument area + disp
)

type amode struct {
	kind amodeKind
	// index*scale is added when scale is not 0 (1, 2, 4 or 8).
	scale uint8
	base  regalloc.Reg
	index regalloc.Reg
	disp  int32
	slot  int
}

// indexString is the "+index*scale" part of a memory operand's text.
func (a amode) indexString() string {
	if a.scale == 0 {
		return ""
	}
	if a.scale == 1 {
		return "+" + regName(a.index)
	}
	return fmt.Sprintf("+%s*%d", regName(a.index), a.scale)
}

func (a amode) String() string {
	disp := ""
	if a.disp != 0 {
		disp = fmt.Sprintf("%+d", a.disp)
	}
	switch a.kind {
	case amFP:
		return fmt.Sprintf("[fp%s%+d]", a.indexString(), a.disp)
	case amSpill:
		return fmt.Sprintf("[spill%d]", a.slot)
	case amIncoming:
		return fmt.Sprintf("[arg%d]", a.slot)
	case amOutgoing:
		return fmt.Sprintf("[out%+d]", a.disp)
	}
	return fmt.Sprintf("[%s%s%s]", regName(a.base), a.indexString(), disp)
}

// instr is one amd64 instruction, with virtual registers until register
// allocation. Its fields are ordered to pack: a function's code is many of
// them, and the passes after lowering walk them all several times.
type instr struct {
	op     opcode
	alu    aluOp
	cc     cond
	size   uint8 // operand size in bytes; for loads, stores and opExt the memory or source width
	signed bool  // opLoad, opExt, opDiv: sign-extending, signed
	dsize  uint8 // opExt signed: destination size, 4 or 8 (0 means 8)
	hasImm bool
	dst    regalloc.Reg
	src    regalloc.Reg
	// line is 1 + the ir.Program.Insns index of the eBPF instruction
	// this one was generated for, 0 for none (prologue, epilogue, spill
	// code, phi copies): the zero value of instructions made outside
	// lowering is "none".
	line  int32
	imm   int64
	mem   amode
	label backend.Label
	// call and table operands.
	reloc backend.CodeRelocKind
	index int
	// Fixed registers of calls and pseudo-instructions.
	uses, defs []regalloc.Reg
	clobbers   regalloc.RegSet
}

// Uses implements regalloc.Instr.
func (i *instr) Uses(buf []regalloc.Reg) []regalloc.Reg {
	mem := func() {
		if i.mem.kind == amReg {
			buf = append(buf, i.mem.base)
		}
		if i.mem.scale != 0 {
			buf = append(buf, i.mem.index)
		}
	}
	switch i.op {
	case opMov, opExt, opImul3:
		buf = append(buf, i.src)
	case opALU, opCmp, opTest, opShift, opCmov:
		buf = append(buf, i.dst)
		if !i.hasImm {
			buf = append(buf, i.src)
		}
	case opNeg, opBswap, opRol16:
		buf = append(buf, i.dst)
	case opLoad, opLea:
		mem()
	case opStore:
		mem()
		if !i.hasImm {
			buf = append(buf, i.src)
		}
	case opDiv:
		buf = append(buf, i.src, rax, rdx)
	case opSignAx:
		buf = append(buf, rax)
	case opLockALU, opXadd, opXchg:
		mem()
		buf = append(buf, i.src)
	case opCmpxchg:
		mem()
		buf = append(buf, i.src, rax)
	case opPush:
		buf = append(buf, i.src)
	case opCallMem:
		mem()
	}
	return append(buf, i.uses...)
}

// Defs implements regalloc.Instr.
func (i *instr) Defs(buf []regalloc.Reg) []regalloc.Reg {
	switch i.op {
	case opMov, opMovImm, opZero, opALU, opShift, opNeg, opLoad, opLea, opExt, opBswap, opRol16, opCmov, opSetcc, opLoadTable, opPop, opLeaTable, opImul3:
		buf = append(buf, i.dst)
	case opDiv:
		buf = append(buf, rax, rdx)
	case opSignAx:
		buf = append(buf, rdx)
	case opXadd, opXchg:
		buf = append(buf, i.src)
	case opCmpxchg:
		buf = append(buf, rax)
	}
	return append(buf, i.defs...)
}

// AssignUse implements regalloc.Instr, in the order Uses gives.
func (i *instr) AssignUse(k int, r regalloc.Reg) {
	// The allocator assigns every operand of every instruction: the
	// pointers stay on the stack.
	var buf [4]*regalloc.Reg
	for _, p := range i.usePtrs(buf[:0]) {
		if k == 0 {
			if p != nil {
				*p = r
			}
			return
		}
		k--
	}
	i.uses[k] = r
}

// usePtrs appends to ps the operands Uses lists before the fixed uses,
// nil for a register the instruction fixes.
func (i *instr) usePtrs(ps []*regalloc.Reg) []*regalloc.Reg {
	mem := func() {
		if i.mem.kind == amReg {
			ps = append(ps, &i.mem.base)
		}
		if i.mem.scale != 0 {
			ps = append(ps, &i.mem.index)
		}
	}
	switch i.op {
	case opMov, opExt, opImul3:
		ps = append(ps, &i.src)
	case opALU, opCmp, opTest, opShift, opCmov:
		ps = append(ps, &i.dst)
		if !i.hasImm {
			ps = append(ps, &i.src)
		}
	case opNeg, opBswap, opRol16:
		ps = append(ps, &i.dst)
	case opLoad, opLea:
		mem()
	case opStore:
		mem()
		if !i.hasImm {
			ps = append(ps, &i.src)
		}
	case opDiv:
		ps = append(ps, &i.src, nil, nil)
	case opSignAx:
		ps = append(ps, nil)
	case opLockALU, opXadd, opXchg:
		mem()
		ps = append(ps, &i.src)
	case opCmpxchg:
		mem()
		ps = append(ps, &i.src, nil)
	case opPush:
		ps = append(ps, &i.src)
	case opCallMem:
		mem()
	}
	return ps
}

// AssignDef implements regalloc.Instr, in the order Defs gives.
func (i *instr) AssignDef(k int, r regalloc.Reg) {
	switch i.op {
	case opMov, opMovImm, opZero, opALU, opShift, opNeg, opLoad, opLea, opExt, opBswap, opRol16, opCmov, opSetcc, opLoadTable, opPop, opLeaTable, opImul3:
		if k == 0 {
			i.dst = r
			return
		}
		k--
	case opDiv:
		if k < 2 {
			return // rax, rdx are fixed
		}
		k -= 2
	case opSignAx, opCmpxchg:
		if k == 0 {
			return
		}
		k--
	case opXadd, opXchg:
		if k == 0 {
			i.src = r
			return
		}
		k--
	}
	i.defs[k] = r
}

// Clobbers implements regalloc.Instr.
func (i *instr) Clobbers() regalloc.RegSet { return i.clobbers }

// IsCopy implements regalloc.Instr: only a 64-bit register move is a
// copy; a 32-bit one zero-extends.
func (i *instr) IsCopy() bool { return i.op == opMov && i.size == 8 }

func (i *instr) String() string {
	r := func(x regalloc.Reg) string { return regNameSized(x, i.size) }
	src := func() string {
		if i.hasImm {
			return fmt.Sprint(i.imm)
		}
		return r(i.src)
	}
	ptr := func() string {
		return [...]string{1: "byte", 2: "word", 4: "dword", 8: "qword"}[i.size] + " " + i.mem.String()
	}
	switch i.op {
	case opMov:
		return fmt.Sprintf("mov %s, %s", r(i.dst), r(i.src))
	case opMovImm:
		return fmt.Sprintf("mov %s, %d", r(i.dst), i.imm)
	case opZero:
		d := regNameSized(i.dst, 4)
		return fmt.Sprintf("xor %s, %s", d, d)
	case opALU, opShift:
		if i.op == opShift && !i.hasImm {
			return fmt.Sprintf("%s %s, cl", aluNames[i.alu], r(i.dst))
		}
		return fmt.Sprintf("%s %s, %s", aluNames[i.alu], r(i.dst), src())
	case opCmp:
		return fmt.Sprintf("cmp %s, %s", r(i.dst), src())
	case opTest:
		return fmt.Sprintf("test %s, %s", r(i.dst), src())
	case opNeg:
		return fmt.Sprintf("neg %s", r(i.dst))
	case opLoad:
		mn := "mov"
		dsize := uint8(8)
		switch {
		case i.signed:
			mn = "movsx"
		case i.size < 4:
			mn = "movzx"
			dsize = 4
		default:
			dsize = i.size
		}
		return fmt.Sprintf("%s %s, %s", mn, regNameSized(i.dst, dsize), ptr())
	case opStore:
		return fmt.Sprintf("mov %s, %s", ptr(), src())
	case opLea:
		return fmt.Sprintf("lea %s, %s", r(i.dst), i.mem)
	case opImul3:
		return fmt.Sprintf("imul %s, %s, %d", r(i.dst), r(i.src), i.imm)
	case opExt:
		mn, dsize := "movzx", uint8(4)
		if i.signed {
			mn, dsize = "movsx", 8
			if i.dsize == 4 {
				dsize = 4
			}
		}
		return fmt.Sprintf("%s %s, %s", mn, regNameSized(i.dst, dsize), regNameSized(i.src, i.size))
	case opBswap:
		return fmt.Sprintf("bswap %s", r(i.dst))
	case opRol16:
		return fmt.Sprintf("rol %s, 8", regNameSized(i.dst, 2))
	case opDiv:
		if i.signed {
			return fmt.Sprintf("idiv %s", r(i.src))
		}
		return fmt.Sprintf("div %s", r(i.src))
	case opSignAx:
		if i.size == 8 {
			return "cqo"
		}
		return "cdq"
	case opCmov:
		return fmt.Sprintf("cmov%s %s, %s", condNames[i.cc], r(i.dst), r(i.src))
	case opSetcc:
		return fmt.Sprintf("set%s %s", condNames[i.cc], regNameSized(i.dst, 1))
	case opJmp:
		return fmt.Sprintf("jmp L%d", i.label)
	case opJcc:
		if i.index > 0 {
			return fmt.Sprintf("j%s .%d", condNames[i.cc], i.index)
		}
		return fmt.Sprintf("j%s L%d", condNames[i.cc], i.label)
	case opCall:
		s := "call " + i.target()
		if len(i.uses) > 0 {
			var args []string
			for _, u := range i.uses {
				args = append(args, regName(u))
			}
			s += " (" + strings.Join(args, ", ") + ")"
		}
		return s
	case opCallMem:
		s := "call qword " + i.mem.String()
		if len(i.uses) > 0 {
			var args []string
			for _, u := range i.uses {
				args = append(args, regName(u))
			}
			s += " (" + strings.Join(args, ", ") + ")"
		}
		return s
	case opLeaTable:
		return fmt.Sprintf("lea %s, %s", regName(i.dst), strings.TrimPrefix(strings.TrimSuffix(i.target(), "]"), "["))
	case opRet:
		return "ret"
	case opLockALU:
		return fmt.Sprintf("lock %s %s, %s", aluNames[i.alu], ptr(), r(i.src))
	case opXadd:
		return fmt.Sprintf("lock xadd %s, %s", ptr(), r(i.src))
	case opXchg:
		return fmt.Sprintf("xchg %s, %s", ptr(), r(i.src))
	case opCmpxchg:
		return fmt.Sprintf("lock cmpxchg %s, %s", ptr(), r(i.src))
	case opLoadTable:
		return fmt.Sprintf("mov %s, %s", regName(i.dst), i.target())
	case opLabel:
		return fmt.Sprintf(".%d:", i.index)
	case opKeepAlive:
		var us []string
		for _, u := range i.uses {
			us = append(us, regName(u))
		}
		return "keepalive " + strings.Join(us, ", ")
	case opPush:
		return "push " + regName(i.src)
	case opPop:
		return "pop " + regName(i.dst)
	case opAdjSP:
		if i.imm < 0 {
			return fmt.Sprintf("add rsp, %d", -i.imm)
		}
		return fmt.Sprintf("sub rsp, %d", i.imm)
	}
	return fmt.Sprintf("op%d", i.op)
}

// target names a call's or table load's target.
func (i *instr) target() string {
	switch i.reloc {
	case backend.RelocHelper:
		return fmt.Sprintf("[rip+helpers+8*helper%d]", i.index)
	case backend.RelocMap:
		return fmt.Sprintf("[rip+maps+8*map%d]", i.index)
	case backend.RelocMapValue:
		return fmt.Sprintf("[rip+map_values+8*map%d]", i.index)
	case backend.RelocHelperIDs:
		return "[rip+helper_ids]"
	}
	return fmt.Sprintf("func%d", i.index)
}

// Remat implements regalloc.Rematerializer for constants, table loads and
// table and frame addresses. A zero is recomputed as mov, not xor, which
// would change the flags.
func (i *instr) Remat(dst regalloc.Reg) (regalloc.Instr, bool) {
	switch {
	case i.op == opZero:
		return &instr{op: opMovImm, size: 4, dst: dst, imm: 0}, true
	case i.op == opMovImm, i.op == opLoadTable, i.op == opLeaTable, i.op == opLea && i.mem.kind == amFP && i.mem.scale == 0:
		c := *i
		c.dst, c.line = dst, 0
		return &c, true
	}
	return nil, false
}
