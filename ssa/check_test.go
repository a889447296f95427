package ssa

import (
	"errors"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
)

// TestCheckFindsBrokenInvariants breaks a valid function in one way at a
// time; Check must report each.
func TestCheckFindsBrokenInvariants(t *testing.T) {
	prog := []asm.Instruction{
		asm.Mov.Imm(asm.R0, 3),
		asm.JEq.Imm(asm.R1, 0, "out"),
		asm.StoreMem(asm.R1, 0, asm.R1, asm.DWord),
		asm.Mul.Reg(asm.R0, asm.R1),
		asm.Return().WithSymbol("out"),
	}
	find := func(f *Func, op Op) *Value {
		for _, b := range f.Blocks {
			for _, v := range b.Values {
				if v.Op == op {
					return v
				}
			}
		}
		t.Fatalf("no %s in\n%s", op, f)
		return nil
	}
	for _, tc := range []struct {
		name    string
		breakIt func(f *Func)
		want    string
	}{
		{"phi arity", func(f *Func) { p := find(f, OpPhi); p.Args = p.Args[:1] }, "phi with 1 arguments"},
		{"argument type", func(f *Func) {
			a := find(f, OpMul64)
			a.Args[1] = find(f, OpInitMem)
		}, "has type mem, want i64"},
		{"argument count", func(f *Func) { a := find(f, OpMul64); a.Args = a.Args[:1] }, "with 1 arguments, want 2"},
		{"dominance", func(f *Func) {
			// Make the entry's compare use a value defined in a later block.
			c := find(f, OpEq64)
			c.Args[0] = find(f, OpMul64)
		}, "does not dominate"},
		{"memory order", func(f *Func) {
			// Return the memory from before the store.
			for _, b := range f.Blocks {
				if b.Kind == BlockRet {
					for _, v := range b.Values {
						if v.Op == OpPhi && v.Type == TypeMem {
							v.Args[1] = find(f, OpInitMem)
						}
					}
				}
			}
		}, "memory from"},
		{"edges", func(f *Func) { f.Blocks[1].Preds = nil }, "lists b0 0 times as predecessor"},
		{"successor count", func(f *Func) { f.Blocks[0].Succs = nil }, "If block with 0 successors"},
		{"control type", func(f *Func) {
			for _, b := range f.Blocks {
				if b.Kind == BlockIf {
					b.Controls[0] = find(f, OpMul64)
				}
			}
		}, "control 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := lift(t, prog...)[0]
			if err := Compile(f, Options{Check: true}); err != nil {
				t.Fatal(err)
			}
			tc.breakIt(f)
			err := Check(f)
			if err == nil || !errors.Is(err, ErrCheck) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check = %v, want an error containing %q\n%s", err, tc.want, f)
			}
		})
	}
}
