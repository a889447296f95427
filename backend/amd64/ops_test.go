package amd64_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand"
	"testing"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/ssa"
)

// evalProgram runs a one-program module's entry with ssa.Eval on memory,
// the reference the native code must agree with.
func evalProgram(t *testing.T, insns []asm.Instruction, memory []byte) uint64 {
	t.Helper()
	code := marshal(t, insns)
	mod := moduleOf(t, code)
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
// immediate forms, on edge-case and random operands natively and compares
// with ssa.Eval. Operands come from memory so that nothing folds.
func TestOpsNative(t *testing.T) {
	runner(t)
	var progs [][]asm.Instruction
	names := []string{}
	alu := []asm.ALUOp{asm.Add, asm.Sub, asm.Mul, asm.Div, asm.SDiv, asm.Mod, asm.SMod, asm.Or, asm.And, asm.Xor, asm.LSh, asm.RSh, asm.ArSh}
	for _, op := range alu {
		for _, w := range []string{"64", "32"} {
			op, w := op, w
			load := []asm.Instruction{asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord), asm.LoadMem(asm.R2, asm.R1, 8, asm.DWord)}
			reg := op.Reg(asm.R0, asm.R2)
			if w == "32" {
				reg = op.Reg32(asm.R0, asm.R2)
			}
			progs = append(progs, append(load, reg, asm.Return()))
			names = append(names, fmt.Sprintf("%v%s reg", op, w))
			for _, c := range []int32{0, 1, -1, 7, 31, 63, 64, -0x80000000} {
				ins := op.Imm(asm.R0, c)
				if w == "32" {
					ins = op.Imm32(asm.R0, c)
				}
				progs = append(progs, append(load[:1:1], ins, asm.Return()))
				names = append(names, fmt.Sprintf("%v%s imm %d", op, w, c))
			}
		}
	}
	for _, sz := range []struct {
		sw   int
		size asm.Size
	}{{16, asm.Half}, {32, asm.Word}, {64, asm.DWord}} {
		sw, size := sz.sw, sz.size
		progs = append(progs, []asm.Instruction{asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord), asm.HostTo(asm.BE, asm.R0, size), asm.Return()})
		names = append(names, fmt.Sprintf("be%d", sw))
		progs = append(progs, []asm.Instruction{asm.LoadMem(asm.R0, asm.R1, 0, asm.DWord), asm.HostTo(asm.LE, asm.R0, size), asm.Return()})
		names = append(names, fmt.Sprintf("le%d", sw))
	}
	rng := rand.New(rand.NewSource(1))
	edges := []uint64{0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000, 1 << 63, 1<<63 - 1, ^uint64(0), ^uint64(1)}
	for i, p := range progs {
		t.Run(names[i], func(t *testing.T) {
			obj, _ := compile(t, "sysv", p...)
			for k := 0; k < 6; k++ {
				var a, b uint64
				if k < 4 {
					a, b = edges[rng.Intn(len(edges))], edges[rng.Intn(len(edges))]
				} else {
					a, b = rng.Uint64(), rng.Uint64()>>(rng.Intn(64))
				}
				mem := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, a), b)
				want := evalProgram(t, p, append([]byte(nil), mem...))
				got, _ := runNative(t, obj, mem)
				if got != want {
					t.Errorf("%#x, %#x: native %#x, ssa.Eval %#x", a, b, got, want)
				}
			}
		})
	}
}

func marshal(t *testing.T, insns []asm.Instruction) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := asm.Instructions(insns).Marshal(&buf, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
