package amd64_test

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/backend"
	dis "github.com/bpf2native/bpf2native/backend/disasm"
	"github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
)

// TestLineTables compiles every program of the test objects for both ABIs
// and checks each function's line table against the disassembly of its
// code: one entry per machine instruction, in order, each at an
// instruction boundary, the function's bytes covered from its first to its
// last; every Insn names an instruction of the eBPF function the code was
// generated from; and compiling twice gives the same tables.
func TestLineTables(t *testing.T) {
	objs, err := filepath.Glob("../../testdata/*.o")
	if err != nil || len(objs) == 0 {
		t.Fatal("no objects in ../../testdata")
	}
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	attributed, total := 0, 0
	for _, path := range objs {
		mod, err := elf.LoadFile(path, plat)
		if err != nil {
			t.Fatal(err)
		}
		for _, abi := range []string{"sysv", "windows"} {
			target := backend.Target{Arch: "amd64", ABI: abi}
			obj, err := backend.Compile(mod, target, backend.Options{})
			if err != nil {
				t.Fatalf("%s/%s: %v", path, abi, err)
			}
			again, err := backend.Compile(mod, target, backend.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var prog *ir.Program
			for fi, f := range obj.Funcs {
				where := fmt.Sprintf("%s/%s: %s", filepath.Base(path), abi, f.Name)
				if !reflect.DeepEqual(f.Lines, again.Funcs[fi].Lines) {
					t.Errorf("%s: two compilations give different line tables", where)
				}
				// The eBPF function the code came from: an entry's program,
				// or the sub-program of the entry before it named after it.
				if f.Program >= 0 {
					prog = mod.Programs[f.Program]
				}
				fn := irFunc(prog, f)
				if fn == nil {
					t.Fatalf("%s: no eBPF function", where)
				}
				insts, err := dis.Disassemble("amd64", obj.Text[f.Offset:f.Offset+f.Size], uint64(f.Offset))
				if err != nil {
					t.Fatal(err)
				}
				if len(f.Lines) != len(insts) {
					t.Errorf("%s: %d lines for %d instructions", where, len(f.Lines), len(insts))
				}
				off := 0
				for k, in := range insts {
					if in.Bad {
						t.Errorf("%s: undecodable byte at +%#x", where, off)
					}
					if k < len(f.Lines) && f.Lines[k].Offset != off {
						t.Errorf("%s: line %d at +%#x, instruction %d (%s) at +%#x", where, k, f.Lines[k].Offset, k, in.Text, off)
					}
					off += in.Len
				}
				if off != f.Size {
					t.Errorf("%s: instructions end at %d, function at %d", where, off, f.Size)
				}
				for k, l := range f.Lines {
					total++
					if l.Insn == -1 {
						continue
					}
					attributed++
					if l.Insn < fn.Start || l.Insn >= fn.End {
						t.Errorf("%s: line %d names instruction %d, outside %s [%d, %d)", where, k, l.Insn, fn.Name, fn.Start, fn.End)
					}
				}
			}
		}
	}
	// Most code belongs to some instruction: prologues, epilogues, jumps
	// and spill code are the rest.
	if total == 0 || attributed*100 < total*60 {
		t.Errorf("%d of %d machine instructions name an eBPF instruction", attributed, total)
	}
	t.Logf("%d of %d machine instructions name an eBPF instruction", attributed, total)
}

// irFunc returns the function of prog that f was compiled from.
func irFunc(prog *ir.Program, f backend.Func) *ir.Function {
	if prog == nil {
		return nil
	}
	if f.Program >= 0 {
		return &prog.Funcs[0]
	}
	for i := range prog.Funcs {
		if prog.Name+"."+prog.Funcs[i].Name == f.Name {
			return &prog.Funcs[i]
		}
	}
	return nil
}

// TestLinesOfOneProgram checks the attribution on a small program: the
// prologue and epilogue name no instruction, the loads and arithmetic name
// theirs, and a compare fused into its branch names the jump.
func TestLinesOfOneProgram(t *testing.T) {
	// r0 = *(u32 *)(r1 + 0); if r0 > 7 goto +1; r0 += 3; exit
	obj, _ := compile(t, "sysv",
		asm.LoadMem(asm.R0, asm.R1, 0, asm.Word),
		asm.Instruction{OpCode: asm.JGT.Op(asm.ImmSource), Dst: asm.R0, Constant: 7, Offset: 1},
		asm.Add.Imm(asm.R0, 3),
		asm.Return())
	f := obj.Funcs[0]
	insts, err := dis.Disassemble("amd64", obj.Text[f.Offset:f.Offset+f.Size], 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for k, in := range insts {
		got = append(got, fmt.Sprintf("%d %s", f.Lines[k].Insn, in.Text))
	}
	t.Logf("\n%s", strings.Join(got, "\n"))
	for k, in := range insts {
		insn := f.Lines[k].Insn
		switch {
		case strings.HasPrefix(in.Text, "mov eax, dword ptr"):
			if insn != 0 {
				t.Errorf("load names instruction %d, want 0", insn)
			}
		case strings.HasPrefix(in.Text, "cmp"), strings.HasPrefix(in.Text, "j") && !strings.HasPrefix(in.Text, "jmp"):
			if insn != 1 {
				t.Errorf("%s names instruction %d, want 1", in.Text, insn)
			}
		case strings.HasPrefix(in.Text, "add"):
			if insn != 2 {
				t.Errorf("%s names instruction %d, want 2", in.Text, insn)
			}
		case strings.HasPrefix(in.Text, "ret"):
			if insn != -1 {
				t.Errorf("ret names instruction %d, want -1", insn)
			}
		}
	}
}
