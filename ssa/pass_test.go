package ssa

import (
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/ir"
)

// stages runs the pipeline on f and returns the dump of every stage by
// name ("lifted", then each pass).
func stages(t *testing.T, f *Func, opts Options) map[string]string {
	t.Helper()
	var out strings.Builder
	opts.Check, opts.DumpAfter, opts.Dump = true, "all", &out
	if err := Compile(f, opts); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, part := range strings.Split(out.String(), "# ")[1:] {
		name, dump, _ := strings.Cut(part, "\n")
		got[name] = dump
	}
	return got
}

type stageWant struct{ stage, dump string }

// passCases are small programs with the expected dump at chosen stages.
var passCases = []struct {
	name  string
	mod   *ir.Module
	insns []asm.Instruction
	facts Facts
	want  []stageWant
}{
	{
		name: "alu32 zero extension",
		insns: []asm.Instruction{
			asm.Mov.Reg32(asm.R0, asm.R1),
			asm.Add.Imm32(asm.R0, 1),
			asm.Mul.Imm32(asm.R0, 3),
			asm.LoadMem(asm.R2, asm.R1, 0, asm.Word),
			asm.Add.Reg(asm.R0, asm.R2),
			asm.HostTo(asm.LE, asm.R0, asm.Word),
			asm.Return(),
		},
		want: []stageWant{
			{"lifted", `
func test
b0:
  v7 = Undef
  v0 = InitMem
  v1 = FP
  v2 = Arg [r1]
  v3 = Arg [r2]
  v4 = Arg [r3]
  v5 = Arg [r4]
  v6 = Arg [r5]
  Plain -> b1
b1: <- b0
  v8 = Copy <i64> v2
  v19 = Copy <mem> v0
  v9 = Trunc64to32 v8
  v10 = ZeroExt32to64 v9
  v11 = Const32 [1]
  v12 = Trunc64to32 v10
  v13 = Add32 v12 v11
  v14 = ZeroExt32to64 v13
  v15 = Const32 [3]
  v16 = Trunc64to32 v14
  v17 = Mul32 v16 v15
  v18 = ZeroExt32to64 v17
  v20 = Load32 [0] v8 v19
  v21 = Add64 v18 v20
  v22 = Trunc64to32 v21
  v23 = ZeroExt32to64 v22
  Ret v23 v19
`},
			{"late deadcode", `
func test
b0:
  v0 = InitMem
  v2 = Arg [r1]
  v9 = Trunc64to32 v2
  v11 = Const32 [1]
  v13 = Add32 v9 v11
  v15 = Const32 [3]
  v17 = Mul32 v13 v15
  v18 = ZeroExt32to64 v17
  v20 = Load32 [0] v2 v0
  v21 = Add64 v18 v20
  v22 = Trunc64to32 v21
  v23 = ZeroExt32to64 v22
  Ret v23 v0
`},
		},
	},
	{
		name: "division guards",
		insns: []asm.Instruction{
			asm.Mov.Reg(asm.R0, asm.R1),
			asm.Div.Reg(asm.R0, asm.R2),
			asm.Mod.Imm(asm.R0, 0),
			asm.SDiv.Imm(asm.R0, -1),
			asm.Mod.Imm32(asm.R0, 10),
			asm.Mov.Reg(asm.R3, asm.R1),
			asm.Div.Imm(asm.R3, 0),
			asm.Add.Reg(asm.R0, asm.R3),
			asm.Return(),
		},
		want: []stageWant{
			{"lifted", `
func test
b0:
  v7 = Undef
  v0 = InitMem
  v1 = FP
  v2 = Arg [r1]
  v3 = Arg [r2]
  v4 = Arg [r3]
  v5 = Arg [r4]
  v6 = Arg [r5]
  Plain -> b1
b1: <- b0
  v8 = Copy <i64> v2
  v9 = Copy <i64> v3
  v22 = Copy <mem> v0
  v10 = UDiv64 v8 v9
  v11 = Const64 [0]
  v12 = UMod64 v10 v11
  v13 = Const64 [-1]
  v14 = SDiv64 v12 v13
  v15 = Const32 [10]
  v16 = Trunc64to32 v14
  v17 = UMod32 v16 v15
  v18 = ZeroExt32to64 v17
  v19 = Const64 [0]
  v20 = UDiv64 v8 v19
  v21 = Add64 v18 v20
  Ret v21 v22
`},
			{"late opt", `
func test
b0:
  v0 = InitMem
  v2 = Arg [r1]
  v3 = Arg [r2]
  Plain -> b1
b1: <- b0
  v10 = UDiv64 v2 v3
  v14 = Neg64 v10
  v15 = Const32 [10]
  v16 = Trunc64to32 v14
  v17 = UMod32 v16 v15
  v18 = ZeroExt32to64 v17
  Ret v18 v0
`},
			{"divguard", `
func test
b0:
  v0 = InitMem
  v2 = Arg [r1]
  v3 = Arg [r2]
  Plain -> b1
b1: <- b0
  v10 = UDiv64 v2 v3
  v14 = Neg64 v10
  v15 = Const32 [10]
  v16 = Trunc64to32 v14
  v17 = UMod32Raw v16 v15
  v18 = ZeroExt32to64 v17
  Ret v18 v0
`},
		},
	},
	{
		name: "division guard dropped by a fact",
		insns: []asm.Instruction{
			asm.Mov.Reg(asm.R0, asm.R1),
			asm.Div.Reg(asm.R0, asm.R2),
			asm.SMod.Reg(asm.R0, asm.R3),
			asm.Return(),
		},
		facts: testFacts{1: {asm.R2: {Min: 1, Max: 100, UMin: 1, UMax: 100}}},
		want: []stageWant{
			{"divguard", `
func test
b0:
  v0 = InitMem
  v2 = Arg [r1]
  v3 = Arg [r2]
  v4 = Arg [r3]
  Plain -> b1
b1: <- b0
  v10 = UDiv64Raw v2 v3
  v12 = SMod64 v10 v4
  Ret v12 v0
`},
		},
	},
	{
		name: "stack slot promotion",
		insns: []asm.Instruction{
			asm.StoreMem(asm.R10, -8, asm.R1, asm.DWord),
			asm.StoreMem(asm.R10, -16, asm.R2, asm.DWord),
			asm.LoadMem(asm.R0, asm.R10, -8, asm.DWord),
			// A 4-byte load of half of an 8-byte store: that slot stays.
			asm.LoadMem(asm.R3, asm.R10, -12, asm.Word),
			asm.Add.Reg(asm.R0, asm.R3),
			asm.Return(),
		},
		want: []stageWant{
			{"opt", `
func test
b0:
  v0 = InitMem
  v1 = FP
  v2 = Arg [r1]
  v3 = Arg [r2]
  Plain -> b1
b1: <- b0
  v10 = Store64 [-8] v1 v2 v0
  v12 = Store64 [-16] v1 v3 v10
  v13 = Load64 [-8] v1 v12
  v14 = Load32 [-12] v1 v12
  v15 = Add64 v13 v14
  Ret v15 v12
`},
			{"promote", `
func test
b0:
  v16 = Undef
  v0 = InitMem
  v1 = FP
  v2 = Arg [r1]
  v3 = Arg [r2]
  Plain -> b1
b1: <- b0
  v12 = Store64 [-16] v1 v3 v0
  v14 = Load32 [-12] v1 v12
  v15 = Add64 v2 v14
  Ret v15 v12
`},
		},
	},
	{
		name: "escaping slot stays in memory",
		mod:  &ir.Module{Platform: "linux", Maps: []*ir.Map{{Name: "counts"}}},
		insns: []asm.Instruction{
			asm.StoreImm(asm.R10, -4, 7, asm.Word),
			asm.StoreImm(asm.R10, -16, 9, asm.Word),
			asm.Mov.Reg(asm.R2, asm.R10),
			asm.Add.Imm(asm.R2, -4),
			asm.LoadMapPtr(asm.R1, 0),
			asm.FnMapLookupElem.Call(),
			asm.LoadMem(asm.R1, asm.R10, -4, asm.Word),
			asm.LoadMem(asm.R2, asm.R10, -16, asm.Word),
			asm.Add.Reg(asm.R0, asm.R1),
			asm.Add.Reg(asm.R0, asm.R2),
			asm.Return(),
		},
		want: []stageWant{
			{"promote", `
func test
b0:
  v26 = Undef
  v0 = InitMem
  v1 = FP
  v4 = Arg [r3]
  v5 = Arg [r4]
  v6 = Arg [r5]
  Plain -> b1
b1: <- b0
  v8 = Const64 [7]
  v10 = Store32 [-4] v1 v8 v0
  v11 = Const64 [9]
  v13 = Const64 [-4]
  v14 = Add64 v1 v13
  v15 = MapPtr [counts]
  v19 = CallHelper [1 bpf_map_lookup_elem] v15 v14 v4 v5 v6 v10
  v20 = SelectVal v19
  v21 = SelectMem v19
  v22 = Load32 [-4] v1 v21
  v27 = Trunc64to32 v11
  v23 = ZeroExt32to64 v27
  v24 = Add64 v20 v22
  v25 = Add64 v24 v23
  Ret v25 v21
`},
		},
	},
	{
		name: "constant branch and loop",
		insns: []asm.Instruction{
			asm.Mov.Imm(asm.R0, 0),
			asm.Mov.Imm(asm.R2, 1),
			asm.JEq.Imm(asm.R2, 1, "loop"),
			asm.Mov.Imm(asm.R0, 99),
			asm.Add.Reg(asm.R0, asm.R1).WithSymbol("loop"),
			asm.Sub.Imm(asm.R1, 1),
			asm.JNE.Imm(asm.R1, 0, "loop"),
			asm.Return(),
		},
		want: []stageWant{
			{"late opt", `
func test
b0:
  v0 = InitMem
  v2 = Arg [r1]
  Plain -> b1
b1: <- b0
  v8 = Const64 [0]
  v11 = ConstBool [true]
  If v11 -> b3 b2
b2: <- b1
  v12 = Const64 [99]
  Plain -> b3
b3: <- b1 b2 b3
  v13 = Phi <i64> v2 v2 v17
  v14 = Phi <i64> v8 v12 v15
  v15 = Add64 v14 v13
  v27 = Const64 [-1]
  v17 = Add64 v13 v27
  v19 = Ne64 v17 v8
  If v19 -> b3 b4
b4: <- b3
  Ret v15 v0
`},
			{"simplifycfg", `
func test
b0:
  v0 = InitMem
  v2 = Arg [r1]
  v8 = Const64 [0]
  v11 = ConstBool [true]
  Plain -> b3
b3: <- b0 b3
  v13 = Phi <i64> v2 v17
  v14 = Phi <i64> v8 v15
  v15 = Add64 v14 v13
  v27 = Const64 [-1]
  v17 = Add64 v13 v27
  v19 = Ne64 v17 v8
  If v19 -> b3 b4
b4: <- b3
  Ret v15 v0
`},
		},
	},
	{
		name: "common subexpressions",
		insns: []asm.Instruction{
			asm.Mov.Reg(asm.R0, asm.R1),
			asm.Add.Reg(asm.R0, asm.R2),
			asm.Mov.Reg(asm.R3, asm.R2),
			asm.Add.Reg(asm.R3, asm.R1),
			asm.LoadMem(asm.R4, asm.R1, 8, asm.DWord),
			asm.LoadMem(asm.R5, asm.R1, 8, asm.DWord),
			asm.Xor.Reg(asm.R0, asm.R3),
			asm.Xor.Reg(asm.R0, asm.R4),
			asm.Xor.Reg(asm.R0, asm.R5),
			asm.Return(),
		},
		want: []stageWant{
			{"cse", `
func test
b0:
  v0 = InitMem
  v2 = Arg [r1]
  v3 = Arg [r2]
  Plain -> b1
b1: <- b0
  v10 = Add64 v2 v3
  v13 = Load64 [8] v2 v0
  v15 = Xor64 v10 v10
  v16 = Xor64 v15 v13
  v17 = Xor64 v16 v13
  Ret v17 v0
`},
			{"late opt", `
func test
b0:
  v0 = InitMem
  Plain -> b1
b1: <- b0
  v17 = Const64 [0]
  Ret v17 v0
`},
		},
	},
	{
		name: "calls and tail call",
		mod:  &ir.Module{Platform: "windows", Maps: []*ir.Map{{Name: "programs"}}},
		insns: []asm.Instruction{
			asm.Mov.Reg(asm.R6, asm.R1),
			asm.Call.Label("sub"),
			asm.Mov.Reg(asm.R7, asm.R0),
			asm.Mov.Reg(asm.R1, asm.R6),
			asm.LoadMapPtr(asm.R2, 0),
			asm.Mov.Imm(asm.R3, 1),
			asm.BuiltinFunc(5).Call(), // bpf_tail_call on windows
			asm.Mov.Reg(asm.R0, asm.R7),
			asm.Return(),
			asm.Mov.Imm(asm.R0, 42).WithSymbol("sub"),
			asm.Return(),
		},
		want: []stageWant{
			{"lifted", `
func test
b0:
  v7 = Undef
  v0 = InitMem
  v1 = FP
  v2 = Arg [r1]
  v3 = Arg [r2]
  v4 = Arg [r3]
  v5 = Arg [r4]
  v6 = Arg [r5]
  Plain -> b1
b1: <- b0
  v8 = Copy <i64> v2
  v9 = Copy <i64> v3
  v10 = Copy <i64> v4
  v11 = Copy <i64> v5
  v12 = Copy <i64> v6
  v13 = Copy <mem> v0
  v14 = CallLocal [test.func10] v8 v9 v10 v11 v12 v13
  v15 = SelectVal v14
  v16 = SelectMem v14
  v17 = MapPtr [programs]
  v18 = Const64 [1]
  v19 = CallTail [5 bpf_tail_call] v8 v17 v18 v7 v7 v16
  v20 = SelectVal v19
  v21 = SelectMem v19
  v22 = Const64 [0]
  v23 = Eq64 v20 v22
  If v23 -> b2 b3
b2: <- b1
  v24 = Copy <mem> v21
  TailRet v24
b3: <- b1
  v25 = Copy <i64> v15
  v26 = Copy <mem> v21
  Ret v25 v26
`},
			{"late deadcode", `
func test
b0:
  v7 = Undef
  v0 = InitMem
  v2 = Arg [r1]
  v3 = Arg [r2]
  v4 = Arg [r3]
  v5 = Arg [r4]
  v6 = Arg [r5]
  v14 = CallLocal [test.func10] v2 v3 v4 v5 v6 v0
  v15 = SelectVal v14
  v16 = SelectMem v14
  v17 = MapPtr [programs]
  v18 = Const64 [1]
  v19 = CallTail [5 bpf_tail_call] v2 v17 v18 v7 v7 v16
  v20 = SelectVal v19
  v21 = SelectMem v19
  v22 = Const64 [0]
  v23 = Eq64 v20 v22
  If v23 -> b2 b3
b2: <- b0
  TailRet v21
b3: <- b0
  Ret v15 v21
`},
		},
	},
	{
		// clang folds murmur3's "k *= c1; k = rotl(k, 15)" into
		// (k * (c1 << 15)) | ((k * c1) >> 17): a rotate of k * c1.
		name: "rotate of a product",
		insns: []asm.Instruction{
			asm.Mov.Reg32(asm.R2, asm.R1),
			asm.Mul.Imm32(asm.R2, 380141568), // 0xcc9e2d51 << 15, mod 2^32
			asm.Mul.Imm32(asm.R1, int32(-862048943)),
			asm.RSh.Imm32(asm.R1, 17),
			asm.Or.Reg32(asm.R1, asm.R2),
			asm.Mov.Reg(asm.R0, asm.R1),
			asm.Return(),
		},
		want: []stageWant{{"late deadcode", `
func test
b0:
  v0 = InitMem
  v2 = Arg [r1]
  v9 = Trunc64to32 v2
  v15 = Const32 [-862048943]
  v17 = Mul32 v9 v15
  v28 = Const32 [15]
  v25 = Rotl32 v17 v28
  v26 = ZeroExt32to64 v25
  Ret v26 v0
`}},
	},
	{
		// The multipliers disagree by one bit: no rotate.
		name: "no rotate of unrelated products",
		insns: []asm.Instruction{
			asm.Mov.Reg32(asm.R2, asm.R1),
			asm.Mul.Imm32(asm.R2, 380141568^1<<16),
			asm.Mul.Imm32(asm.R1, int32(-862048943)),
			asm.RSh.Imm32(asm.R1, 17),
			asm.Or.Reg32(asm.R1, asm.R2),
			asm.Mov.Reg(asm.R0, asm.R1),
			asm.Return(),
		},
		want: []stageWant{{"late deadcode", `
func test
b0:
  v0 = InitMem
  v2 = Arg [r1]
  v9 = Trunc64to32 v2
  v11 = Const32 [380207104]
  v13 = Mul32 v9 v11
  v15 = Const32 [-862048943]
  v17 = Mul32 v9 v15
  v19 = Const32 [17]
  v21 = Rsh32 v17 v19
  v25 = Or32 v21 v13
  v26 = ZeroExt32to64 v25
  Ret v26 v0
`}},
	},
	{
		// if (r2 < r0) r0 = r2: an empty arm, bypassed by simplifycfg,
		// leaves an If whose edges meet; branchelim selects instead.
		name: "branch choosing a minimum",
		insns: []asm.Instruction{
			asm.Mov.Reg(asm.R0, asm.R1),
			asm.JGE.Reg(asm.R2, asm.R0, "end"),
			asm.Mov.Reg(asm.R0, asm.R2),
			asm.Return().WithSymbol("end"),
		},
		want: []stageWant{{"late deadcode", `
func test
b0:
  v0 = InitMem
  v2 = Arg [r1]
  v3 = Arg [r2]
  v10 = Uge64 v3 v2
  v16 = CondSelect <i64> v10 v2 v3
  Ret v16 v0
`}},
	},
	{
		// A triangle whose arm computes two values: both are speculated.
		name: "triangle speculated",
		insns: []asm.Instruction{
			asm.Mov.Reg(asm.R0, asm.R1),
			asm.JEq.Imm(asm.R2, 0, "end"),
			asm.Add.Reg(asm.R0, asm.R2),
			asm.Xor.Imm(asm.R0, 5),
			asm.Return().WithSymbol("end"),
		},
		want: []stageWant{{"late deadcode", `
func test
b0:
  v0 = InitMem
  v2 = Arg [r1]
  v3 = Arg [r2]
  v10 = Const64 [0]
  v11 = Eq64 v3 v10
  v14 = Add64 v2 v3
  v15 = Const64 [5]
  v16 = Xor64 v14 v15
  v21 = CondSelect <i64> v11 v2 v16
  Ret v21 v0
`}},
	},
	{
		// An arm that stores stays a branch.
		name: "arm with a store kept",
		insns: []asm.Instruction{
			asm.Mov.Reg(asm.R0, asm.R1),
			asm.JEq.Imm(asm.R2, 0, "end"),
			asm.StoreMem(asm.R1, 0, asm.R2, asm.DWord),
			asm.Mov.Imm(asm.R0, 7),
			asm.Return().WithSymbol("end"),
		},
		want: []stageWant{{"late deadcode", `
func test
b0:
  v0 = InitMem
  v2 = Arg [r1]
  v3 = Arg [r2]
  v10 = Const64 [0]
  v11 = Eq64 v3 v10
  If v11 -> b3 b2
b2: <- b0
  v15 = Store64 [0] v2 v3 v0
  v16 = Const64 [7]
  Plain -> b3
b3: <- b0 b2
  v17 = Phi <i64> v2 v16
  v18 = Phi <mem> v0 v15
  Ret v17 v18
`}},
	},
}

func TestPasses(t *testing.T) {
	for _, tc := range passCases {
		t.Run(tc.name, func(t *testing.T) {
			p := program(t, marshal(t, tc.insns...))
			for i := range p.Insns {
				// Map loads name their map by index in these programs.
				if p.Insns[i].IsLoadFromMap() {
					p.Insns[i].Map = int(int32(p.Insns[i].Constant))
				}
			}
			fs, err := Build(tc.mod, p)
			if err != nil {
				t.Fatal(err)
			}
			if err := Check(fs[0]); err != nil {
				t.Fatal(err)
			}
			got := stages(t, fs[0], Options{Facts: tc.facts})
			if len(tc.want) == 0 {
				for _, name := range append([]string{"lifted"}, PassNames()...) {
					t.Logf("stage %s\n%s", name, got[name])
				}
				t.Fatal("no expectations")
			}
			for _, w := range tc.want {
				want := strings.TrimPrefix(w.dump, "\n")
				if got[w.stage] != want {
					t.Errorf("after %s:\n got:\n%s\nwant:\n%s", w.stage, got[w.stage], want)
				}
			}
		})
	}
}

// testFacts maps an instruction and a register to a range.
type testFacts map[int]map[asm.Register]Range

func (f testFacts) NonZero(insn int, reg asm.Register) bool {
	r, ok := f.Range(insn, reg)
	return ok && r.UMin > 0
}

func (f testFacts) Range(insn int, reg asm.Register) (Range, bool) {
	r, ok := f[insn][reg]
	return r, ok
}
