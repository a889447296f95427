// Package asm is the only place bpf2native imports golang-asm: it turns a
// list of instructions in Go assembler terms (mnemonic, From, To) into
// amd64 machine code plus the relocations golang-asm records, and it
// guards against golang-asm's traps:
//
//   - the encoder tables are global and initialised lazily without a lock:
//     they are initialised once, under a sync.Once;
//   - errors go to a diagnostic callback (and a few paths call log.Fatalf):
//     Assemble validates operands first and turns diagnostics into errors;
//   - jumps are padded to avoid 32-byte boundaries unless the context says
//     it is assembling hand-written code: IsAsm is set, so the output is
//     exactly the instructions given;
//   - Builder.Assemble drops relocations: Assemble drives the arch's
//     assembler on its own symbol and reads the symbol's relocations.
package asm

import (
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/twitchyliquid64/golang-asm/obj"
	"github.com/twitchyliquid64/golang-asm/obj/x86"
	"github.com/twitchyliquid64/golang-asm/objabi"
)

// Op is an x86 mnemonic in Go's spelling ("MOVQ", "CMOVQEQ").
type Op string

// Kind is an operand's kind.
type Kind uint8

const (
	None Kind = iota
	// Reg is a general register, Reg its hardware number (0 rax .. 15 r15).
	Reg
	// Reg8 is the low byte of register Reg (setcc).
	Reg8
	// Imm is the constant Imm.
	Imm
	// Mem is the memory at register Base plus Disp, plus register Index
	// times Scale when Scale is not 0.
	Mem
	// SymMem is the memory at symbol Sym plus Disp, RIP-relative: a
	// relocation is recorded for it.
	SymMem
	// Branch is a jump to instruction Target of the same list.
	Branch
	// SymCall is a direct call of symbol Sym: a relocation is recorded.
	SymCall
)

// Operand is one operand.
type Operand struct {
	Kind   Kind
	Reg    int
	Base   int
	Disp   int32
	Index  int
	Scale  uint8
	Imm    int64
	Sym    int
	Target int
}

// Inst is one instruction. Operands follow Go's order: From is the
// source, To the destination; CMP compares From with To.
type Inst struct {
	Op       Op
	From, To Operand
	// From3 is IMUL3's third operand (the register source).
	From3 *Operand
}

// Reloc is a relocation golang-asm recorded: a 32-bit field at Offset
// referring to symbol Sym, whose value is S + Addend - (Offset + 4), that
// is, measured from the end of the field (Go's convention).
type Reloc struct {
	Offset int
	Sym    int
	Addend int64
}

// Result is assembled code.
type Result struct {
	Code []byte
	// Offsets[i] is where instruction i starts; Offsets[len] is the end.
	Offsets []int
	Relocs  []Reloc
}

var initOnce sync.Once

var ops map[Op]obj.As

func initTables(ctxt *obj.Link) {
	initOnce.Do(func() {
		x86.Linkamd64.Init(ctxt)
		ops = map[Op]obj.As{"CALL": obj.ACALL, "JMP": obj.AJMP, "RET": obj.ARET, "NOP": obj.ANOP}
		for i, name := range x86.Anames {
			if obj.As(i) >= obj.A_ARCHSPECIFIC {
				ops[Op(name)] = obj.As(i) + obj.ABaseAMD64
			}
		}
	})
}

// ErrAssemble is wrapped by every error Assemble returns.
var ErrAssemble = errors.New("amd64 assembler")

// Assemble encodes insts.
func Assemble(insts []Inst) (*Result, error) {
	if len(insts) == 0 {
		return &Result{Offsets: []int{0}}, nil
	}
	ctxt := obj.Linknew(&x86.Linkamd64)
	ctxt.Headtype = objabi.Hlinux
	ctxt.IsAsm = true
	var diags []string
	ctxt.DiagFunc = func(format string, args ...interface{}) {
		diags = append(diags, fmt.Sprintf(format, args...))
	}
	ctxt.DiagFlush = func() {}
	initTables(ctxt)

	syms := map[*obj.LSym]int{}
	sym := func(id int) *obj.LSym {
		s := ctxt.Lookup(fmt.Sprintf("bpf2native.sym%d", id))
		syms[s] = id
		return s
	}
	// One allocation for the function's Progs, as ctxt.NewProg would
	// make them one by one.
	store := make([]obj.Prog, len(insts))
	progs := make([]*obj.Prog, len(insts))
	for i := range store {
		store[i].Ctxt = ctxt
		progs[i] = &store[i]
	}
	for i, in := range insts {
		p := progs[i]
		as, ok := ops[in.Op]
		if !ok {
			return nil, fmt.Errorf("%w: instruction %d: unknown mnemonic %s", ErrAssemble, i, in.Op)
		}
		p.As = as
		var err error
		if p.From, err = operand(in.From, progs, sym); err != nil {
			return nil, fmt.Errorf("%w: instruction %d (%s): %w", ErrAssemble, i, in.Op, err)
		}
		if p.To, err = operand(in.To, progs, sym); err != nil {
			return nil, fmt.Errorf("%w: instruction %d (%s): %w", ErrAssemble, i, in.Op, err)
		}
		if in.From3 != nil {
			a, err := operand(*in.From3, progs, sym)
			if err != nil {
				return nil, fmt.Errorf("%w: instruction %d (%s): %w", ErrAssemble, i, in.Op, err)
			}
			p.SetFrom3(a)
		}
		if i+1 < len(progs) {
			p.Link = progs[i+1]
		}
	}
	s := &obj.LSym{Func: &obj.FuncInfo{Text: progs[0]}}
	x86.Linkamd64.Assemble(ctxt, s, ctxt.NewProg)
	if len(diags) > 0 {
		return nil, fmt.Errorf("%w: %s", ErrAssemble, strings.Join(diags, "; "))
	}
	res := &Result{Code: s.P, Offsets: make([]int, len(insts)+1)}
	for i, p := range progs {
		res.Offsets[i] = int(p.Pc)
	}
	res.Offsets[len(insts)] = len(s.P)
	for _, r := range s.R {
		if r.Siz == 0 {
			// Markers such as R_CALLIND patch nothing.
			continue
		}
		id, ok := syms[r.Sym]
		if !ok || r.Siz != 4 || (r.Type != objabi.R_PCREL && r.Type != objabi.R_CALL) {
			return nil, fmt.Errorf("%w: unexpected relocation %v of %d bytes at %d", ErrAssemble, r.Type, r.Siz, r.Off)
		}
		res.Relocs = append(res.Relocs, Reloc{Offset: int(r.Off), Sym: id, Addend: r.Add})
	}
	return res, nil
}

// operand validates o and converts it, so that golang-asm never sees an
// operand that would make it call log.Fatalf.
func operand(o Operand, progs []*obj.Prog, sym func(int) *obj.LSym) (obj.Addr, error) {
	reg := func(r int) (int16, error) {
		if r < 0 || r > 15 {
			return 0, fmt.Errorf("bad register %d", r)
		}
		return int16(x86.REG_AX + r), nil
	}
	switch o.Kind {
	case None:
		return obj.Addr{}, nil
	case Reg:
		r, err := reg(o.Reg)
		return obj.Addr{Type: obj.TYPE_REG, Reg: r}, err
	case Reg8:
		if o.Reg < 0 || o.Reg > 15 {
			return obj.Addr{}, fmt.Errorf("bad register %d", o.Reg)
		}
		return obj.Addr{Type: obj.TYPE_REG, Reg: int16(x86.REG_AL + o.Reg)}, nil
	case Imm:
		return obj.Addr{Type: obj.TYPE_CONST, Offset: o.Imm}, nil
	case Mem:
		r, err := reg(o.Base)
		a := obj.Addr{Type: obj.TYPE_MEM, Reg: r, Offset: int64(o.Disp)}
		if o.Scale != 0 {
			if o.Scale != 1 && o.Scale != 2 && o.Scale != 4 && o.Scale != 8 {
				return obj.Addr{}, fmt.Errorf("bad scale %d", o.Scale)
			}
			if o.Index == 4 {
				return obj.Addr{}, fmt.Errorf("rsp cannot be an index")
			}
			x, err := reg(o.Index)
			if err != nil {
				return obj.Addr{}, err
			}
			a.Index, a.Scale = x, int16(o.Scale)
		}
		return a, err
	case SymMem:
		return obj.Addr{Type: obj.TYPE_MEM, Name: obj.NAME_EXTERN, Sym: sym(o.Sym), Offset: int64(o.Disp)}, nil
	case SymCall:
		return obj.Addr{Type: obj.TYPE_BRANCH, Name: obj.NAME_EXTERN, Sym: sym(o.Sym)}, nil
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
