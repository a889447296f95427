package pe

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/bpf2native/bpf2native/backend"
)

// ARM64 unwind information (Microsoft, "ARM64 exception handling"):
// .pdata holds 8-byte entries {function start RVA, .xdata RVA} (Flag 0:
// an .xdata record rather than packed data), sorted by address; each
// .xdata record (4-byte aligned, here in .rdata) is a header word
// {function length/4: 18 bits, version 0: 2, X (handler) 0: 1, E 0: 1,
// epilog count: 5, code words: 5} (or, when either count does not fit, a
// header with both zero and a second word {epilog count: 16, code words:
// 8}), one word per epilog scope {start offset/4: 18, reserved: 4, start
// index of its codes: 10}, then the unwind code bytes padded to a word.
//
// Unwind codes map one to one to prologue and epilogue instructions, so
// that the unwinder can undo a partly executed prologue or finish a partly
// executed epilogue by counting instructions. The prologue's codes come
// first, in reverse order of execution, ended by "end"; an epilogue's are
// in execution order, ended by "end" (which stands for the ret), and may
// share the prologue's tail when they match it.
//
// Every function gets a record: its prologue steps, each one instruction
// with its unwind code and the instruction that undoes it, and an epilog
// scope for each ret preceded by the undoing instructions. Epilogues are
// found by scanning the function's words for ret and checked instruction
// by instruction, as the prologue is, so the records describe the code as
// it is, not as it was meant to be.

// a64Step is one prologue instruction.
type a64Step struct {
	insn uint32
	// restore is the epilogue instruction that undoes insn, 0 for none.
	restore uint32
	// code is the unwind code describing insn.
	code []byte
}

// Unwind codes.
const (
	uwEnd   = 0xe4 // end
	uwSetFP = 0xe1 // set_fp: mov x29, sp
)

// allocSP is "sub sp, sp, #n" (n a multiple of 16 that one sub
// immediate holds): alloc_s 000xxxxx (n < 512), alloc_m 11000xxx'xxxxxxxx
// (n < 32K), alloc_l 11100000'x24 (n < 256M), x = n/16.
func allocSP(n int) (a64Step, error) {
	if n <= 0 || n%16 != 0 || (n >= 1<<12 && (n&0xfff != 0 || n >= 1<<24)) {
		return a64Step{}, fmt.Errorf("stack allocation of %d bytes is not one sub", n)
	}
	x := n / 16
	var code []byte
	switch {
	case x < 1<<5:
		code = []byte{byte(x)}
	case x < 1<<11:
		code = []byte{0xc0 | byte(x>>8), byte(x)}
	default:
		code = []byte{0xe0, byte(x >> 16), byte(x >> 8), byte(x)}
	}
	return a64Step{subImm(sp, sp, n), addImm(sp, sp, n), code}, nil
}

// saveFPLR is "stp x29, x30, [sp, #off]": save_fplr 01zzzzzz, z = off/8.
func saveFPLR(off int) (a64Step, error) {
	if off < 0 || off > 504 || off%8 != 0 {
		return a64Step{}, fmt.Errorf("frame record at sp+%d", off)
	}
	return a64Step{pair(pairOffset, x29, x30, sp, off), pair(pairOffset|pairLoad, x29, x30, sp, off), []byte{0x40 | byte(off/8)}}, nil
}

// saveFPLRx is "stp x29, x30, [sp, #-n]!", undone by "ldp x29, x30, [sp],
// #n": save_fplr_x 10zzzzzz, z = n/8 - 1.
func saveFPLRx(n int) (a64Step, error) {
	if n < 16 || n > 512 || n%16 != 0 {
		return a64Step{}, fmt.Errorf("frame record pushed with a frame of %d bytes", n)
	}
	return a64Step{pair(pairPre, x29, x30, sp, -n), pair(pairPost|pairLoad, x29, x30, sp, n), []byte{0x80 | byte(n/8-1)}}, nil
}

// saveRegP is "stp x(r), x(r+1), [sp, #off]": save_regp
// 110010xx'xxzzzzzz, x = r-19, z = off/8.
func saveRegP(r, off int) (a64Step, error) {
	if r < x19 || r > 27 || off < 0 || off > 504 || off%8 != 0 {
		return a64Step{}, fmt.Errorf("save of x%d, x%d at sp+%d", r, r+1, off)
	}
	x := byte(r - x19)
	return a64Step{pair(pairOffset, r, r+1, sp, off), pair(pairOffset|pairLoad, r, r+1, sp, off), []byte{0xc8 | x>>2, x<<6 | byte(off/8)}}, nil
}

// saveReg is "str x(r), [sp, #off]": save_reg 110100xx'xxzzzzzz, x =
// r-19, z = off/8.
func saveReg(r, off int) (a64Step, error) {
	if r < x19 || r > 28 || off < 0 || off > 504 || off%8 != 0 {
		return a64Step{}, fmt.Errorf("save of x%d at sp+%d", r, off)
	}
	x := byte(r - x19)
	return a64Step{strImm(r, sp, off), ldrImm(r, sp, off), []byte{0xd0 | x>>2, x<<6 | byte(off/8)}}, nil
}

// must returns a step of a hand-assembled routine, whose operands are
// constants.
func must(s a64Step, err error) a64Step {
	if err != nil {
		panic("BUG: pe: " + err.Error())
	}
	return s
}

// setFP is "mov x29, sp", which no epilogue instruction undoes: set_fp.
func setFP() a64Step { return a64Step{addImm(x29, sp, 0), 0, []byte{uwSetFP}} }

// backendSteps turns a backend function's prologue description
// (backend/arm64's unwindCodes: one step per instruction, each at the
// offset just past it) into steps.
func backendSteps(f backend.Func) ([]a64Step, error) {
	var steps []a64Step
	for k, u := range f.Unwind {
		if u.Offset != 4*(k+1) {
			return nil, fmt.Errorf("%w: function %s: prologue step %d ends at %d, not %d: the prologue must be the function's first instructions", ErrInvalidObject, f.Name, k, u.Offset, 4*(k+1))
		}
		var s a64Step
		var err error
		switch {
		case u.Op == "alloc":
			s, err = allocSP(u.Size)
		case u.Op == "save_pair" && u.Reg == x29:
			s, err = saveFPLR(u.Size)
		case u.Op == "save_pair":
			s, err = saveRegP(u.Reg, u.Size)
		case u.Op == "push":
			s, err = saveReg(u.Reg, u.Size)
		case u.Op == "setfp":
			s = setFP()
		default:
			err = fmt.Errorf("unwind step %q in arm64 code", u.Op)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: function %s: %v", ErrInvalidObject, f.Name, err)
		}
		steps = append(steps, s)
	}
	return steps, nil
}

// a64Func is a function and its prologue, for unwind information.
type a64Func struct {
	name  string
	at    sym
	words []uint32
	steps []a64Step
}

// unwind writes an .xdata record per function and the .pdata entries.
func (m *a64) unwind(rdata, pdata secID) error {
	sortByAddress(m.fns, func(f a64Func) sym { return f.at })
	for _, f := range m.fns {
		x, err := xdata(f)
		if err != nil {
			return err
		}
		m.im.align(rdata, 4)
		at := m.im.bytes(rdata, x)
		e := m.im.zeros(pdata, 8)
		m.im.ref(pdata, e.off, fixRVA32, f.at, 0)
		m.im.ref(pdata, e.off+4, fixRVA32, at, 0)
	}
	return nil
}

// xdata encodes f's .xdata record, checking that its first words are its
// prologue and that each ret ends an epilogue undoing all of it.
func xdata(f a64Func) ([]byte, error) {
	fail := func(format string, args ...any) ([]byte, error) {
		return nil, fmt.Errorf("%w: function %s: %s", ErrInvalidObject, f.name, fmt.Sprintf(format, args...))
	}
	if len(f.words) >= 1<<18 {
		return fail("%d bytes, more than one .xdata record covers", 4*len(f.words))
	}
	if len(f.steps) > len(f.words) {
		return fail("prologue longer than the function")
	}
	var prolog [][]byte
	for k := len(f.steps) - 1; k >= 0; k-- {
		if f.words[k] != f.steps[k].insn {
			return fail("prologue instruction %d is %#08x, not %#08x", k, f.words[k], f.steps[k].insn)
		}
		prolog = append(prolog, f.steps[k].code)
	}
	prolog = append(prolog, []byte{uwEnd})

	// Epilogues: the restores, in any order, right before each ret.
	restores := map[uint32]int{}
	for k, s := range f.steps {
		if s.restore != 0 {
			restores[s.restore] = k
		}
	}
	type scope struct {
		start int // word index
		codes [][]byte
	}
	var scopes []scope
	for i, w := range f.words {
		if w != a64RET || len(restores) == 0 {
			continue
		}
		n := len(restores)
		if i-n < len(f.steps) {
			return fail("ret at %#x inside the prologue", 4*i)
		}
		left := map[uint32]bool{}
		for r := range restores {
			left[r] = true
		}
		codes := make([][]byte, n, n+1)
		for j := 0; j < n; j++ {
			w := f.words[i-n+j]
			if !left[w] {
				return fail("the epilogue before the ret at %#x does not undo the prologue (%#08x at %#x)", 4*i, w, 4*(i-n+j))
			}
			delete(left, w)
			codes[j] = f.steps[restores[w]].code
		}
		scopes = append(scopes, scope{i - n, append(codes, []byte{uwEnd})})
	}

	// The code array: the prologue's codes, then each distinct epilogue
	// sequence that is not a tail of what is already there.
	var seqs [][][]byte
	var codes []byte
	// index returns where seq's codes start in codes, appending them
	// unless they are the tail of a sequence already there.
	index := func(seq [][]byte) int {
		pos := 0
		for _, have := range seqs {
			for k := range have {
				if equalCodes(have[k:], seq) {
					return pos
				}
				pos += len(have[k])
			}
		}
		seqs = append(seqs, seq)
		for _, c := range seq {
			codes = append(codes, c...)
		}
		return pos
	}
	index(prolog)
	var words []uint32
	for _, s := range scopes {
		at := index(s.codes)
		if at >= 1<<10 {
			return fail("unwind codes beyond the 10-bit epilog start index")
		}
		words = append(words, uint32(s.start)|uint32(at)<<22)
	}
	for len(codes)%4 != 0 {
		codes = append(codes, uwEnd)
	}
	codeWords := len(codes) / 4
	if codeWords >= 1<<8 || len(scopes) >= 1<<16 {
		return fail("%d epilogues and %d words of unwind codes", len(scopes), codeWords)
	}
	var out []byte
	if len(scopes) < 1<<5 && codeWords < 1<<5 {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(f.words))|uint32(len(scopes))<<22|uint32(codeWords)<<27)
	} else {
		out = binary.LittleEndian.AppendUint32(out, uint32(len(f.words)))
		out = binary.LittleEndian.AppendUint32(out, uint32(len(scopes))|uint32(codeWords)<<16)
	}
	for _, w := range words {
		out = binary.LittleEndian.AppendUint32(out, w)
	}
	return append(out, codes...), nil
}

func equalCodes(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !bytes.Equal(a[k], b[k]) {
			return false
		}
	}
	return true
}
