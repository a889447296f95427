package regalloc

import (
	"math/rand"
	"testing"
)

// TestAllocatePreservesMeaning allocates random mock programs under high
// register pressure, with calls, fixed registers, loops and two-address
// instructions, and runs them before and after allocation along the same
// path of blocks: every "use" must observe the same values.
func TestAllocatePreservesMeaning(t *testing.T) {
	for seed := int64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewSource(seed))
		f := randomMock(rng)
		path := randomPath(rng, f)
		before := f.String()
		want := runMock(t, f, path)
		if _, err := Allocate(f, mockInfo); err != nil {
			t.Fatalf("seed %d: %v\n%s", seed, err, before)
		}
		for _, b := range f.blocks {
			for _, ins := range b.instrs {
				for _, r := range append(ins.Uses(nil), ins.Defs(nil)...) {
					if r.IsVirtual() {
						t.Fatalf("seed %d: virtual register left in %v", seed, ins)
					}
				}
			}
		}
		got := runMock(t, f, path)
		if len(got) != len(want) {
			t.Fatalf("seed %d: %d observations, want %d", seed, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("seed %d: observation %d is %#x, want %#x\nbefore:\n%s\nafter:\n%s", seed, i, got[i], want[i], before, f)
			}
		}
	}
}

// randomMock builds blocks b0..bn-1 in a chain with some back edges. b0
// defines every virtual register so that each is defined on every path.
func randomMock(rng *rand.Rand) *mockFunc {
	f := &mockFunc{next: FirstVirtual}
	nv := 3 + rng.Intn(8)
	vs := make([]Reg, nv)
	for i := range vs {
		vs[i] = f.NewVReg()
	}
	v := func() Reg { return vs[rng.Intn(nv)] }
	nb := 1 + rng.Intn(5)
	for b := 0; b < nb; b++ {
		bl := &mockBlock{}
		if b+1 < nb {
			bl.succs = append(bl.succs, b+1)
		}
		if b > 0 && rng.Intn(3) == 0 {
			back := 1 + rng.Intn(b)
			bl.succs = append(bl.succs, back)
		}
		f.blocks = append(f.blocks, bl)
	}
	for _, r := range vs {
		f.blocks[0].instrs = append(f.blocks[0].instrs, &mockInstr{op: "const", defs: []Reg{r}, slot: rng.Int()})
	}
	for _, bl := range f.blocks {
		for n := rng.Intn(12); n > 0; n-- {
			var ins []Instr
			switch rng.Intn(6) {
			case 0:
				ins = append(ins, &mockInstr{op: "const", defs: []Reg{v()}, slot: rng.Int()})
			case 1:
				d := v()
				ins = append(ins, &mockInstr{op: "add", defs: []Reg{d}, uses: []Reg{d, v()}, tied: true})
			case 2:
				ins = append(ins, &mockInstr{op: "mov", defs: []Reg{v()}, uses: []Reg{v()}})
			case 3:
				ins = append(ins,
					&mockInstr{op: "mov", defs: []Reg{0}, uses: []Reg{v()}},
					&mockInstr{op: "call", defs: []Reg{0}, uses: []Reg{0}},
					&mockInstr{op: "mov", defs: []Reg{v()}, uses: []Reg{0}})
			case 4:
				d := v()
				ins = append(ins,
					&mockInstr{op: "mov", defs: []Reg{1}, uses: []Reg{v()}},
					&mockInstr{op: "shl", defs: []Reg{d}, uses: []Reg{d, 1}, tied: true})
			default:
				ins = append(ins, &mockInstr{op: "use", uses: []Reg{v(), v()}})
			}
			bl.instrs = append(bl.instrs, ins...)
		}
		bl.instrs = append(bl.instrs, &mockInstr{op: "use", uses: []Reg{v()}})
	}
	for i, bl := range f.blocks {
		for _, s := range bl.succs {
			if s <= i {
				for k := s; k <= i; k++ {
					f.blocks[k].depth++
				}
			}
		}
	}
	return f
}

// randomPath walks from b0 along successors, taking each back edge a few
// times, until a block without successors.
func randomPath(rng *rand.Rand, f *mockFunc) []int {
	path := []int{0}
	for b := 0; len(f.blocks[b].succs) > 0 && len(path) < 40; {
		s := f.blocks[b].succs
		b = s[rng.Intn(len(s))]
		path = append(path, b)
	}
	return path
}

// runMock executes f along path and returns what the "use" instructions
// saw. Operations mix their inputs with their position, so a wrong register
// or a lost spill changes some observation.
func runMock(t *testing.T, f *mockFunc, path []int) []uint64 {
	t.Helper()
	regs := map[Reg]uint64{}
	slots := map[int]uint64{}
	var seen []uint64
	mix := func(x, y uint64) uint64 { return (x^0x9e3779b97f4a7c15)*0x100000001b3 + y }
	for step, b := range path {
		for _, in := range f.blocks[b].instrs {
			ins := in.(*mockInstr)
			switch ins.op {
			case "const":
				// slot holds a constant chosen at generation.
				regs[ins.defs[0]] = mix(uint64(ins.slot), uint64(step))
			case "add", "shl":
				regs[ins.Defs(nil)[0]] = mix(regs[ins.uses[0]], regs[ins.uses[1]])
			case "mov":
				regs[ins.defs[0]] = regs[ins.uses[0]]
			case "call":
				regs[0] = mix(regs[0], 7)
				regs[1] = 0xdead // clobbered
			case "reload":
				regs[ins.defs[0]] = slots[ins.slot]
			case "spill":
				slots[ins.slot] = regs[ins.uses[0]]
			case "use":
				for _, r := range ins.uses {
					seen = append(seen, regs[r])
				}
			default:
				t.Fatalf("unknown mock op %q", ins.op)
			}
		}
	}
	return seen
}
