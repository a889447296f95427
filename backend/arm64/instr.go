package arm64

import (
	"fmt"
	"strings"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/regalloc"
)

// opcode is the shape of an instruction; aluOp, cond and size refine it.
// A few are pseudo-instructions the encoder expands into a fixed
// sequence (opMovImm, opLoadTable, opCall, opAtomic): the allocator sees
// them as one instruction.
type opcode uint8

const (
	opInvalid   opcode = iota
	opMov              // mov dst, src1 (size 8: a copy; size 4: zero-extends)
	opMovImm           // dst = imm: movz/movn/movk or orr with a bitmask
	opALU              // dst = src1 alu (src2|imm)
	opMsub             // dst = src3 - src1*src2
	opNeg              // dst = -src1
	opCmp              // cmp src1, src2|imm (cmn for a negative imm)
	opTst              // tst src1, src2|imm
	opCsel             // dst = cc ? src1 : src2
	opCset             // dst = cc ? 1 : 0
	opExt              // dst = uxt/sxt src1 (size is the source width; dsize the destination's for sxt)
	opRev              // rev16/rev32/rev64 dst, src1
	opLoad             // ldr/ldrb/ldrsh... dst, [mem]
	opStore            // str src1|zr, [mem]
	opLea              // dst = address of mem
	opJmp              // b label
	opBcc              // b.cc label
	opCbnz             // cbnz/cbz src1, label (cc is condNe or condEq)
	opCall             // blr through the helper table, or bl to a function
	opRet              // ret (the epilogue is added by Finalize)
	opLoadTable        // dst = [table slot] through adrp+ldr
	opAtomic           // an LL/SC loop (see lowerAtomic)
	opKeepAlive        // no code: keeps its uses live up to here
	opAdjSP            // sub/add sp, sp, imm (prologue, epilogue)
	opStp              // stp src1, src2, [sp, imm] (prologue)
	opLdp              // ldp dst, src2, [sp, imm] (epilogue; both defined)
	opMovFromSP        // mov dst, sp (frame record)
)

type aluOp uint8

const (
	aluAdd aluOp = iota
	aluSub
	aluAnd
	aluOr
	aluXor
	aluMul
	aluUdiv
	aluSdiv
	aluLsl
	aluLsr
	aluAsr
	aluRor
)

var aluNames = [...]string{"add", "sub", "and", "orr", "eor", "mul", "udiv", "sdiv", "lsl", "lsr", "asr", "ror"}

// cond is a condition code, numbered as the hardware does.
type cond uint8

const (
	condEq cond = 0
	condNe cond = 1
	condHs cond = 2 // unsigned >=
	condLo cond = 3 // unsigned <
	condHi cond = 8 // unsigned >
	condLs cond = 9 // unsigned <=
	condGe cond = 10
	condLt cond = 11
	condGt cond = 12
	condLe cond = 13
)

var condNames = map[cond]string{condEq: "eq", condNe: "ne", condHs: "hs", condLo: "lo", condHi: "hi", condLs: "ls",
	condGe: "ge", condLt: "lt", condGt: "gt", condLe: "le"}

// invert returns the negated condition: the hardware pairs them in the
// low bit.
func (c cond) invert() cond { return c ^ 1 }

// swap returns the condition with the operands exchanged: a < b is b > a.
func (c cond) swap() cond {
	switch c {
	case condHs:
		return condLs
	case condLs:
		return condHs
	case condLo:
		return condHi
	case condHi:
		return condLo
	case condGe:
		return condLe
	case condLe:
		return condGe
	case condLt:
		return condGt
	case condGt:
		return condLt
	}
	return c
}

// amodeKind says what a memory operand's base is. All but amReg become
// sp-relative once Finalize knows the frame.
type amodeKind uint8

const (
	amReg   amodeKind = iota // [base + disp]
	amFP                     // the eBPF frame pointer (r10) + disp
	amSpill                  // spill slot slot
)

type amode struct {
	kind amodeKind
	base regalloc.Reg
	disp int64
	slot int
}

func (a amode) String() string {
	switch a.kind {
	case amFP:
		return fmt.Sprintf("[fp%+d]", a.disp)
	case amSpill:
		return fmt.Sprintf("[spill%d]", a.slot)
	}
	if a.disp == 0 {
		return fmt.Sprintf("[%s]", regName(a.base))
	}
	return fmt.Sprintf("[%s, #%d]", regName(a.base), a.disp)
}

// atomicOp is the read-modify-write of an opAtomic.
type atomicOp uint8

const (
	atomicAdd atomicOp = iota
	atomicAnd
	atomicOr
	atomicXor
	atomicXchg
	atomicCmpXchg
)

var atomicNames = [...]string{"add", "and", "or", "xor", "xchg", "cmpxchg"}

// instr is one arm64 instruction, with virtual registers until register
// allocation. Its operands are three-address: dst = src1 op src2.
type instr struct {
	op     opcode
	alu    aluOp
	cc     cond
	size   uint8 // operand size: 4 (w registers) or 8; for loads, stores and opExt the memory or source width
	dsize  uint8 // opExt signed: destination size, 4 or 8
	signed bool  // opLoad, opExt: sign-extending
	zero   bool  // opStore: store the zero register
	dst    regalloc.Reg
	src1   regalloc.Reg
	src2   regalloc.Reg
	src3   regalloc.Reg
	imm    int64
	hasImm bool
	mem    amode
	label  backend.Label
	// opAtomic: the operation and whether it returns the old value.
	atomic atomicOp
	fetch  bool
	// call and table operands.
	reloc backend.CodeRelocKind
	index int
	// Fixed registers of calls and pseudo-instructions.
	uses, defs []regalloc.Reg
	clobbers   regalloc.RegSet
	// line is 1 + the ir.Program.Insns index of the eBPF instruction
	// this one was generated for, 0 for none (prologue, epilogue, spill
	// code, phi copies).
	line int32
}

// operandBuf is room for operands' results on the caller's stack: the
// allocator asks for every instruction's operands several times.
type operandBuf struct{ uses, defs [3]*regalloc.Reg }

// operands returns pointers to the instruction's register uses and defs,
// in the order Uses and Defs give (fixed registers after them).
func (i *instr) operands(ob *operandBuf) (uses, defs []*regalloc.Reg) {
	uses, defs = ob.uses[:0], ob.defs[:0]
	mem := func() {
		if i.mem.kind == amReg {
			uses = append(uses, &i.mem.base)
		}
	}
	switch i.op {
	case opMov, opNeg, opExt, opRev:
		uses = append(uses, &i.src1)
		defs = append(defs, &i.dst)
	case opMovImm, opCset, opLoadTable, opMovFromSP:
		defs = append(defs, &i.dst)
	case opALU:
		uses = append(uses, &i.src1)
		if !i.hasImm {
			uses = append(uses, &i.src2)
		}
		defs = append(defs, &i.dst)
	case opMsub:
		uses = append(uses, &i.src1, &i.src2, &i.src3)
		defs = append(defs, &i.dst)
	case opCmp, opTst:
		uses = append(uses, &i.src1)
		if !i.hasImm {
			uses = append(uses, &i.src2)
		}
	case opCsel:
		uses = append(uses, &i.src1, &i.src2)
		defs = append(defs, &i.dst)
	case opLoad, opLea:
		mem()
		defs = append(defs, &i.dst)
	case opStore:
		mem()
		if !i.zero {
			uses = append(uses, &i.src1)
		}
	case opCbnz:
		uses = append(uses, &i.src1)
	case opCall:
		if i.reloc == backend.RelocHelperIDs {
			uses = append(uses, &i.src1)
		}
	case opAtomic:
		uses = append(uses, &i.src1, &i.src2)
		if i.atomic == atomicCmpXchg {
			uses = append(uses, &i.src3)
		}
		if i.fetch {
			defs = append(defs, &i.dst)
		}
	case opStp:
		uses = append(uses, &i.src1, &i.src2)
	case opLdp:
		defs = append(defs, &i.dst, &i.src2)
	}
	return uses, defs
}

// Uses implements regalloc.Instr.
func (i *instr) Uses(buf []regalloc.Reg) []regalloc.Reg {
	var ob operandBuf
	uses, _ := i.operands(&ob)
	for _, p := range uses {
		buf = append(buf, *p)
	}
	return append(buf, i.uses...)
}

// Defs implements regalloc.Instr.
func (i *instr) Defs(buf []regalloc.Reg) []regalloc.Reg {
	var ob operandBuf
	_, defs := i.operands(&ob)
	for _, p := range defs {
		buf = append(buf, *p)
	}
	return append(buf, i.defs...)
}

// AssignUse implements regalloc.Instr, in the order Uses gives.
func (i *instr) AssignUse(k int, r regalloc.Reg) {
	var ob operandBuf
	uses, _ := i.operands(&ob)
	if k < len(uses) {
		*uses[k] = r
		return
	}
	i.uses[k-len(uses)] = r
}

// AssignDef implements regalloc.Instr, in the order Defs gives.
func (i *instr) AssignDef(k int, r regalloc.Reg) {
	var ob operandBuf
	_, defs := i.operands(&ob)
	if k < len(defs) {
		*defs[k] = r
		return
	}
	i.defs[k-len(defs)] = r
}

// Clobbers implements regalloc.Instr.
func (i *instr) Clobbers() regalloc.RegSet { return i.clobbers }

// IsCopy implements regalloc.Instr: only a 64-bit register move is a
// copy; a 32-bit one zero-extends.
func (i *instr) IsCopy() bool { return i.op == opMov && i.size == 8 }

func (i *instr) String() string {
	r := func(x regalloc.Reg) string { return regNameSized(x, i.size) }
	src2 := func() string {
		if i.hasImm {
			return fmt.Sprintf("#%d", i.imm)
		}
		return r(i.src2)
	}
	switch i.op {
	case opMov:
		return fmt.Sprintf("mov %s, %s", r(i.dst), r(i.src1))
	case opMovImm:
		return fmt.Sprintf("mov %s, #%#x", r(i.dst), uint64(i.imm))
	case opALU:
		return fmt.Sprintf("%s %s, %s, %s", aluNames[i.alu], r(i.dst), r(i.src1), src2())
	case opMsub:
		return fmt.Sprintf("msub %s, %s, %s, %s", r(i.dst), r(i.src1), r(i.src2), r(i.src3))
	case opNeg:
		return fmt.Sprintf("neg %s, %s", r(i.dst), r(i.src1))
	case opCmp:
		return fmt.Sprintf("cmp %s, %s", r(i.src1), src2())
	case opTst:
		return fmt.Sprintf("tst %s, %s", r(i.src1), src2())
	case opCsel:
		return fmt.Sprintf("csel %s, %s, %s, %s", r(i.dst), r(i.src1), r(i.src2), condNames[i.cc])
	case opCset:
		return fmt.Sprintf("cset %s, %s", regName(i.dst), condNames[i.cc])
	case opExt:
		if i.signed {
			mn := map[uint8]string{1: "sxtb", 2: "sxth", 4: "sxtw"}[i.size]
			return fmt.Sprintf("%s %s, %s", mn, regNameSized(i.dst, i.dsize), regNameSized(i.src1, 4))
		}
		if i.size == 4 {
			return fmt.Sprintf("mov %s, %s", regNameSized(i.dst, 4), regNameSized(i.src1, 4))
		}
		mn := map[uint8]string{1: "uxtb", 2: "uxth"}[i.size]
		return fmt.Sprintf("%s %s, %s", mn, regNameSized(i.dst, 4), regNameSized(i.src1, 4))
	case opRev:
		mn := map[uint8]string{2: "rev16", 4: "rev", 8: "rev"}[i.size]
		sz := i.size
		if sz == 2 {
			sz = 4
		}
		return fmt.Sprintf("%s %s, %s", mn, regNameSized(i.dst, sz), regNameSized(i.src1, sz))
	case opLoad:
		mn := map[uint8]string{1: "ldrb", 2: "ldrh", 4: "ldr", 8: "ldr"}[i.size]
		dsize := uint8(4)
		if i.signed {
			mn = map[uint8]string{1: "ldrsb", 2: "ldrsh", 4: "ldrsw"}[i.size]
			dsize = 8
		} else if i.size == 8 {
			dsize = 8
		}
		return fmt.Sprintf("%s %s, %s", mn, regNameSized(i.dst, dsize), i.mem)
	case opStore:
		mn := map[uint8]string{1: "strb", 2: "strh", 4: "str", 8: "str"}[i.size]
		sz := max(i.size, 4)
		src := regNameSized(i.src1, sz)
		if i.zero {
			src = regNameSized(xzr, sz)
		}
		return fmt.Sprintf("%s %s, %s", mn, src, i.mem)
	case opLea:
		return fmt.Sprintf("add %s, %s", regName(i.dst), i.mem)
	case opJmp:
		return fmt.Sprintf("b L%d", i.label)
	case opBcc:
		return fmt.Sprintf("b.%s L%d", condNames[i.cc], i.label)
	case opCbnz:
		mn := "cbnz"
		if i.cc == condEq {
			mn = "cbz"
		}
		return fmt.Sprintf("%s %s, L%d", mn, r(i.src1), i.label)
	case opCall:
		s := "bl " + i.target()
		if i.reloc != backend.RelocCall {
			s = "blr " + i.target()
		}
		if len(i.uses) > 0 {
			var args []string
			for _, u := range i.uses {
				args = append(args, regName(u))
			}
			s += " (" + strings.Join(args, ", ") + ")"
		}
		return s
	case opRet:
		return "ret"
	case opLoadTable:
		return fmt.Sprintf("ldr %s, %s", regName(i.dst), i.target())
	case opAtomic:
		s := fmt.Sprintf("atomic%d %s [%s], %s", i.size*8, atomicNames[i.atomic], regName(i.src1), r(i.src2))
		if i.atomic == atomicCmpXchg {
			s += ", " + r(i.src3)
		}
		if i.fetch {
			s = r(i.dst) + " = " + s
		}
		return s
	case opKeepAlive:
		var us []string
		for _, u := range i.uses {
			us = append(us, regName(u))
		}
		return "keepalive " + strings.Join(us, ", ")
	case opAdjSP:
		if i.imm < 0 {
			return fmt.Sprintf("add sp, sp, #%d", -i.imm)
		}
		return fmt.Sprintf("sub sp, sp, #%d", i.imm)
	case opStp:
		return fmt.Sprintf("stp %s, %s, [sp, #%d]", regName(i.src1), regName(i.src2), i.imm)
	case opLdp:
		return fmt.Sprintf("ldp %s, %s, [sp, #%d]", regName(i.dst), regName(i.src2), i.imm)
	case opMovFromSP:
		return fmt.Sprintf("mov %s, sp", regName(i.dst))
	}
	return fmt.Sprintf("op%d", i.op)
}

// target names a call's or table load's target.
func (i *instr) target() string {
	switch i.reloc {
	case backend.RelocHelper:
		return fmt.Sprintf("[helpers+8*helper%d]", i.index)
	case backend.RelocMap:
		return fmt.Sprintf("[maps+8*map%d]", i.index)
	case backend.RelocMapValue:
		return fmt.Sprintf("[map_values+8*map%d]", i.index)
	case backend.RelocHelperIDs:
		return fmt.Sprintf("[helper_ids+8*%s]", regName(i.src1))
	}
	return fmt.Sprintf("func%d", i.index)
}

// Remat implements regalloc.Rematerializer for constants, table loads and
// frame addresses.
func (i *instr) Remat(dst regalloc.Reg) (regalloc.Instr, bool) {
	switch {
	case i.op == opMovImm, i.op == opLoadTable, i.op == opLea && i.mem.kind == amFP:
		c := *i
		c.dst, c.line = dst, 0
		return &c, true
	}
	return nil, false
}
