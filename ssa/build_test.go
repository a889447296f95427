package ssa

import (
	"errors"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
)

func TestBuildRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		insns []asm.Instruction
		is    error
		want  string
	}{
		{"ld abs", []asm.Instruction{asm.LoadAbs(4, asm.Word), asm.Return()}, ErrUnsupported, "legacy packet load"},
		{"ld ind", []asm.Instruction{asm.LoadInd(asm.R0, asm.R2, 4, asm.Word), asm.Return()}, ErrUnsupported, "legacy packet load"},
		{"write r10", []asm.Instruction{asm.Mov.Imm(asm.R10, 0), asm.Return()}, ErrInvalid, "r10"},
		{"falls off", []asm.Instruction{asm.Mov.Imm(asm.R0, 0)}, ErrInvalid, "runs off the end"},
		{"unresolved map", []asm.Instruction{asm.LoadMapPtr(asm.R1, 3), asm.Return()}, ErrInvalid, "without a resolved map"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(nil, program(t, marshal(t, tc.insns...)))
			if !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Build = %v, want %v containing %q", err, tc.is, tc.want)
			}
		})
	}
}

// TestBuildSkipsUnreachableCode lifts only what the entry reaches, so dead
// code may even run off the end.
func TestBuildSkipsUnreachableCode(t *testing.T) {
	f := lift(t, asm.Mov.Imm(asm.R0, 1), asm.Return(), asm.Mov.Imm(asm.R0, 2))[0]
	if len(f.Blocks) != 2 {
		t.Errorf("want the entry and one block, got\n%s", f)
	}
}

func TestCompileOptions(t *testing.T) {
	f := lift(t, asm.Mov.Imm(asm.R0, 1), asm.Return())[0]
	if err := Compile(f, Options{DumpAfter: "nonsense", Dump: new(strings.Builder)}); err == nil {
		t.Error("DumpAfter of an unknown pass accepted")
	}
	if err := Compile(f, Options{Disable: []string{"nonsense"}}); err == nil {
		t.Error("disabling an unknown pass accepted")
	}
	var out strings.Builder
	if err := Compile(f, Options{DumpAfter: "cse", Dump: &out}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "# cse\nfunc test\n") || strings.Count(out.String(), "# ") != 1 {
		t.Errorf("dump after cse:\n%s", out.String())
	}
}

// TestDisabledPassesStillCorrect runs the conformance programs with each
// optional pass disabled in turn: no pass may depend on another for
// correctness, only for quality.
func TestEachPassAlone(t *testing.T) {
	var optional []string
	for _, p := range passes {
		if !p.required {
			optional = append(optional, p.name)
		}
	}
	for _, only := range optional {
		var disable []string
		for _, name := range optional {
			if name != only {
				disable = append(disable, name)
			}
		}
		for seed := 0; seed < 100; seed++ {
			checkGenerated(t, seed, Options{Check: true, Disable: disable})
		}
	}
}
