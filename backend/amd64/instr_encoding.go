package amd64

import (
	"fmt"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/backend/amd64/internal/asm"
	"github.com/bpf2native/bpf2native/regalloc"
)

// Encoding goes through golang-asm (internal/asm): each instr becomes one
// or two instructions in Go assembler terms. Nothing here encodes bytes
// by hand; golang-asm covers every form the lowering produces.

var condSuffix = [...]string{"EQ", "NE", "HI", "CC", "CS", "LS", "GT", "GE", "LT", "LE"}

var aluMnemonics = [...]string{"ADD", "SUB", "AND", "OR", "XOR", "IMUL", "SHL", "SHR", "SAR", "ROL"}

var sizeSuffixes = [...]string{1: "B", 2: "W", 4: "L", 8: "Q"}

func sizeSuffix(size uint8) string {
	if int(size) < len(sizeSuffixes) {
		return sizeSuffixes[size]
	}
	return ""
}

// symID packs a relocation target into an asm symbol number.
func symID(kind backend.CodeRelocKind, index int) int { return index*8 + int(kind) }

func symKind(id int) (backend.CodeRelocKind, int) {
	return backend.CodeRelocKind(id % 8), id / 8
}

func reg(r regalloc.Reg) asm.Operand {
	if !r.IsPhysical() || r >= numRegs {
		panic(fmt.Sprintf("BUG: register %s left after allocation", regName(r)))
	}
	return asm.Operand{Kind: asm.Reg, Reg: int(r)}
}

func imm(c int64) asm.Operand { return asm.Operand{Kind: asm.Imm, Imm: c} }

func mem(a amode) asm.Operand {
	if a.kind != amReg {
		panic(fmt.Sprintf("BUG: unresolved memory operand %s", a))
	}
	o := asm.Operand{Kind: asm.Mem, Base: int(reg(a.base).Reg), Disp: a.disp}
	if a.scale != 0 {
		o.Index, o.Scale = int(reg(a.index).Reg), a.scale
	}
	return o
}

// Encode implements backend.Machine.
func (m *Machine) Encode() (*backend.Code, error) {
	n, labels := 0, 0
	for _, b := range m.layout() {
		n += len(b.Instrs)
		labels = max(labels, int(b.Label)+1)
	}
	// Most instrs are one asm instruction; a function is one allocation.
	insts := make([]asm.Inst, 0, n+n/8)
	// labelAt[l] is the asm index of block l, or -1.
	labelAt := make([]int, labels)
	for l := range labelAt {
		labelAt[l] = -1
	}
	localAt := map[int]int{}
	type fixup struct {
		inst  int
		label backend.Label
		local int
	}
	var fixups []fixup
	// Each machine instruction's first asm instruction and line stamp, for
	// the line table.
	type mark struct {
		inst int
		line int32
	}
	marks := make([]mark, 0, n)
	for _, b := range m.layout() {
		labelAt[b.Label] = len(insts)
		for _, i := range b.Instrs {
			switch i.op {
			case opLabel:
				localAt[i.index] = len(insts)
				continue
			case opKeepAlive:
				continue
			case opJmp, opJcc:
				fixups = append(fixups, fixup{inst: len(insts), label: i.label, local: i.index})
			}
			marks = append(marks, mark{inst: len(insts), line: i.line})
			insts = m.encodeInstr(insts, i)
		}
	}
	for _, f := range fixups {
		t, ok := -1, false
		if int(f.label) < len(labelAt) {
			t = labelAt[f.label]
			ok = t >= 0
		}
		if f.local > 0 {
			t, ok = localAt[f.local]
		}
		if !ok {
			return nil, fmt.Errorf("branch to unknown label L%d", f.label)
		}
		if t == len(insts) {
			insts = append(insts, asm.Inst{Op: "NOP"})
		}
		insts[f.inst].To = asm.Operand{Kind: asm.Branch, Target: t}
	}
	res, err := asm.Assemble(insts)
	if err != nil {
		return nil, err
	}
	code := &backend.Code{Bytes: res.Code, FrameSize: m.frame.size + 8*len(m.frame.pushes)}
	// The prologue is the first instructions of the entry block, one asm
	// instruction each.
	var ends []int
	for k := 0; k < len(m.frame.pushes)+btoi(m.frame.size > 0); k++ {
		ends = append(ends, res.Offsets[k+1])
	}
	code.Unwind = m.unwindCodes(ends)
	for k, mk := range marks {
		end := len(insts)
		if k+1 < len(marks) {
			end = marks[k+1].inst
		}
		off := res.Offsets[mk.inst]
		if res.Offsets[end] == off {
			continue // encodes to nothing: no machine instruction to name
		}
		code.Lines = append(code.Lines, backend.Line{Offset: off, Insn: int(mk.line) - 1})
	}
	for _, r := range res.Relocs {
		kind, index := symKind(r.Sym)
		// Go measures from the end of the field; Reloc from the place.
		code.Relocs = append(code.Relocs, backend.CodeReloc{Offset: r.Offset, Form: backend.PCRel32, Kind: kind, Index: index, Addend: r.Addend - 4})
	}
	return code, nil
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// encodeInstr appends one instruction in Go assembler terms to dst (From
// is the source, To the destination; CMP reads From then To).
func (m *Machine) encodeInstr(dst []asm.Inst, i *instr) []asm.Inst {
	sz := sizeSuffix(i.size)
	one := func(op string, from, to asm.Operand) []asm.Inst {
		return append(dst, asm.Inst{Op: asm.Op(op), From: from, To: to})
	}
	src := func() asm.Operand {
		if i.hasImm {
			return imm(i.imm)
		}
		return reg(i.src)
	}
	switch i.op {
	case opMov:
		return one("MOV"+sz, reg(i.src), reg(i.dst))
	case opMovImm:
		return one("MOV"+sz, imm(i.imm), reg(i.dst))
	case opZero:
		return one("XORL", reg(i.dst), reg(i.dst))
	case opALU:
		return one(aluMnemonics[i.alu]+sz, src(), reg(i.dst))
	case opShift:
		if i.hasImm {
			return one(aluMnemonics[i.alu]+sz, imm(i.imm), reg(i.dst))
		}
		return one(aluMnemonics[i.alu]+sz, reg(rcx), reg(i.dst))
	case opCmp:
		return one("CMP"+sz, reg(i.dst), src())
	case opTest:
		return one("TEST"+sz, src(), reg(i.dst))
	case opNeg:
		return one("NEG"+sz, asm.Operand{}, reg(i.dst))
	case opLoad:
		var op string
		switch {
		case i.signed:
			op = map[uint8]string{1: "MOVBQSX", 2: "MOVWQSX", 4: "MOVLQSX"}[i.size]
		case i.size == 1:
			op = "MOVBLZX"
		case i.size == 2:
			op = "MOVWLZX"
		default:
			op = "MOV" + sz
		}
		return one(op, mem(i.mem), reg(i.dst))
	case opStore:
		return one("MOV"+sz, src(), mem(i.mem))
	case opLea:
		if i.size == 4 {
			return one("LEAL", mem(i.mem), reg(i.dst))
		}
		return one("LEAQ", mem(i.mem), reg(i.dst))
	case opImul3:
		src := reg(i.src)
		return append(dst, asm.Inst{Op: asm.Op("IMUL3" + sz), From: imm(i.imm), From3: &src, To: reg(i.dst)})
	case opExt:
		var op string
		switch {
		case !i.signed:
			op = map[uint8]string{1: "MOVBLZX", 2: "MOVWLZX", 4: "MOVL"}[i.size]
		case i.dsize == 4:
			op = map[uint8]string{1: "MOVBLSX", 2: "MOVWLSX"}[i.size]
		default:
			op = map[uint8]string{1: "MOVBQSX", 2: "MOVWQSX", 4: "MOVLQSX"}[i.size]
		}
		return one(op, reg(i.src), reg(i.dst))
	case opBswap:
		return one("BSWAP"+sz, asm.Operand{}, reg(i.dst))
	case opRol16:
		return one("ROLW", imm(8), reg(i.dst))
	case opDiv:
		op := "DIV"
		if i.signed {
			op = "IDIV"
		}
		return one(op+sz, reg(i.src), asm.Operand{})
	case opSignAx:
		if i.size == 8 {
			return one("CQO", asm.Operand{}, asm.Operand{})
		}
		return one("CDQ", asm.Operand{}, asm.Operand{})
	case opCmov:
		return one("CMOV"+sz+condSuffix[i.cc], reg(i.src), reg(i.dst))
	case opSetcc:
		return one("SET"+condSuffix[i.cc], asm.Operand{}, asm.Operand{Kind: asm.Reg8, Reg: int(reg(i.dst).Reg)})
	case opJmp:
		return one("JMP", asm.Operand{}, asm.Operand{})
	case opJcc:
		return one("J"+condSuffix[i.cc], asm.Operand{}, asm.Operand{})
	case opCall:
		if i.reloc == backend.RelocCall {
			return one("CALL", asm.Operand{}, asm.Operand{Kind: asm.SymCall, Sym: symID(i.reloc, i.index)})
		}
		return one("CALL", asm.Operand{}, asm.Operand{Kind: asm.SymMem, Sym: symID(i.reloc, i.index)})
	case opCallMem:
		return one("CALL", asm.Operand{}, mem(i.mem))
	case opLeaTable:
		return one("LEAQ", asm.Operand{Kind: asm.SymMem, Sym: symID(i.reloc, i.index)}, reg(i.dst))
	case opRet:
		return one("RET", asm.Operand{}, asm.Operand{})
	case opLockALU:
		return append(dst, asm.Inst{Op: "LOCK"}, asm.Inst{Op: asm.Op(aluMnemonics[i.alu] + sz), From: reg(i.src), To: mem(i.mem)})
	case opXadd:
		return append(dst, asm.Inst{Op: "LOCK"}, asm.Inst{Op: asm.Op("XADD" + sz), From: reg(i.src), To: mem(i.mem)})
	case opXchg:
		// xchg with memory is locked without a prefix.
		return one("XCHG"+sz, reg(i.src), mem(i.mem))
	case opCmpxchg:
		return append(dst, asm.Inst{Op: "LOCK"}, asm.Inst{Op: asm.Op("CMPXCHG" + sz), From: reg(i.src), To: mem(i.mem)})
	case opLoadTable:
		return one("MOVQ", asm.Operand{Kind: asm.SymMem, Sym: symID(i.reloc, i.index)}, reg(i.dst))
	case opPush:
		return one("PUSHQ", reg(i.src), asm.Operand{})
	case opPop:
		return one("POPQ", asm.Operand{}, reg(i.dst))
	case opAdjSP:
		if i.imm < 0 {
			return one("ADDQ", imm(-i.imm), reg(rsp))
		}
		return one("SUBQ", imm(i.imm), reg(rsp))
	}
	panic(fmt.Sprintf("BUG: cannot encode %s", i))
}
