package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/backend"
	_ "github.com/bpf2native/bpf2native/backend/amd64"
	_ "github.com/bpf2native/bpf2native/backend/arm64"
	elffront "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/ir"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/ssa"
	"github.com/bpf2native/bpf2native/verifier"
)

// target is what the generated programs are run as natively (the host).
var target = backend.Target{Arch: "amd64", ABI: "sysv"}

// compileTargets are the targets compile speed is measured for: code
// generation for arm64 runs on this host as well as amd64's does.
var compileTargets = []backend.Target{target, {Arch: "arm64", ABI: "aapcs64"}}

// profile, when set, is where compileTable writes a CPU profile.
var profile string

// compileTable measures the whole pipeline, eBPF object or bytecode to
// linked ELF object, on the largest testdata object and on generated
// programs of the given sizes, for each of compileTargets, and prints a
// Markdown table: instructions per second, and where the time goes. Times
// are the process's CPU time (the garbage collector's included), the
// median of a few runs.
func compileTable(plat *platform.Platform, sizes []int) error {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("| input | target | eBPF insns | whole pipeline ms | insns/s | µs/insn | load+lift ms | SSA passes ms | lower+regalloc+encode ms | link ms |\n")
	fmt.Printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")

	path, _, err := largestObject(plat)
	if err != nil {
		return err
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for _, t := range compileTargets {
		load := func() (*ir.Module, error) { return elffront.Load(path, src, plat) }
		if err := compileRow(path+" (all programs)", t, src, load); err != nil {
			return err
		}
		for _, n := range sizes {
			code := genProgram(n, 1)
			load := func() (*ir.Module, error) { return moduleOf(code) }
			if err := compileRow(fmt.Sprintf("generated, %d insns", n), t, code, load); err != nil {
				return err
			}
		}
	}
	return verifyTable(plat, path, src, sizes)
}

// moduleOf decodes bytecode into a one-program module.
func moduleOf(code []byte) (*ir.Module, error) {
	insns, err := ir.Decode(code)
	if err != nil {
		return nil, err
	}
	p, err := ir.NewProgram("gen", insns, nil)
	if err != nil {
		return nil, err
	}
	return &ir.Module{Platform: platform.Windows, Programs: []*ir.Program{p}}, nil
}

// compileRow times load → backend.Compile for target → metadata →
// elf.Link, the median of a few runs, then the same stages one by one for
// the breakdown (the median of each).
func compileRow(name string, target backend.Target, src []byte, load func() (*ir.Module, error)) error {
	mod, err := load()
	if err != nil {
		return err
	}
	insns := moduleInsns(mod)
	runs := 5
	if insns < 5000 {
		runs = 21
	}
	var whole []time.Duration
	for r := 0; r < runs; r++ {
		runtime.GC()
		start := processTime()
		mod, err := load()
		if err != nil {
			return err
		}
		obj, err := backend.Compile(mod, target, backend.Options{})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if _, err := elflink.Link(obj, metadata.FromModule(mod, obj, src)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		whole = append(whole, processTime()-start)
	}
	var st []stages
	for r := 0; r < runs; r++ {
		runtime.GC()
		s, err := timeStages(target, src, load)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		st = append(st, s)
	}
	stage := func(f func(stages) time.Duration) string {
		ds := make([]time.Duration, len(st))
		for i, s := range st {
			ds[i] = f(s)
		}
		return fmt.Sprintf("%.1f", float64(median(ds).Microseconds())/1000)
	}
	w := median(whole)
	fmt.Printf("| %s | %s | %d | %.1f | %.0f | %.2f | %s | %s | %s | %s |\n", name, target.Arch, insns,
		float64(w.Microseconds())/1000, float64(insns)/w.Seconds(), float64(w.Nanoseconds())/1000/float64(insns),
		stage(func(s stages) time.Duration { return s.lift }), stage(func(s stages) time.Duration { return s.passes }),
		stage(func(s stages) time.Duration { return s.backend }), stage(func(s stages) time.Duration { return s.link }))
	return nil
}

// median returns the middle one of ds (an odd number of times).
func median(ds []time.Duration) time.Duration {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// stages is the time of each part of the pipeline; the driver's own work
// (layout, relocations) counts with the backend.
type stages struct{ lift, passes, backend, link time.Duration }

// timeStages runs the pipeline as backend.Compile does, one stage at a
// time: load and lift every function, run the SSA passes, lower, allocate
// and encode, then link what backend.Compile produces.
func timeStages(target backend.Target, src []byte, load func() (*ir.Module, error)) (stages, error) {
	var st stages
	arch, err := backend.LookupArch(target.Arch)
	if err != nil {
		return st, err
	}
	abi, err := arch.ABI(target.ABI)
	if err != nil {
		return st, err
	}
	t := processTime()
	mod, err := load()
	if err != nil {
		return st, err
	}
	var funcs []*ssa.Func
	for _, p := range mod.Programs {
		fs, err := ssa.Build(mod, p)
		if err != nil {
			return st, err
		}
		funcs = append(funcs, fs...)
	}
	st.lift = processTime() - t
	t = processTime()
	for _, f := range funcs {
		if err := ssa.Compile(f, ssa.Options{}); err != nil {
			return st, err
		}
	}
	st.passes = processTime() - t
	t = processTime()
	for _, f := range funcs {
		if _, err := backend.CompileFunc(f, abi, arch.NewMachine(abi), nil); err != nil {
			return st, err
		}
	}
	st.backend = processTime() - t
	obj, err := backend.Compile(mod, target, backend.Options{})
	if err != nil {
		return st, err
	}
	t = processTime()
	if _, err := elflink.Link(obj, metadata.FromModule(mod, obj, src)); err != nil {
		return st, err
	}
	st.link = processTime() - t
	return st, nil
}

// genProgram returns a one-function eBPF program of about n instructions
// with the mix of compiled C: straight-line ALU code on r0-r8 (64- and
// 32-bit, immediates and registers, an occasional division), loads and
// stores on a 256-byte stack area, forward if/else diamonds, and loops
// with bounded counters (r9) around ALU and stack code. Every register and
// stack slot is written before it is read, so the program is valid eBPF
// that runs to completion.
func genProgram(n int, seed int64) []byte {
	g := &gen{rng: rand.New(rand.NewSource(seed))}
	for r := asm.R0; r <= asm.R8; r++ {
		g.emit(asm.Mov.Imm(r, int32(g.rng.Intn(1000))))
	}
	for s := 1; s <= slots; s++ {
		g.emit(asm.StoreMem(asm.R10, int16(-8*s), asm.Register(s%9), asm.DWord))
	}
	for len(g.insns) < n-2 {
		switch k := g.rng.Intn(100); {
		case k < 35:
			g.alu(8 + g.rng.Intn(9))
		case k < 60:
			g.mem(6 + g.rng.Intn(7))
		case k < 80:
			g.diamond()
		default:
			g.loop()
		}
	}
	g.emit(asm.Mov.Reg(asm.R0, g.reg()))
	g.emit(asm.Return())
	var buf bytes.Buffer
	if err := asm.Instructions(g.insns).Marshal(&buf, binary.LittleEndian); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// slots is the number of 8-byte stack slots the generated code uses.
const slots = 32

type gen struct {
	rng   *rand.Rand
	insns []asm.Instruction
}

func (g *gen) emit(ins asm.Instruction) { g.insns = append(g.insns, ins) }

// reg picks a data register, r0-r8 (r9 counts loops).
func (g *gen) reg() asm.Register { return asm.Register(g.rng.Intn(9)) }

var aluOps = []asm.ALUOp{asm.Add, asm.Add, asm.Sub, asm.Mul, asm.And, asm.Or, asm.Xor, asm.LSh, asm.RSh, asm.ArSh, asm.Mov, asm.Mov}

func (g *gen) alu(count int) {
	for i := 0; i < count; i++ {
		op := aluOps[g.rng.Intn(len(aluOps))]
		if g.rng.Intn(40) == 0 {
			op = []asm.ALUOp{asm.Div, asm.Mod}[g.rng.Intn(2)]
		}
		dst := g.reg()
		var ins asm.Instruction
		switch {
		case op == asm.LSh || op == asm.RSh || op == asm.ArSh:
			ins = op.Imm(dst, int32(g.rng.Intn(32)))
		case g.rng.Intn(2) == 0:
			ins = op.Imm(dst, int32(g.rng.Intn(1<<16))-1<<15)
		default:
			ins = op.Reg(dst, g.reg())
		}
		if g.rng.Intn(4) == 0 {
			// The 32-bit form of the same operation.
			ins.OpCode = op.Op32(ins.OpCode.Source())
		}
		g.emit(ins)
	}
}

var memSizes = []asm.Size{asm.DWord, asm.DWord, asm.Word, asm.Half, asm.Byte}

func (g *gen) mem(count int) {
	for i := 0; i < count; i++ {
		sz := memSizes[g.rng.Intn(len(memSizes))]
		off := int16(-8 * (1 + g.rng.Intn(slots)))
		switch g.rng.Intn(3) {
		case 0, 1:
			g.emit(asm.LoadMem(g.reg(), asm.R10, off, sz))
		default:
			g.emit(asm.StoreMem(asm.R10, off, g.reg(), sz))
		}
	}
}

var jumpOps = []asm.JumpOp{asm.JEq, asm.JNE, asm.JGT, asm.JGE, asm.JLT, asm.JLE, asm.JSGT, asm.JSLT, asm.JSet}

// cond emits a conditional jump over the next skip instructions.
func (g *gen) cond(skip int) {
	op := jumpOps[g.rng.Intn(len(jumpOps))]
	var ins asm.Instruction
	if g.rng.Intn(2) == 0 {
		ins = asm.Instruction{OpCode: op.Op(asm.ImmSource), Dst: g.reg(), Constant: int64(g.rng.Intn(512))}
	} else {
		ins = asm.Instruction{OpCode: op.Op(asm.RegSource), Dst: g.reg(), Src: g.reg()}
	}
	ins.Offset = int16(skip)
	g.emit(ins)
}

// body returns instructions of ALU and stack code, made apart so that
// jumps around them know their length.
func (g *gen) body(count int) []asm.Instruction {
	saved := g.insns
	g.insns = nil
	for len(g.insns) < count {
		if g.rng.Intn(3) == 0 {
			g.mem(1 + g.rng.Intn(3))
		} else {
			g.alu(1 + g.rng.Intn(4))
		}
	}
	b := g.insns
	g.insns = saved
	return b
}

// diamond emits if (cond) { then } else { else }.
func (g *gen) diamond() {
	then := g.body(3 + g.rng.Intn(8))
	els := g.body(g.rng.Intn(8))
	if len(els) == 0 {
		g.cond(len(then))
		g.insns = append(g.insns, then...)
		return
	}
	g.cond(len(els) + 1)
	g.insns = append(g.insns, els...)
	g.emit(asm.Instruction{OpCode: asm.Ja.Op(asm.ImmSource), Offset: int16(len(then))})
	g.insns = append(g.insns, then...)
}

// loop emits r9 = 0; do { body; r9++ } while (r9 < trips), with a diamond
// inside the body now and then.
func (g *gen) loop() {
	trips := int32(4 + g.rng.Intn(29))
	g.emit(asm.Mov.Imm(asm.R9, 0))
	top := len(g.insns)
	g.insns = append(g.insns, g.body(5+g.rng.Intn(16))...)
	if g.rng.Intn(2) == 0 {
		g.diamond()
		g.insns = append(g.insns, g.body(2+g.rng.Intn(5))...)
	}
	g.emit(asm.Add.Imm(asm.R9, 1))
	back := len(g.insns)
	g.emit(asm.Instruction{OpCode: asm.JLT.Op(asm.ImmSource), Dst: asm.R9, Constant: int64(trips), Offset: int16(top - (back + 1))})
}

// verifyTable times the verifier, which compile runs before code
// generation, on the same inputs: one run each (it takes seconds at 100k),
// with termination checking, the generated programs as ebpf-for-windows
// sample programs.
func verifyTable(plat *platform.Platform, path string, src []byte, sizes []int) error {
	fmt.Printf("\n| input | eBPF insns | verify ms | insns/s | µs/insn | accepted |\n|---|---:|---:|---:|---:|---|\n")
	row := func(name string, mod *ir.Module, pt *platform.ProgramType) error {
		runtime.GC()
		start := processTime()
		res, err := verifier.Verify(mod, plat, verifier.Options{CheckTermination: true, ProgramType: pt})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		d := processTime() - start
		insns := moduleInsns(mod)
		accepted := "yes"
		if len(res.Diagnostics()) > 0 {
			accepted = "no: " + res.Diagnostics()[0].Error()
		}
		fmt.Printf("| %s | %d | %.1f | %.0f | %.1f | %s |\n", name, insns, float64(d.Microseconds())/1000,
			float64(insns)/d.Seconds(), float64(d.Nanoseconds())/1000/float64(insns), accepted)
		return nil
	}
	mod, err := elffront.Load(path, src, plat)
	if err != nil {
		return err
	}
	if err := row(path+" (all programs)", mod, nil); err != nil {
		return err
	}
	for _, n := range sizes {
		mod, err := moduleOf(genProgram(n, 1))
		if err != nil {
			return err
		}
		if err := row(fmt.Sprintf("generated, %d insns", n), mod, plat.ProgramType("sample")); err != nil {
			return err
		}
	}
	return nil
}
