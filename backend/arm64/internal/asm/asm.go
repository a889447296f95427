// Package asm is the only place the arm64 backend imports golang-asm: it
// turns a list of instructions in Go assembler terms (mnemonic, From,
// Reg, From3, To, RegTo2) into AArch64 machine code, and it guards against
// golang-asm's traps:
//
//   - the encoder tables are global and initialised lazily without a lock:
//     they are initialised once, under a sync.Once;
//   - errors go to a diagnostic callback (and a few paths call log.Fatalf):
//     Assemble validates operands first and turns diagnostics into errors;
//   - the first Prog of a function is its TEXT header and is not encoded:
//     Assemble puts a header of its own before the caller's instructions;
//   - an operand golang-asm cannot encode in one instruction (an
//     immediate or offset out of range) silently becomes a sequence
//     through R27 (REGTMP) or a literal-pool load. The backend never asks
//     for one, R27 being an allocatable register: Assemble checks that
//     every instruction became exactly one machine instruction (a far
//     conditional branch may become three: golang-asm's veneer) and that
//     no literal pool was placed, and fails otherwise.
//
// Relocations are not taken from golang-asm: table references are ADRP
// and LDR words the backend writes itself (Word) and records at their
// offsets, because golang-asm's R_ADDRARM64 does not say which ELF forms
// a load needs.
package asm

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/twitchyliquid64/golang-asm/obj"
	"github.com/twitchyliquid64/golang-asm/obj/arm64"
	"github.com/twitchyliquid64/golang-asm/objabi"
)

// Op is an arm64 mnemonic in Go's spelling ("MOVD", "ADDW", "CSEL").
type Op string

// Kind is an operand's kind.
type Kind uint8

const (
	None Kind = iota
	// Reg is general register Reg: 0-30 are x0-x30 (w0-w30 in 32-bit
	// forms), ZR the zero register and SP the stack pointer.
	Reg
	// Imm is the constant Imm.
	Imm
	// Mem is the memory at register Base plus Disp.
	Mem
	// Cond is the condition Cond (CSEL, CSET).
	Cond
	// Branch is a jump to instruction Target of the same list.
	Branch
	// Pair is the register pair Reg, Reg2 (STP, LDP).
	Pair
	// MemIdx is the memory at register Base plus register Reg2 shifted
	// left by Imm (0 or the access size's log2, as loads and stores
	// allow).
	MemIdx
)

// Register numbers beyond x0-x30.
const (
	ZR = 31
	SP = 32
)

// Conditions, in the hardware's order.
const (
	EQ = iota
	NE
	HS
	LO
	MI
	PL
	VS
	VC
	HI
	LS
	GE
	LT
	GT
	LE
)

// Operand is one operand.
type Operand struct {
	Kind   Kind
	Reg    int
	Reg2   int
	Base   int
	Disp   int64
	Imm    int64
	Cond   int
	Target int
}

// Inst is one instruction. Operands follow Go's order: From is the
// (first) source, Reg the second source register of three-operand forms,
// From3 a third source (CSEL's Rm, MSUB's Ra), To the destination, RegTo2
// a second destination (STXR's status). An Op of "WORD" emits Imm of To
// as a raw instruction word.
type Inst struct {
	Op     Op
	From   Operand
	Reg    Operand
	From3  *Operand
	To     Operand
	RegTo2 Operand
}

// Result is assembled code.
type Result struct {
	Code []byte
	// Offsets[i] is where instruction i starts; Offsets[len] is the end.
	Offsets []int
}

var (
	initOnce sync.Once
	ops      map[Op]obj.As
)

func initTables(ctxt *obj.Link) {
	initOnce.Do(func() {
		arm64.Linkarm64.Init(ctxt)
		ops = map[Op]obj.As{"CALL": obj.ACALL, "JMP": obj.AJMP, "RET": obj.ARET, "NOP": obj.ANOP}
		for i, name := range arm64.Anames {
			if obj.As(i) >= obj.A_ARCHSPECIFIC {
				ops[Op(name)] = obj.As(i) + obj.ABaseARM64
			}
		}
	})
}

// ErrAssemble is wrapped by every error Assemble returns.
var ErrAssemble = errors.New("arm64 assembler")

// isCondBranch reports whether op is a branch golang-asm may give a veneer.
func isCondBranch(op Op) bool {
	switch op {
	case "BEQ", "BNE", "BCS", "BHS", "BCC", "BLO", "BMI", "BPL", "BVS", "BVC", "BHI", "BLS", "BGE", "BLT", "BGT", "BLE",
		"CBZ", "CBZW", "CBNZ", "CBNZW", "TBZ", "TBNZ":
		return true
	}
	return false
}

// Assemble encodes insts.
func Assemble(insts []Inst) (*Result, error) {
	if len(insts) == 0 {
		return &Result{Offsets: []int{0}}, nil
	}
	ctxt := obj.Linknew(&arm64.Linkarm64)
	ctxt.Headtype = objabi.Hlinux
	ctxt.IsAsm = true
	var diags []string
	ctxt.DiagFunc = func(format string, args ...interface{}) {
		diags = append(diags, fmt.Sprintf(format, args...))
	}
	ctxt.DiagFlush = func() {}
	initTables(ctxt)

	// The header is the function's TEXT Prog, which span7 skips; a frame
	// size of -8 (no frame) as the Go assembler's NOFRAME gives.
	text := ctxt.NewProg()
	text.Ctxt = ctxt
	text.As = obj.ATEXT
	text.To = obj.Addr{Type: obj.TYPE_TEXTSIZE, Offset: 0}
	// One allocation for the function's Progs, as ctxt.NewProg would
	// make them one by one.
	store := make([]obj.Prog, len(insts))
	progs := make([]*obj.Prog, len(insts))
	for i := range store {
		store[i].Ctxt = ctxt
		progs[i] = &store[i]
	}
	text.Link = progs[0]
	for i, in := range insts {
		p := progs[i]
		wrap := func(err error) error {
			return fmt.Errorf("%w: instruction %d (%s): %w", ErrAssemble, i, in.Op, err)
		}
		if in.Op == "WORD" {
			if in.To.Kind != Imm || in.To.Imm < 0 || in.To.Imm > 0xffffffff {
				return nil, wrap(fmt.Errorf("bad word"))
			}
			p.As = arm64.AWORD
			p.To = obj.Addr{Type: obj.TYPE_CONST, Offset: in.To.Imm}
		} else {
			as, ok := ops[in.Op]
			if !ok {
				return nil, fmt.Errorf("%w: instruction %d: unknown mnemonic %s", ErrAssemble, i, in.Op)
			}
			p.As = as
			var err error
			if p.From, err = operand(in.From, progs); err != nil {
				return nil, wrap(err)
			}
			if p.To, err = operand(in.To, progs); err != nil {
				return nil, wrap(err)
			}
			if in.Reg.Kind != None {
				r, err := operand(in.Reg, progs)
				if err != nil || in.Reg.Kind != Reg {
					return nil, wrap(fmt.Errorf("bad second source %+v", in.Reg))
				}
				p.Reg = r.Reg
			}
			if in.RegTo2.Kind != None {
				r, err := operand(in.RegTo2, progs)
				if err != nil || in.RegTo2.Kind != Reg {
					return nil, wrap(fmt.Errorf("bad second destination %+v", in.RegTo2))
				}
				p.RegTo2 = r.Reg
			}
			if in.From3 != nil {
				a, err := operand(*in.From3, progs)
				if err != nil {
					return nil, wrap(err)
				}
				p.SetFrom3(a)
			}
		}
		if i+1 < len(progs) {
			p.Link = progs[i+1]
		}
	}
	// A sentinel after the last instruction marks where the code ends,
	// so that the last instruction's size is measured like the others.
	sentinel := ctxt.NewProg()
	sentinel.Ctxt = ctxt
	sentinel.As = arm64.AWORD
	sentinel.To = obj.Addr{Type: obj.TYPE_CONST, Offset: 0xd503201f} // nop
	progs[len(progs)-1].Link = sentinel
	s := &obj.LSym{Func: &obj.FuncInfo{Text: text}}
	arm64.Linkarm64.Assemble(ctxt, s, ctxt.NewProg)
	if len(diags) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrAssemble, strings.Join(diags, "; "))
	}
	res := &Result{Offsets: make([]int, len(insts)+1)}
	for i, p := range progs {
		res.Offsets[i] = int(p.Pc)
	}
	end := int(sentinel.Pc)
	res.Offsets[len(insts)] = end
	for i, in := range insts {
		if progs[i].Pool != nil {
			return nil, fmt.Errorf("%w: instruction %d (%s) became a load from a literal pool", ErrAssemble, i, in.Op)
		}
		size := res.Offsets[i+1] - res.Offsets[i]
		if size == 4 || (size == 12 && isCondBranch(in.Op)) {
			continue
		}
		return nil, fmt.Errorf("%w: instruction %d (%s) took %d bytes: an operand out of range became a sequence through R27", ErrAssemble, i, in.Op, size)
	}
	for _, r := range s.R {
		// Markers such as R_CALLIND patch nothing.
		if r.Siz != 0 {
			return nil, fmt.Errorf("%w: unexpected relocation %v", ErrAssemble, r.Type)
		}
	}
	res.Code = s.P[:end]
	return res, nil
}

// operand validates o and converts it, so that golang-asm never sees an
// operand that would make it call log.Fatalf.
func operand(o Operand, progs []*obj.Prog) (obj.Addr, error) {
	reg := func(r int) (int16, error) {
		switch {
		case r >= 0 && r <= 30:
			return int16(arm64.REG_R0 + r), nil
		case r == ZR:
			return arm64.REGZERO, nil
		case r == SP:
			return arm64.REGSP, nil
		}
		return 0, fmt.Errorf("bad register %d", r)
	}
	switch o.Kind {
	case None:
		return obj.Addr{}, nil
	case Reg:
		r, err := reg(o.Reg)
		return obj.Addr{Type: obj.TYPE_REG, Reg: r}, err
	case Imm:
		return obj.Addr{Type: obj.TYPE_CONST, Offset: o.Imm}, nil
	case Mem:
		r, err := reg(o.Base)
		if o.Base == ZR {
			return obj.Addr{}, fmt.Errorf("zero register as a base")
		}
		return obj.Addr{Type: obj.TYPE_MEM, Reg: r, Offset: o.Disp}, err
	case MemIdx:
		r, err := reg(o.Base)
		if err != nil || o.Base == ZR {
			return obj.Addr{}, fmt.Errorf("bad base register %d", o.Base)
		}
		if o.Reg2 < 0 || o.Reg2 > 30 || o.Imm < 0 || o.Imm > 3 {
			return obj.Addr{}, fmt.Errorf("bad index register %d or shift %d", o.Reg2, o.Imm)
		}
		a := obj.Addr{Type: obj.TYPE_MEM, Reg: r}
		if o.Imm == 0 {
			a.Index = int16(arm64.REG_R0 + o.Reg2)
		} else {
			a.Index = int16(arm64.REG_LSL + (o.Imm&7)<<5 + int64(o.Reg2)&31)
		}
		return a, nil
	case Cond:
		if o.Cond < EQ || o.Cond > LE {
			return obj.Addr{}, fmt.Errorf("bad condition %d", o.Cond)
		}
		return obj.Addr{Type: obj.TYPE_REG, Reg: int16(arm64.COND_EQ + o.Cond)}, nil
	case Pair:
		r1, err1 := reg(o.Reg)
		r2, err2 := reg(o.Reg2)
		if err1 != nil || err2 != nil || o.Reg > 30 || o.Reg2 > 30 {
			return obj.Addr{}, fmt.Errorf("bad register pair %d, %d", o.Reg, o.Reg2)
		}
		return obj.Addr{Type: obj.TYPE_REGREG, Reg: r1, Offset: int64(r2)}, nil
	case Branch:
		if o.Target < 0 || o.Target >= len(progs) {
			return obj.Addr{}, fmt.Errorf("branch target %d out of range", o.Target)
		}
		a := obj.Addr{Type: obj.TYPE_BRANCH}
		a.SetTarget(progs[o.Target])
		return a, nil
	}
	return obj.Addr{}, fmt.Errorf("bad operand kind %d", o.Kind)
}
