package regalloc

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// The mock ISA has four allocatable registers: r0 and r1 are caller-saved
// (r0 also carries a call's argument and result), r2 and r3 callee-saved.
// Instructions are written "op defs = uses"; "mov" is a copy, "call"
// clobbers the caller-saved registers, "reload" and "spill" are the
// allocator's.
var mockInfo = &RegisterInfo{
	Allocatable: []Reg{0, 1, 2, 3},
	CallerSaved: NewRegSet(0, 1),
	CalleeSaved: NewRegSet(2, 3),
	Name:        func(r Reg) string { return fmt.Sprintf("r%d", r) },
}

type mockInstr struct {
	op         string
	defs, uses []Reg
	slot       int
	// tied instructions are two-address: the first def is the first use,
	// one operand, as in x86's "add dst, src".
	tied bool
}

func (i *mockInstr) Uses(buf []Reg) []Reg { return append(buf, i.uses...) }
func (i *mockInstr) Defs(buf []Reg) []Reg {
	if i.tied {
		return append(append(buf, i.uses[0]), i.defs[1:]...)
	}
	return append(buf, i.defs...)
}
func (i *mockInstr) AssignUse(k int, r Reg) { i.uses[k] = r }
func (i *mockInstr) AssignDef(k int, r Reg) {
	if i.tied && k == 0 {
		i.uses[0] = r
		return
	}
	i.defs[k] = r
}
func (i *mockInstr) IsCopy() bool { return i.op == "mov" }
func (i *mockInstr) Clobbers() RegSet {
	if i.op == "call" {
		return mockInfo.CallerSaved
	}
	return 0
}

func regName(r Reg) string {
	if r.IsVirtual() {
		return fmt.Sprintf("v%d", r-FirstVirtual)
	}
	return fmt.Sprintf("r%d", r)
}

func (i *mockInstr) String() string {
	var b strings.Builder
	b.WriteString(i.op)
	for _, r := range i.Defs(nil) {
		b.WriteString(" " + regName(r))
	}
	b.WriteString(" =")
	for _, r := range i.uses {
		b.WriteString(" " + regName(r))
	}
	if i.op == "reload" || i.op == "spill" {
		fmt.Fprintf(&b, " [s%d]", i.slot)
	}
	return b.String()
}

type mockBlock struct {
	instrs []Instr
	succs  []int
	depth  int
}

func (b *mockBlock) Instrs() []Instr      { return b.instrs }
func (b *mockBlock) SetInstrs(is []Instr) { b.instrs = is }
func (b *mockBlock) Succs() []int         { return b.succs }
func (b *mockBlock) LoopDepth() int       { return b.depth }

type mockFunc struct {
	blocks []*mockBlock
	next   Reg
}

func (f *mockFunc) NumBlocks() int    { return len(f.blocks) }
func (f *mockFunc) Block(i int) Block { return f.blocks[i] }
func (f *mockFunc) NewVReg() Reg      { f.next++; return f.next - 1 }
func (f *mockFunc) Reload(dst Reg, slot int) Instr {
	return &mockInstr{op: "reload", defs: []Reg{dst}, slot: slot}
}
func (f *mockFunc) Spill(src Reg, slot int) Instr {
	return &mockInstr{op: "spill", uses: []Reg{src}, slot: slot}
}

func (f *mockFunc) String() string {
	var b strings.Builder
	for i, bl := range f.blocks {
		fmt.Fprintf(&b, "b%d", i)
		if bl.depth > 0 {
			fmt.Fprintf(&b, " depth %d", bl.depth)
		}
		if len(bl.succs) > 0 {
			b.WriteString(" ->")
			for _, s := range bl.succs {
				fmt.Fprintf(&b, " b%d", s)
			}
		}
		b.WriteByte('\n')
		for _, ins := range bl.instrs {
			fmt.Fprintf(&b, "  %s\n", ins)
		}
	}
	return b.String()
}

// parseMock reads the format String writes (without spill slots).
func parseMock(t *testing.T, src string) *mockFunc {
	t.Helper()
	f := &mockFunc{next: FirstVirtual}
	reg := func(tok string) Reg {
		n, err := strconv.Atoi(tok[1:])
		if err != nil {
			t.Fatalf("bad register %q", tok)
		}
		if tok[0] == 'v' {
			r := FirstVirtual + Reg(n)
			f.next = max(f.next, r+1)
			return r
		}
		return Reg(n)
	}
	for _, line := range strings.Split(strings.TrimSpace(src), "\n") {
		fields := strings.Fields(line)
		if strings.HasPrefix(line, "b") {
			b := &mockBlock{}
			for i := 1; i < len(fields); i++ {
				switch fields[i] {
				case "->":
				case "depth":
					b.depth, _ = strconv.Atoi(fields[i+1])
					i++
				default:
					n, _ := strconv.Atoi(fields[i][1:])
					b.succs = append(b.succs, n)
				}
			}
			f.blocks = append(f.blocks, b)
			continue
		}
		ins := &mockInstr{op: fields[0]}
		defs := true
		for _, tok := range fields[1:] {
			switch {
			case tok == "=":
				defs = false
			case defs:
				ins.defs = append(ins.defs, reg(tok))
			default:
				ins.uses = append(ins.uses, reg(tok))
			}
		}
		b := f.blocks[len(f.blocks)-1]
		b.instrs = append(b.instrs, ins)
	}
	return f
}

func TestAllocateMock(t *testing.T) {
	tests := []struct {
		name, in, want  string
		callee          RegSet
		slots, minRound int
	}{{
		name: "copies coalesce",
		in: `
b0
  mov v0 = r0
  const v2 =
  mov v1 = v0
  add v1 = v1 v2
  mov r0 = v1
  ret = r0`,
		want: `
b0
  const r1 =
  add r0 = r0 r1
  ret = r0`,
	}, {
		name: "a value live across a call takes a callee-saved register",
		in: `
b0
  const v0 =
  const v1 =
  mov r0 = v1
  call r0 = r0
  mov v2 = r0
  add v2 = v2 v0
  mov r0 = v2
  ret = r0`,
		want: `
b0
  const r2 =
  const r0 =
  call r0 = r0
  add r0 = r0 r2
  ret = r0`,
		callee: NewRegSet(2),
	}, {
		name: "a fixed register is avoided while it is busy",
		in: `
b0
  const v0 =
  const v1 =
  mov r1 = v1
  shl v0 = v0 r1
  mov r0 = v0
  ret = r0`,
		want: `
b0
  const r0 =
  const r1 =
  shl r0 = r0 r1
  ret = r0`,
	}, {
		name: "pressure spills the value with the longest idle stretch",
		in: `
b0
  const v0 =
  const v1 =
  const v2 =
  const v3 =
  const v4 =
  use = v1 v2 v3 v4
  use = v1 v2 v3 v4
  use = v0`,
		want: `
b0
  const r0 =
  spill = r0 [s0]
  const r0 =
  const r1 =
  const r2 =
  const r3 =
  use = r0 r1 r2 r3
  use = r0 r1 r2 r3
  reload r0 = [s0]
  use = r0`,
		callee: NewRegSet(2, 3),
		slots:  1,
	}, {
		name: "a loop keeps its induction variable across the back edge",
		in: `
b0 -> b1
  const v0 =
  const v1 =
b1 depth 1 -> b1 b2
  add v0 = v0 v1
  br = v0
b2
  mov r0 = v0
  ret = r0`,
		want: `
b0 -> b1
  const r0 =
  const r1 =
b1 depth 1 -> b1 b2
  add r0 = r0 r1
  br = r0
b2
  ret = r0`,
	}, {
		name: "lifetime holes let two values share a register",
		in: `
b0 -> b1 b2
  const v0 =
  br = v0
b1 -> b3
  const v1 =
  use = v1
  const v2 =
b2 -> b3
  const v2 =
b3
  use = v2`,
		want: `
b0 -> b1 b2
  const r0 =
  br = r0
b1 -> b3
  const r0 =
  use = r0
  const r0 =
b2 -> b3
  const r0 =
b3
  use = r0`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := parseMock(t, tt.in)
			res, err := Allocate(f, mockInfo)
			if err != nil {
				t.Fatal(err)
			}
			got := strings.TrimSpace(f.String())
			if want := strings.TrimSpace(tt.want); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
			if res.UsedCalleeSaved != tt.callee {
				t.Errorf("used callee-saved %v, want %v", res.UsedCalleeSaved.Regs(), tt.callee.Regs())
			}
			if res.SpillSlots != tt.slots {
				t.Errorf("%d spill slots, want %d", res.SpillSlots, tt.slots)
			}
		})
	}
}

func TestAllocateImpossible(t *testing.T) {
	// Five values read by one instruction cannot fit four registers.
	f := parseMock(t, `
b0
  const v0 =
  const v1 =
  const v2 =
  const v3 =
  const v4 =
  use = v0 v1 v2 v3 v4`)
	if _, err := Allocate(f, mockInfo); err == nil {
		t.Fatalf("allocated five simultaneous uses in four registers:\n%s", f)
	}
}
