package arm64

import (
	"fmt"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/backend/arm64/internal/asm"
	"github.com/bpf2native/bpf2native/regalloc"
)

// Encoding goes through golang-asm (internal/asm): each instr becomes one
// or more instructions in Go assembler terms, each of which must be one
// machine instruction (internal/asm checks). What golang-asm would expand
// through R27 or a literal pool is expanded here instead, through the
// scratch registers x16 and x17: constants (movz/movn/movk), displacements
// beyond a load's or store's immediate, frames beyond an add's. The only
// words written by hand are the ones relocations patch: adrp, the ldr of
// a table slot, the add of a table's address and bl, whose operands the
// relocation supplies.

var condBranch = map[cond]string{condEq: "BEQ", condNe: "BNE", condHs: "BHS", condLo: "BLO", condHi: "BHI", condLs: "BLS",
	condGe: "BGE", condLt: "BLT", condGt: "BGT", condLe: "BLE"}

var aluMnemonics = [...]string{"ADD", "SUB", "AND", "ORR", "EOR", "MUL", "UDIV", "SDIV", "LSL", "LSR", "ASR", "ROR"}

// Hand-encoded words. A relocation fills the immediate fields of the
// first three; the moves are written by hand because golang-asm takes
// their operand as a signed 64-bit value and refuses a halfword of 0x8000
// or more in bits 48-63.
const (
	wordADRP  = 0x90000000 // adrp xd, 0
	wordLDR64 = 0xf9400000 // ldr xt, [xn, #0]
	wordADD64 = 0x91000000 // add xd, xn, #0
	wordBL    = 0x94000000 // bl .
	wordMOVN  = 0x92800000 // movn xd, #imm16, lsl #hw*16
	wordMOVZ  = 0xd2800000 // movz xd, #imm16, lsl #hw*16
	wordMOVK  = 0xf2800000 // movk xd, #imm16, lsl #hw*16
	wordMOVNW = 0x12800000 // movn wd, #imm16, lsl #hw*16
)

// wide encodes a move-wide instruction: base, halfword k (0-3) holding h.
func wide(base uint32, dst regalloc.Reg, k int, h uint64) asm.Inst {
	return word(base | uint32(k)<<21 | uint32(h&0xffff)<<5 | uint32(hw(dst)))
}

func w(size uint8) string {
	if size == 4 {
		return "W"
	}
	return ""
}

func hw(r regalloc.Reg) int {
	if !r.IsPhysical() || r >= numRegs {
		panic(fmt.Sprintf("BUG: register %s left after allocation", regName(r)))
	}
	switch r {
	case sp:
		return asm.SP
	case xzr:
		return asm.ZR
	}
	return int(r)
}

func reg(r regalloc.Reg) asm.Operand { return asm.Operand{Kind: asm.Reg, Reg: hw(r)} }

func imm(c int64) asm.Operand { return asm.Operand{Kind: asm.Imm, Imm: c} }

func memAt(base regalloc.Reg, disp int64) asm.Operand {
	return asm.Operand{Kind: asm.Mem, Base: hw(base), Disp: disp}
}

func word(v uint32) asm.Inst { return asm.Inst{Op: "WORD", To: imm(int64(v))} }

// relocAt is a relocation against the word asm instruction inst encodes.
type relocAt struct {
	inst  int
	form  backend.RelocForm
	kind  backend.CodeRelocKind
	index int
}

// encoder accumulates a function's asm instructions.
type encoder struct {
	insts  []asm.Inst
	relocs []relocAt
}

func (e *encoder) add(is ...asm.Inst) { e.insts = append(e.insts, is...) }

// addImm emits dst = base + c for any |c| < 2^24 as at most two add or
// sub immediates (low 12 bits, then the next 12, shifted).
func (e *encoder) addImm(dst, base regalloc.Reg, c int64) {
	if c <= -(1<<24) || c >= 1<<24 {
		panic(fmt.Sprintf("BUG: displacement %d out of range", c))
	}
	op, mag := "ADD", c
	if c < 0 {
		op, mag = "SUB", -c
	}
	lo, hi := mag&0xfff, mag&^0xfff
	if lo == 0 && hi == 0 {
		if dst != base {
			e.add(asm.Inst{Op: "MOVD", From: reg(base), To: reg(dst)})
		}
		return
	}
	src := base
	if lo != 0 {
		e.add(asm.Inst{Op: asm.Op(op), From: imm(lo), Reg: reg(src), To: reg(dst)})
		src = dst
	}
	if hi != 0 {
		e.add(asm.Inst{Op: asm.Op(op), From: imm(hi), Reg: reg(src), To: reg(dst)})
	}
}

// mem returns the operand for an access of size bytes at a, first
// computing the address into x17 when the displacement fits neither the
// scaled unsigned 12-bit form nor the unscaled signed 9-bit one.
func (e *encoder) mem(a amode, size uint8) asm.Operand {
	if a.kind != amReg {
		panic(fmt.Sprintf("BUG: unresolved memory operand %s", a))
	}
	d, s := a.disp, int64(size)
	if (d >= 0 && d%s == 0 && d/s < 1<<12) || (d >= -256 && d < 256) {
		return memAt(a.base, d)
	}
	e.addImm(x17, a.base, d)
	return memAt(x17, 0)
}

// movImm emits dst = c: one movz, movn or orr when c allows, else the
// shortest movz or movn followed by movk of the other halfwords.
func (e *encoder) movImm(dst regalloc.Reg, c int64) {
	u := uint64(c)
	var zeros, ones int
	for k := 0; k < 4; k++ {
		switch (u >> (16 * k)) & 0xffff {
		case 0:
			zeros++
		case 0xffff:
			ones++
		}
	}
	half := func(k int) uint64 { return (u >> (16 * k)) & 0xffff }
	switch {
	case ones < 3 && zeros < 3 && u>>32 == 0 && (half(0) == 0xffff || half(1) == 0xffff):
		// A 32-bit movn zero-extends: 0x0000_0000_ffff_xxxx or
		// 0x0000_0000_xxxx_ffff.
		k := 0
		if half(0) == 0xffff && half(1) != 0xffff {
			k = 1
		}
		e.add(wide(wordMOVNW, dst, k, ^half(k)))
		return
	case ones < 3 && zeros < 3 && isLogicalImm(u, 8):
		e.add(asm.Inst{Op: "ORR", From: imm(c), Reg: reg(xzr), To: reg(dst)})
		return
	}
	skip, first := uint64(0), uint32(wordMOVZ)
	if ones > zeros {
		skip, first = 0xffff, wordMOVN
	}
	done := false
	for k := 0; k < 4; k++ {
		h := half(k)
		switch {
		case h == skip:
		case !done && first == wordMOVN:
			e.add(wide(wordMOVN, dst, k, ^h))
			done = true
		case !done:
			e.add(wide(wordMOVZ, dst, k, h))
			done = true
		default:
			e.add(wide(wordMOVK, dst, k, h))
		}
	}
	if !done {
		// Every halfword is the one skipped: 0 or -1.
		e.add(wide(first, dst, 0, 0))
	}
}

// Encode implements backend.Machine.
func (m *Machine) Encode() (*backend.Code, error) {
	n := 0
	for _, b := range m.layout() {
		n += len(b.Instrs)
	}
	// Most instrs are one asm instruction; a function is one allocation.
	e := &encoder{insts: make([]asm.Inst, 0, n+n/8)}
	labelAt := map[backend.Label]int{}
	type fixup struct {
		inst  int
		label backend.Label
	}
	var fixups []fixup
	// ends[k] is the asm index past the entry block's instruction k, for
	// the prologue's unwind codes.
	var ends []int
	// Each machine instruction's first asm instruction and line stamp, for
	// the line table.
	type mark struct {
		inst int
		line int32
	}
	var marks []mark
	for bi, b := range m.layout() {
		labelAt[b.Label] = len(e.insts)
		for _, i := range b.Instrs {
			marks = append(marks, mark{inst: len(e.insts), line: i.line})
			switch i.op {
			case opKeepAlive:
			case opJmp, opBcc, opCbnz:
				fixups = append(fixups, fixup{inst: len(e.insts), label: i.label})
				m.encodeInstr(e, i)
			default:
				m.encodeInstr(e, i)
			}
			if bi == 0 {
				ends = append(ends, len(e.insts))
			}
		}
	}
	for _, f := range fixups {
		t, ok := labelAt[f.label]
		if !ok {
			return nil, fmt.Errorf("branch to unknown label L%d", f.label)
		}
		if t == len(e.insts) {
			e.add(asm.Inst{Op: "NOP"})
		}
		e.insts[f.inst].To = asm.Operand{Kind: asm.Branch, Target: t}
	}
	res, err := asm.Assemble(e.insts)
	if err != nil {
		return nil, err
	}
	code := &backend.Code{Bytes: res.Code, FrameSize: m.frame.size}
	var pro []int
	for k := 0; k < m.prologueLen() && k < len(ends); k++ {
		pro = append(pro, res.Offsets[ends[k]])
	}
	code.Unwind = m.unwindCodes(pro)
	for k, mk := range marks {
		end := len(e.insts)
		if k+1 < len(marks) {
			end = marks[k+1].inst
		}
		off := res.Offsets[mk.inst]
		if res.Offsets[end] == off {
			continue // encodes to nothing: no machine instruction to name
		}
		code.Lines = append(code.Lines, backend.Line{Offset: off, Insn: int(mk.line) - 1})
	}
	for _, r := range e.relocs {
		code.Relocs = append(code.Relocs, backend.CodeReloc{Offset: res.Offsets[r.inst], Form: r.form, Kind: r.kind, Index: r.index})
	}
	return code, nil
}

// prologueLen is the number of instrs Finalize put before the entry
// block's code.
func (m *Machine) prologueLen() int {
	f := &m.frame
	n := len(f.groups)
	if f.size > 0 {
		n++
	}
	if f.record > 0 {
		n += 2
	}
	return n
}

// encodeInstr translates one instruction into Go assembler terms (From is
// the source, Reg the first operand of three-operand forms, To the
// destination).
func (m *Machine) encodeInstr(e *encoder, i *instr) {
	sz := w(i.size)
	switch i.op {
	case opMov:
		if i.size == 4 {
			e.add(asm.Inst{Op: "MOVWU", From: reg(i.src1), To: reg(i.dst)})
		} else {
			e.add(asm.Inst{Op: "MOVD", From: reg(i.src1), To: reg(i.dst)})
		}
	case opMovImm:
		e.movImm(i.dst, i.imm)
	case opALU:
		in := asm.Inst{Op: asm.Op(aluMnemonics[i.alu] + sz), Reg: reg(i.src1), To: reg(i.dst)}
		switch {
		case i.hasImm && i.imm == 0 && i.alu >= aluLsl:
			// A shift by 0 is a move (zero-extending for 32 bits).
			e.add(asm.Inst{Op: map[uint8]asm.Op{4: "MOVWU", 8: "MOVD"}[i.size], From: reg(i.src1), To: reg(i.dst)})
			return
		case i.hasImm && i.imm == 0:
			// golang-asm reads a zero constant as register 0: use the zero
			// register, which the shifted-register forms read as 0.
			in.From = reg(xzr)
			e.add(in)
			return
		}
		if i.hasImm {
			c := i.imm
			if i.size == 4 && i.alu >= aluAnd && i.alu <= aluXor {
				c = int64(uint32(c))
			}
			in.From = imm(c)
		} else {
			in.From = reg(i.src2)
		}
		e.add(in)
	case opMsub:
		// dst = src3 - src1*src2.
		f3 := reg(i.src1)
		e.add(asm.Inst{Op: asm.Op("MSUB" + sz), From: reg(i.src2), Reg: reg(i.src3), From3: &f3, To: reg(i.dst)})
	case opNeg:
		e.add(asm.Inst{Op: asm.Op("NEG" + sz), From: reg(i.src1), To: reg(i.dst)})
	case opCmp, opTst:
		op := "CMP"
		if i.op == opTst {
			op = "TST"
		}
		in := asm.Inst{Reg: reg(i.src1)}
		switch {
		case !i.hasImm:
			in.From = reg(i.src2)
		case i.op == opTst && i.size == 4:
			in.From = imm(int64(uint32(i.imm)))
		case i.imm == 0:
			in.From = reg(xzr) // as in opALU
		case i.op == opCmp && i.imm < 0:
			op, in.From = "CMN", imm(-i.imm)
		default:
			in.From = imm(i.imm)
		}
		in.Op = asm.Op(op + sz)
		e.add(in)
	case opCsel:
		f3 := reg(i.src2)
		e.add(asm.Inst{Op: asm.Op("CSEL" + sz), From: asm.Operand{Kind: asm.Cond, Cond: int(i.cc)}, Reg: reg(i.src1), From3: &f3, To: reg(i.dst)})
	case opCset:
		e.add(asm.Inst{Op: "CSET", From: asm.Operand{Kind: asm.Cond, Cond: int(i.cc)}, To: reg(i.dst)})
	case opExt:
		var op string
		switch {
		case !i.signed:
			op = map[uint8]string{1: "MOVBU", 2: "MOVHU", 4: "MOVWU"}[i.size]
		case i.dsize == 4:
			op = map[uint8]string{1: "SXTBW", 2: "SXTHW"}[i.size]
		default:
			op = map[uint8]string{1: "MOVB", 2: "MOVH", 4: "MOVW"}[i.size]
		}
		e.add(asm.Inst{Op: asm.Op(op), From: reg(i.src1), To: reg(i.dst)})
	case opRev:
		op := map[uint8]string{2: "REV16W", 4: "REVW", 8: "REV"}[i.size]
		e.add(asm.Inst{Op: asm.Op(op), From: reg(i.src1), To: reg(i.dst)})
	case opLoad:
		var op string
		switch {
		case i.size == 8:
			op = "MOVD"
		case i.signed:
			op = map[uint8]string{1: "MOVB", 2: "MOVH", 4: "MOVW"}[i.size]
		default:
			op = map[uint8]string{1: "MOVBU", 2: "MOVHU", 4: "MOVWU"}[i.size]
		}
		from := e.mem(i.mem, i.size)
		e.add(asm.Inst{Op: asm.Op(op), From: from, To: reg(i.dst)})
	case opStore:
		op := map[uint8]string{1: "MOVB", 2: "MOVH", 4: "MOVW", 8: "MOVD"}[i.size]
		src := xzr
		if !i.zero {
			src = i.src1
		}
		to := e.mem(i.mem, i.size)
		e.add(asm.Inst{Op: asm.Op(op), From: reg(src), To: to})
	case opLea:
		if i.mem.kind != amReg {
			panic(fmt.Sprintf("BUG: unresolved memory operand %s", i.mem))
		}
		e.addImm(i.dst, i.mem.base, i.mem.disp)
	case opJmp:
		e.add(asm.Inst{Op: "JMP"})
	case opBcc:
		e.add(asm.Inst{Op: asm.Op(condBranch[i.cc])})
	case opCbnz:
		op := "CBNZ"
		if i.cc == condEq {
			op = "CBZ"
		}
		e.add(asm.Inst{Op: asm.Op(op + sz), From: reg(i.src1)})
	case opCall:
		if i.reloc == backend.RelocCall {
			e.relocs = append(e.relocs, relocAt{inst: len(e.insts), form: backend.AArch64Call26, kind: i.reloc, index: i.index})
			e.add(word(wordBL))
			return
		}
		if i.reloc == backend.RelocHelperIDs {
			// adrp x16, helper_ids; add x16, x16, lo12; ldr x16, [x16, id, lsl 3]
			e.relocs = append(e.relocs,
				relocAt{inst: len(e.insts), form: backend.AArch64Page21, kind: i.reloc, index: i.index},
				relocAt{inst: len(e.insts) + 1, form: backend.AArch64Lo12Add, kind: i.reloc, index: i.index})
			e.add(word(wordADRP|uint32(hw(x16))), word(wordADD64|uint32(hw(x16))<<5|uint32(hw(x16))))
			e.add(asm.Inst{Op: "MOVD", From: asm.Operand{Kind: asm.MemIdx, Base: hw(x16), Reg2: hw(i.src1), Imm: 3}, To: reg(x16)})
			e.add(asm.Inst{Op: "CALL", To: memAt(x16, 0)})
			return
		}
		e.loadTable(x16, i.reloc, i.index)
		e.add(asm.Inst{Op: "CALL", To: memAt(x16, 0)})
	case opRet:
		e.add(asm.Inst{Op: "RET", To: reg(x30)})
	case opLoadTable:
		e.loadTable(i.dst, i.reloc, i.index)
	case opAtomic:
		encodeAtomic(e, i)
	case opAdjSP:
		e.addImm(sp, sp, -i.imm)
	case opStp:
		e.add(asm.Inst{Op: "STP", From: asm.Operand{Kind: asm.Pair, Reg: hw(i.src1), Reg2: hw(i.src2)}, To: memAt(sp, i.imm)})
	case opLdp:
		e.add(asm.Inst{Op: "LDP", From: memAt(sp, i.imm), To: asm.Operand{Kind: asm.Pair, Reg: hw(i.dst), Reg2: hw(i.src2)}})
	case opMovFromSP:
		e.add(asm.Inst{Op: "MOVD", From: reg(sp), To: reg(i.dst)})
	default:
		panic(fmt.Sprintf("BUG: cannot encode %s", i))
	}
}

// loadTable emits dst = [table slot]: adrp dst, slot; ldr dst, [dst, lo12].
func (e *encoder) loadTable(dst regalloc.Reg, kind backend.CodeRelocKind, index int) {
	d := uint32(hw(dst))
	e.relocs = append(e.relocs,
		relocAt{inst: len(e.insts), form: backend.AArch64Page21, kind: kind, index: index},
		relocAt{inst: len(e.insts) + 1, form: backend.AArch64Lo12Ldst64, kind: kind, index: index})
	e.add(word(wordADRP|d), word(wordLDR64|d<<5|d))
}

// encodeAtomic expands an atomic into its load-exclusive/store-exclusive
// loop, as the Linux kernel's arm64 eBPF JIT does without LSE. x16 holds
// the new value, w17 the store's status. Fetching forms store with
// release and end with a full barrier, so they order as a sequentially
// consistent read-modify-write; the plain forms are relaxed.
//
//	add/and/or/xor      fetch-add/and/or/xor     xchg               cmpxchg
//	0: ldxr x16, [a]    0: ldxr d, [a]           0: ldxr d, [a]     0: ldxr d, [a]
//	   op x16, x16, v      op x16, d, v             stlxr w17, v, [a]  cmp d, e
//	   stxr w17, x16, [a]  stlxr w17, x16, [a]      cbnz w17, 0        b.ne 1
//	   cbnz w17, 0         cbnz w17, 0              dmb ish            stlxr w17, n, [a]
//	                       dmb ish                                     cbnz w17, 0
//	                                                                1: dmb ish
func encodeAtomic(e *encoder, i *instr) {
	sz := w(i.size)
	a, v := memAt(i.src1, 0), reg(i.src2)
	top := len(e.insts)
	loop := func(op string, from asm.Operand) {
		e.add(asm.Inst{Op: asm.Op(op + sz), From: from, To: a, RegTo2: reg(x17)})
		e.add(asm.Inst{Op: "CBNZW", From: reg(x17), To: asm.Operand{Kind: asm.Branch, Target: top}})
	}
	dmb := asm.Inst{Op: "DMB", From: imm(0xb)} // ish
	alu := map[atomicOp]string{atomicAdd: "ADD", atomicAnd: "AND", atomicOr: "ORR", atomicXor: "EOR"}[i.atomic]
	switch {
	case !i.fetch:
		e.add(asm.Inst{Op: asm.Op("LDXR" + sz), From: a, To: reg(x16)})
		e.add(asm.Inst{Op: asm.Op(alu + sz), From: v, Reg: reg(x16), To: reg(x16)})
		loop("STXR", reg(x16))
	case i.atomic == atomicXchg:
		e.add(asm.Inst{Op: asm.Op("LDXR" + sz), From: a, To: reg(i.dst)})
		loop("STLXR", v)
		e.add(dmb)
	case i.atomic == atomicCmpXchg:
		e.add(asm.Inst{Op: asm.Op("LDXR" + sz), From: a, To: reg(i.dst)})
		e.add(asm.Inst{Op: asm.Op("CMP" + sz), From: v, Reg: reg(i.dst)})
		e.add(asm.Inst{Op: "BNE", To: asm.Operand{Kind: asm.Branch, Target: top + 5}})
		loop("STLXR", reg(i.src3))
		e.add(dmb)
	default:
		e.add(asm.Inst{Op: asm.Op("LDXR" + sz), From: a, To: reg(i.dst)})
		e.add(asm.Inst{Op: asm.Op(alu + sz), From: v, Reg: reg(i.dst), To: reg(x16)})
		loop("STLXR", reg(x16))
		e.add(dmb)
	}
}
