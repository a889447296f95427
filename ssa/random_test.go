package ssa

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"testing"

	"github.com/cilium/ebpf/asm"
)

// progGen generates random programs from a small grammar that guarantees
// termination (jumps go forward, loops count down a register nothing else
// writes) and defined behaviour (every register and stack byte is written
// before it is read; pointers never reach arithmetic):
//
//	program   = prologue stmt* epilogue
//	stmt      = alu | stack-store | stack-load | mem-access | atomic
//	          | if-skip | helper-call | loop(stmt*)   (loops do not nest)
//
// r6 holds the memory region's address and r9 the loop counter; the
// general registers are r0-r5, r7, r8.
type progGen struct {
	rng    *rand.Rand
	insns  asm.Instructions
	labels int
	inLoop bool
}

var genRegs = []asm.Register{asm.R0, asm.R1, asm.R2, asm.R3, asm.R4, asm.R5, asm.R7, asm.R8}

const (
	genStack = 64 // bytes of stack the programs use
	genMem   = 64 // bytes of the memory region
)

func (g *progGen) reg() asm.Register { return genRegs[g.rng.Intn(len(genRegs))] }

func (g *progGen) imm() int32 {
	switch g.rng.Intn(6) {
	case 0:
		return 0
	case 1:
		return -1
	case 2:
		return int32(g.rng.Intn(70)) // shift counts around 32 and 64
	case 3:
		return int32(-1 << 31)
	}
	return int32(g.rng.Uint32())
}

func (g *progGen) emit(ins ...asm.Instruction) { g.insns = append(g.insns, ins...) }

func (g *progGen) label() string {
	g.labels++
	return fmt.Sprintf("l%d", g.labels)
}

func (g *progGen) size() asm.Size {
	return []asm.Size{asm.Byte, asm.Half, asm.Word, asm.DWord}[g.rng.Intn(4)]
}

func storeImm(dst asm.Register, off int16, v int32, size asm.Size) asm.Instruction {
	return asm.Instruction{OpCode: asm.StoreImmOp(size), Dst: dst, Offset: off, Constant: int64(v)}
}

func (g *progGen) program(n int) asm.Instructions {
	g.emit(asm.Mov.Reg(asm.R6, asm.R1))
	for _, r := range genRegs {
		g.emit(asm.LoadImm(r, int64(g.rng.Uint64()), asm.DWord))
	}
	for off := -genStack; off < 0; off += 8 {
		g.emit(storeImm(asm.R10, int16(off), g.imm(), asm.DWord))
	}
	for i := 0; i < n; i++ {
		g.stmt(3)
	}
	// Fold everything observable into r0.
	for _, r := range genRegs[1:] {
		g.emit(asm.Xor.Reg(asm.R0, r))
	}
	for off := -genStack; off < 0; off += 8 {
		g.emit(asm.LoadMem(asm.R1, asm.R10, int16(off), asm.DWord), asm.Add.Reg(asm.R0, asm.R1))
	}
	g.emit(asm.Return())
	return g.insns
}

var (
	genALU = []asm.ALUOp{asm.Add, asm.Sub, asm.Mul, asm.Div, asm.SDiv, asm.Mod, asm.SMod, asm.Or, asm.And,
		asm.Xor, asm.LSh, asm.RSh, asm.ArSh, asm.Mov, asm.Neg, asm.MovSX8, asm.MovSX16, asm.MovSX32, asm.Swap}
	genJumps   = []asm.JumpOp{asm.JEq, asm.JNE, asm.JGT, asm.JGE, asm.JLT, asm.JLE, asm.JSGT, asm.JSGE, asm.JSLT, asm.JSLE, asm.JSet}
	genAtomics = []asm.AtomicOp{asm.AddAtomic, asm.AndAtomic, asm.OrAtomic, asm.XorAtomic, asm.FetchAdd, asm.FetchAnd,
		asm.FetchOr, asm.FetchXor, asm.Xchg, asm.CmpXchg}
)

func (g *progGen) stmt(depth int) {
	switch k := g.rng.Intn(20); {
	case k < 8:
		g.alu()
	case k < 10: // stack store, possibly overlapping earlier slots partially
		size := g.size()
		off := -int16(size.Sizeof() * (1 + g.rng.Intn(genStack/size.Sizeof())))
		if g.rng.Intn(2) == 0 {
			g.emit(asm.StoreMem(asm.R10, off, g.reg(), size))
		} else {
			g.emit(storeImm(asm.R10, off, g.imm(), size))
		}
	case k < 12: // stack load
		size := g.size()
		off := -int16(size.Sizeof() * (1 + g.rng.Intn(genStack/size.Sizeof())))
		op := asm.LoadMemOp(size)
		if size != asm.DWord && g.rng.Intn(2) == 0 {
			op = asm.LoadMemSXOp(size)
		}
		g.emit(asm.Instruction{OpCode: op, Dst: g.reg(), Src: asm.R10, Offset: off})
	case k < 13: // the memory region
		size := g.size()
		off := int16(size.Sizeof() * g.rng.Intn(genMem/size.Sizeof()))
		if g.rng.Intn(2) == 0 {
			g.emit(asm.StoreMem(asm.R6, off, g.reg(), size))
		} else {
			g.emit(asm.LoadMem(g.reg(), asm.R6, off, size))
		}
	case k < 14: // atomics, on memory or on the stack
		size := asm.Word
		if g.rng.Intn(2) == 0 {
			size = asm.DWord
		}
		base, off := asm.R6, int16(size.Sizeof()*g.rng.Intn(genMem/size.Sizeof()))
		if g.rng.Intn(2) == 0 {
			base, off = asm.R10, -int16(size.Sizeof()*(1+g.rng.Intn(genStack/size.Sizeof())))
		}
		op := genAtomics[g.rng.Intn(len(genAtomics))]
		g.emit(op.Mem(base, g.reg(), size, off))
	case k < 16 && depth > 0: // if-skip
		end := g.label()
		op := genJumps[g.rng.Intn(len(genJumps))]
		var j asm.Instruction
		if g.rng.Intn(2) == 0 {
			j = op.Reg(g.reg(), g.reg(), end)
		} else {
			j = op.Imm(g.reg(), g.imm(), end)
		}
		if g.rng.Intn(2) == 0 {
			j.OpCode = asm.OpCode(asm.Jump32Class).SetJumpOp(op).SetSource(j.OpCode.Source())
		}
		g.emit(j)
		for i := g.rng.Intn(4); i >= 0; i-- {
			g.stmt(depth - 1)
		}
		g.emit(asm.Mov.Reg(asm.R6, asm.R6).WithSymbol(end))
	case k < 17: // helper call with a stack pointer: the slot escapes
		off := -int16(8 * (1 + g.rng.Intn(genStack/8)))
		g.emit(asm.Mov.Reg(asm.R2, g.reg()), asm.Mov.Reg(asm.R1, asm.R10), asm.Add.Imm(asm.R1, int32(off)),
			asm.FnMapLookupElem.Call())
		for r := asm.R1; r <= asm.R5; r++ {
			g.emit(asm.Mov.Imm(r, g.imm()))
		}
	case k < 18 && !g.inLoop && depth > 0: // loop
		top := g.label()
		g.emit(asm.Mov.Imm(asm.R9, int32(1+g.rng.Intn(5))))
		g.emit(asm.Mov.Reg(asm.R6, asm.R6).WithSymbol(top))
		g.inLoop = true
		for i := g.rng.Intn(5); i >= 0; i-- {
			g.stmt(depth - 1)
		}
		g.inLoop = false
		g.emit(asm.Sub.Imm(asm.R9, 1), asm.JNE.Imm(asm.R9, 0, top))
	default:
		g.alu()
	}
}

func (g *progGen) alu() {
	op := genALU[g.rng.Intn(len(genALU))]
	dst := g.reg()
	wide := g.rng.Intn(2) == 0
	switch op {
	case asm.Neg:
		ins := asm.Neg.Imm(dst, 0)
		if !wide {
			ins = asm.Neg.Imm32(dst, 0)
		}
		g.emit(ins)
	case asm.Swap:
		size := []asm.Size{asm.Half, asm.Word, asm.DWord}[g.rng.Intn(3)]
		switch g.rng.Intn(3) {
		case 0:
			g.emit(asm.HostTo(asm.LE, dst, size))
		case 1:
			g.emit(asm.HostTo(asm.BE, dst, size))
		default:
			g.emit(asm.BSwap(dst, size))
		}
	case asm.MovSX8, asm.MovSX16, asm.MovSX32:
		if op == asm.MovSX32 {
			wide = true
		}
		if wide {
			g.emit(op.Reg(dst, g.reg()))
		} else {
			g.emit(op.Reg32(dst, g.reg()))
		}
	default:
		switch {
		case wide && g.rng.Intn(2) == 0:
			g.emit(op.Reg(dst, g.reg()))
		case wide:
			g.emit(op.Imm(dst, g.imm()))
		case g.rng.Intn(2) == 0:
			g.emit(op.Reg32(dst, g.reg()))
		default:
			g.emit(op.Imm32(dst, g.imm()))
		}
	}
}

// genHelper is the helper of the generated programs: it writes a value
// derived from r2 through the pointer in r1 and returns another. It never
// returns an address, so results do not depend on where memory lies.
func genHelper(id int32, args [5]uint64, m *Memory) (uint64, error) {
	b, err := m.Bytes(args[0], 8, true)
	if err != nil {
		return 0, err
	}
	binary.LittleEndian.PutUint64(b, args[1]*0x9e3779b97f4a7c15+uint64(id))
	return args[1] ^ 0x5555, nil
}

func evalGenerated(fs []*Func, memory []byte) (Result, error) {
	region := &Region{Name: "memory", Data: memory}
	return Eval(fs[0], &Env{Funcs: fs, Args: [5]uint64{region.Addr()}, Regions: []*Region{region}, Helper: genHelper})
}

// TestRandomProgramsPreserveSemantics is the pipeline's differential test:
// every generated program must give the same r0 and memory before and
// after the pipeline, with Check passing after every pass.
func TestRandomProgramsPreserveSemantics(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	for seed := 0; seed < n; seed++ {
		checkGenerated(t, seed, Options{Check: true})
	}
}

// checkGenerated generates program seed and compares its runs before and
// after Compile with opts.
func checkGenerated(t *testing.T, seed int, opts Options) {
	t.Helper()
	g := &progGen{rng: rand.New(rand.NewSource(int64(seed)))}
	code := marshal(t, g.program(5+seed%40)...)
	init := make([]byte, genMem)
	g.rng.Read(init)

	fs := liftCode(t, code)
	memBefore := append([]byte(nil), init...)
	before, err := evalGenerated(fs, memBefore)
	if err != nil {
		t.Fatalf("seed %d: unoptimized: %v", seed, err)
	}
	fs = liftCode(t, code)
	for _, f := range fs {
		if err := Compile(f, opts); err != nil {
			t.Fatalf("seed %d (disabled %v): %v\n%s", seed, opts.Disable, err, f)
		}
	}
	memAfter := append([]byte(nil), init...)
	after, err := evalGenerated(fs, memAfter)
	if err != nil {
		t.Fatalf("seed %d (disabled %v): optimized: %v\n%s", seed, opts.Disable, err, fs[0])
	}
	if before.R0 != after.R0 || !bytes.Equal(memBefore, memAfter) {
		t.Fatalf("seed %d (disabled %v): r0 %#x -> %#x, memory %x -> %x\n%s", seed, opts.Disable, before.R0, after.R0, memBefore, memAfter, fs[0])
	}
}
