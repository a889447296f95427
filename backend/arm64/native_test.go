package arm64_test

import (
	"encoding/binary"
	"fmt"
	"math/rand"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/conformance"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/interp"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/loader"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/ssa"
)

const conformanceDir = "../../../shared/conformance/tests"

// native skips the test unless this process can run arm64 code: on an
// arm64 Linux host, or as an arm64 test binary under qemu-aarch64
// (make test-arm64).
func native(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "arm64" {
		t.Skip("native execution needs linux/arm64 (make test-arm64 runs it under qemu-aarch64)")
	}
}

// runNative loads obj in process and runs program 0 with r1 pointing at
// memory and r2 its length, as the conformance suite expects; the suite's
// helper (id 5) returns its first argument.
func runNative(t *testing.T, obj *backend.Object, mod *ir.Module, memory []byte) uint64 {
	t.Helper()
	if mod.Platform == "" {
		mod.Platform = platform.Linux
	}
	rt, err := host.New(mod, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rt.Bind(interp.ConformanceHelperID, "conformance_noop", func(c *host.Call) (uint64, error) { return c.Args[0], nil }); err != nil {
		t.Fatal(err)
	}
	img, err := loader.Load(obj, mod, rt)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	r0, err := img.Run(0, host.NewMemoryContext(memory))
	if err != nil {
		t.Fatal(err)
	}
	return r0
}

// TestConformanceNative compiles every conformance program, optimized and
// not, runs it natively and compares r0 with the expected result.
func TestConformanceNative(t *testing.T) {
	native(t)
	paths, err := filepath.Glob(filepath.Join(conformanceDir, "*.data"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no conformance tests in %s", conformanceDir)
	}
	// Unoptimized, constants reach the backend instead of being folded,
	// so every operation is executed by native code.
	var noOpt []string
	for _, name := range ssa.PassNames() {
		if !strings.Contains(name, "copyelim") && !strings.Contains(name, "deadcode") {
			noOpt = append(noOpt, name)
		}
	}
	for _, cfg := range []struct {
		name    string
		disable []string
	}{{"opt", nil}, {"noopt", noOpt}} {
		for _, path := range paths {
			test, err := conformance.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(cfg.name+"/"+test.Name, func(t *testing.T) {
				mod := moduleOf(t, test.Program)
				obj, err := backend.Compile(mod, backend.Target{Arch: "arm64"}, backend.Options{Disable: cfg.disable})
				if err != nil {
					t.Fatal(err)
				}
				if test.ExpectError != "" {
					t.Skipf("expects error %q", test.ExpectError)
				}
				if r0 := runNative(t, obj, mod, append([]byte(nil), test.Memory...)); r0 != test.Result {
					t.Errorf("r0 = %#x, want %#x", r0, test.Result)
				}
			})
		}
	}
}

// evalProgram runs a one-program module's entry with ssa.Eval on memory,
// the reference the native code must agree with.
func evalProgram(t *testing.T, insns []asm.Instruction, memory []byte) uint64 {
	t.Helper()
	mod := moduleOf(t, marshal(t, insns))
	fs, err := ssa.Build(mod, mod.Programs[0])
	if err != nil {
		t.Fatal(err)
	}
	region := &ssa.Region{Name: "memory", Data: memory}
	r, err := ssa.Eval(fs[0], &ssa.Env{Funcs: fs, Args: [5]uint64{region.Addr(), uint64(len(memory))}, Regions: []*ssa.Region{region}})
	if err != nil {
		t.Fatal(err)
	}
	return r.R0
}

// TestOpsNative runs every ALU operation, 64 and 32 bits, register and
// immediate forms (immediates that fit an instruction and ones that must
// be materialized), on edge-case and random operands natively and
// compares with ssa.Eval. Operands come from memory so that nothing folds.
func TestOpsNative(t *testing.T) {
	native(t)
	var progs [][]asm.Instruction
	var names []string
	alu := []asm.ALUOp{asm.Add, asm.Sub, asm.Mul, asm.Div, asm.SDiv, asm.Mod, asm.SMod, asm.Or, asm.And, asm.Xor, asm.LSh, asm.RSh, asm.ArSh}
	for _, op := range alu {
		for _, w := range []string{"64", "32"} {
			load := []asm.Instruction{asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord), asm.LoadMem(asm.R2, asm.R1, 8, asm.DWord)}
			reg := op.Reg(asm.R0, asm.R2)
			if w == "32" {
				reg = op.Reg32(asm.R0, asm.R2)
			}
			progs = append(progs, append(load, reg, asm.Return()))
			names = append(names, fmt.Sprintf("%v%s reg", op, w))
			for _, c := range []int32{0, 1, -1, 7, 31, 63, 64, 0xff, 0xfff, 0x1000, 0x1001, -0x1000, 0x55555555, 0x7fff0000, -0x80000000} {
				ins := op.Imm(asm.R0, c)
				if w == "32" {
					ins = op.Imm32(asm.R0, c)
				}
				progs = append(progs, append(load[:1:1], ins, asm.Return()))
				names = append(names, fmt.Sprintf("%v%s imm %#x", op, w, c))
			}
		}
	}
	for _, jop := range []asm.JumpOp{asm.JEq, asm.JNE, asm.JGT, asm.JGE, asm.JLT, asm.JLE, asm.JSGT, asm.JSGE, asm.JSLT, asm.JSLE, asm.JSet} {
		for _, c := range []int32{0, 1, -1, 4095, 4096, -4095, 0x7fffffff, -0x80000000, 0xff00} {
			p := []asm.Instruction{
				asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord),
				asm.Mov.Imm(asm.R0, 1),
				jop.Imm(asm.R2, c, "out"),
				asm.Mov.Imm(asm.R0, 2),
				asm.Return().WithSymbol("out"),
			}
			progs = append(progs, p)
			names = append(names, fmt.Sprintf("%v imm %#x", jop, c))
			p32 := append([]asm.Instruction(nil), p...)
			p32[2] = jop.Imm32(asm.R2, c, "out")
			progs = append(progs, p32)
			names = append(names, fmt.Sprintf("%v32 imm %#x", jop, c))
		}
	}
	for _, sz := range []struct {
		sw   int
		size asm.Size
	}{{16, asm.Half}, {32, asm.Word}, {64, asm.DWord}} {
		progs = append(progs, []asm.Instruction{asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord), asm.HostTo(asm.BE, asm.R0, sz.size), asm.Return()})
		names = append(names, fmt.Sprintf("be%d", sz.sw))
		progs = append(progs, []asm.Instruction{asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord), asm.HostTo(asm.LE, asm.R0, sz.size), asm.Return()})
		names = append(names, fmt.Sprintf("le%d", sz.sw))
	}
	for _, c := range []int64{0, 1, -1, 0xffff, 0x10000, 0xffffffff, 0x100000000, 0x5555555555555555, -0x10000, 0x12345678_9abcdef0, -0x12345678_9abcdef0, 0x0000_ffff_0000_ffff, 0x7fffffff_ffffffff, -0x80000000_00000000, -0x0000_edcb_0000_0001} {
		progs = append(progs, []asm.Instruction{asm.LoadImm(asm.R0, c, asm.DWord), asm.Return()})
		names = append(names, fmt.Sprintf("lddw %#x", c))
	}
	rng := rand.New(rand.NewSource(1))
	edges := []uint64{0, 1, 2, 3, 0x7f, 0x80, 0xff, 0xfff, 0x1000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 1 << 63, 1<<63 - 1, ^uint64(0), ^uint64(1)}
	for i, p := range progs {
		t.Run(names[i], func(t *testing.T) {
			obj, _ := compile(t, p...)
			mod := moduleOf(t, marshal(t, p))
			for k := 0; k < 6; k++ {
				var a, b uint64
				if k < 4 {
					a, b = edges[rng.Intn(len(edges))], edges[rng.Intn(len(edges))]
				} else {
					a, b = rng.Uint64(), rng.Uint64()>>(rng.Intn(64))
				}
				mem := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, a), b)
				want := evalProgram(t, p, append([]byte(nil), mem...))
				if got := runNative(t, obj, mod, mem); got != want {
					t.Errorf("%#x, %#x: native %#x, ssa.Eval %#x", a, b, got, want)
				}
			}
		})
	}
}

// TestLargeOffsetsNative runs loads and stores at eBPF offsets that fit
// neither of arm64's immediate forms (so the address goes through x17),
// next to ones at the forms' limits, and compares with ssa.Eval.
func TestLargeOffsetsNative(t *testing.T) {
	native(t)
	var p []asm.Instruction
	p = append(p,
		asm.Mov.Reg(asm.R6, asm.R1),
		asm.Add.Imm(asm.R6, 40000), // r6 = memory + 40000, for negative offsets
		asm.Mov.Imm(asm.R0, 0),
	)
	type access struct {
		base asm.Register
		off  int16
		size asm.Size
	}
	for _, a := range []access{
		{asm.R1, 32760, asm.DWord}, {asm.R1, 32761, asm.DWord}, {asm.R1, 4095, asm.Byte}, {asm.R1, 4096, asm.Byte},
		{asm.R1, 8190, asm.Half}, {asm.R1, 8191, asm.Half}, {asm.R1, 16381, asm.Word}, {asm.R1, 257, asm.DWord},
		{asm.R6, -256, asm.DWord}, {asm.R6, -257, asm.DWord}, {asm.R6, -32768, asm.Word}, {asm.R6, -4097, asm.Half},
	} {
		// Store a value derived from the accumulator, then fold the
		// loaded value back in.
		p = append(p,
			asm.Add.Imm(asm.R0, int32(a.off)),
			asm.StoreMem(a.base, a.off, asm.R0, a.size),
			asm.LoadMem(asm.R2, a.base, a.off+1, asm.Byte),
			asm.Xor.Reg(asm.R0, asm.R2),
			asm.LoadMem(asm.R2, a.base, a.off, a.size),
			asm.Mul.Imm(asm.R0, 31),
			asm.Add.Reg(asm.R0, asm.R2),
		)
	}
	p = append(p, asm.Return())
	obj, _ := compile(t, p...)
	mod := moduleOf(t, marshal(t, p))
	rng := rand.New(rand.NewSource(2))
	for k := 0; k < 3; k++ {
		mem := make([]byte, 65536)
		rng.Read(mem)
		want := evalProgram(t, p, append([]byte(nil), mem...))
		if got := runNative(t, obj, mod, mem); got != want {
			t.Errorf("native %#x, ssa.Eval %#x", got, want)
		}
	}
}

// TestIdiomsNative runs programs whose shapes the optimizer rewrites
// (rotates, extensions by shifts, constant multiplies, masks of narrow
// values, a rotated loop) natively and compares with ssa.Eval of the
// unoptimized program.
func TestIdiomsNative(t *testing.T) {
	native(t)
	programs := map[string][]asm.Instruction{
		"rotl32": {asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord), asm.Mov.Reg32(asm.R0, asm.R2), asm.LSh.Imm32(asm.R0, 13),
			asm.RSh.Imm32(asm.R2, 19), asm.Or.Reg32(asm.R0, asm.R2), asm.Return()},
		"rotr64": {asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord), asm.Mov.Reg(asm.R0, asm.R2), asm.RSh.Imm(asm.R0, 8),
			asm.LSh.Imm(asm.R2, 56), asm.Xor.Reg(asm.R0, asm.R2), asm.Return()},
		"zext":   {asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord), asm.LSh.Imm(asm.R0, 32), asm.RSh.Imm(asm.R0, 32), asm.Return()},
		"and48":  {asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord), asm.LSh.Imm(asm.R0, 48), asm.RSh.Imm(asm.R0, 48), asm.Return()},
		"sext16": {asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord), asm.LSh.Imm(asm.R0, 48), asm.ArSh.Imm(asm.R0, 48), asm.Return()},
		"mul": {asm.LoadMem(asm.R2, asm.R1, 0, asm.DWord), asm.Mov.Reg(asm.R0, asm.R2), asm.Mul.Imm(asm.R0, 1000),
			asm.Mul.Imm32(asm.R2, 9), asm.Add.Reg(asm.R0, asm.R2), asm.Return()},
		"loop": {asm.LoadMem(asm.R2, asm.R1, 0, asm.Byte), asm.Mov.Imm(asm.R0, 0), asm.JEq.Imm(asm.R2, 0, "out"),
			asm.Add.Reg(asm.R0, asm.R2).WithSymbol("loop"), asm.And.Imm(asm.R0, 0xff), asm.Sub.Imm(asm.R2, 1),
			asm.JNE.Imm(asm.R2, 0, "loop"), asm.Return().WithSymbol("out")},
	}
	for name, insns := range programs {
		t.Run(name, func(t *testing.T) {
			mod := moduleOf(t, marshal(t, insns))
			obj, err := backend.Compile(mod, backend.Target{Arch: "arm64"}, backend.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range []uint64{0, 1, 6, 255, 0x80000000, 0xffffffffffffffff, 0x8000000000000001, 0x123456789abcdef0} {
				mem := binary.LittleEndian.AppendUint64(nil, x)
				want := evalProgram(t, insns, append([]byte(nil), mem...))
				if got := runNative(t, obj, mod, mem); got != want {
					t.Errorf("%#x: r0 = %#x, want %#x", x, got, want)
				}
			}
		})
	}
}
