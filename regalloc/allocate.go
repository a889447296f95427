package regalloc

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// ErrNoRegister is returned when an instruction needs more registers at
// once than the ISA has: the backend's constraints cannot be met.
var ErrNoRegister = errors.New("no register available")

// maxRounds bounds the spill-and-retry loop; reaching it means the
// allocator is broken, since each round spills at least one interval.
const maxRounds = 64

// Allocate assigns a physical register to every virtual register of f,
// spilling where registers run out, and rewrites f's instructions in place.
// See the comment at the top of regalloc.go for the algorithm.
func Allocate(f Function, info *RegisterInfo) (Result, error) {
	a := &allocator{f: f, info: info, slot: map[Reg]int{}, unspillable: map[Reg]bool{}}
	for round := 1; round <= maxRounds; round++ {
		a.number()
		a.liveness()
		a.buildIntervals()
		spilled, err := a.scan()
		if err != nil {
			return Result{}, err
		}
		if len(spilled) == 0 {
			used := a.assign()
			return Result{UsedCalleeSaved: used & info.CalleeSaved, SpillSlots: len(a.slot), Rounds: round}, nil
		}
		a.spill(spilled)
	}
	panic("BUG: register allocation did not converge")
}

// position of instruction k's uses; its defs are at use(k)+1.
func usePos(k int) int { return 2 * k }
func defPos(k int) int { return 2*k + 1 }

// span is a half-open range of positions.
type span struct{ from, to int }

// interval is the life of one virtual register: disjoint spans in
// ascending order.
type interval struct {
	reg    Reg
	spans  []span
	weight float64
	hints  []Reg
	// assigned is the physical register given in this round, or NoReg.
	assigned Reg
	spilled  bool
}

func (iv *interval) start() int { return iv.spans[0].from }
func (iv *interval) end() int   { return iv.spans[len(iv.spans)-1].to }

// intersects reports whether two span lists share a position.
func intersects(a, b []span) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].to <= b[j].from:
			i++
		case b[j].to <= a[i].from:
			j++
		default:
			return true
		}
	}
	return false
}

type allocator struct {
	f    Function
	info *RegisterInfo

	// Per round: the blocks' instructions, the first instruction number
	// of each block, and the liveness of virtual registers (dense indices).
	blocks  [][]Instr
	first   []int
	vregs   []Reg       // dense index -> register
	index   map[Reg]int // register -> dense index
	liveIn  [][]int32   // by block: sorted global indices
	liveOut [][]int32
	globals []int       // global index -> dense index
	ivs     []*interval // by dense index
	fixed   [FirstVirtual][]span

	// Across rounds: the spill slot of each spilled register, and the
	// registers created by spilling, which live for one instruction.
	slot        map[Reg]int
	unspillable map[Reg]bool

	buf []Reg
}

// number collects the instructions and the virtual registers they name,
// in order of first appearance so that dense indices are deterministic.
func (a *allocator) number() {
	n := a.f.NumBlocks()
	a.blocks = make([][]Instr, n)
	a.first = make([]int, n+1)
	a.index = map[Reg]int{}
	a.vregs = a.vregs[:0]
	k := 0
	for b := 0; b < n; b++ {
		a.first[b] = k
		a.blocks[b] = a.f.Block(b).Instrs()
		for _, ins := range a.blocks[b] {
			a.buf = ins.Uses(a.buf[:0])
			a.buf = ins.Defs(a.buf)
			for _, r := range a.buf {
				if r.IsVirtual() {
					if _, ok := a.index[r]; !ok {
						a.index[r] = len(a.vregs)
						a.vregs = append(a.vregs, r)
					}
				}
			}
			k++
		}
	}
	a.first[n] = k
}

// liveness computes live-in and live-out sets by iterating the backward
// data-flow equations to a fixed point over a worklist of blocks. Only
// registers read in some block before that block writes them (upward
// exposed) can be live on entry to any block; most virtual registers are
// defined and used within one block, so the sets range over those
// "global" registers alone, numbered densely in a.globals.
func (a *allocator) liveness() {
	n, nv := len(a.blocks), len(a.vregs)
	// gidx maps a dense register index to its global index, or -1.
	gidx := make([]int32, nv)
	for i := range gidx {
		gidx[i] = -1
	}
	defined := make([]int32, nv) // block+1 that last wrote the register
	genList := make([][]int32, n)
	a.globals = a.globals[:0]
	for b := range a.blocks {
		for _, ins := range a.blocks[b] {
			a.buf = ins.Uses(a.buf[:0])
			for _, r := range a.buf {
				if !r.IsVirtual() {
					continue
				}
				i := a.index[r]
				if defined[i] == int32(b+1) {
					continue
				}
				if gidx[i] < 0 {
					gidx[i] = int32(len(a.globals))
					a.globals = append(a.globals, i)
				}
				genList[b] = append(genList[b], gidx[i])
			}
			a.buf = ins.Defs(a.buf[:0])
			for _, r := range a.buf {
				if r.IsVirtual() {
					defined[a.index[r]] = int32(b + 1)
				}
			}
		}
	}
	// The sets are sorted lists of global indices: few registers are live
	// at any block boundary, whatever the function's size.
	for b := range genList {
		genList[b] = sortedSet(genList[b])
	}
	killedBy := make([]int32, len(a.globals)) // block+1 that writes the register
	kills := make([][]int32, n)
	for b := range a.blocks {
		for _, ins := range a.blocks[b] {
			for _, r := range ins.Defs(a.buf[:0]) {
				if r.IsVirtual() {
					if g := gidx[a.index[r]]; g >= 0 {
						kills[b] = append(kills[b], g)
					}
				}
			}
		}
	}
	a.liveIn = make([][]int32, n)
	a.liveOut = make([][]int32, n)
	preds := make([][]int, n)
	for b := range a.blocks {
		for _, s := range a.f.Block(b).Succs() {
			preds[s] = append(preds[s], b)
		}
	}
	// Blocks whose live-in may have changed, processed last block first
	// (a backward problem converges fastest in reverse layout order).
	queued := make([]bool, n)
	work := make([]int, 0, n)
	for b := 0; b < n; b++ {
		work = append(work, b)
		queued[b] = true
	}
	var out, in []int32
	for len(work) > 0 {
		b := work[len(work)-1]
		work = work[:len(work)-1]
		queued[b] = false
		out = out[:0]
		for _, s := range a.f.Block(b).Succs() {
			out = unionSorted(out, a.liveIn[s])
		}
		a.liveOut[b] = append(a.liveOut[b][:0], out...)
		// in = gen | (out &^ kill)
		for _, g := range kills[b] {
			killedBy[g] = int32(b + 1)
		}
		in = in[:0]
		for _, g := range out {
			if killedBy[g] != int32(b+1) {
				in = append(in, g)
			}
		}
		for _, g := range kills[b] {
			killedBy[g] = 0
		}
		in = unionSorted(in, genList[b])
		if !slices.Equal(in, a.liveIn[b]) {
			a.liveIn[b] = append(a.liveIn[b][:0], in...)
			for _, p := range preds[b] {
				if !queued[p] {
					queued[p] = true
					work = append(work, p)
				}
			}
		}
	}
}

// sortedSet sorts s and removes duplicates.
func sortedSet(s []int32) []int32 {
	slices.Sort(s)
	return slices.Compact(s)
}

// unionSorted returns the union of sorted sets a and b, reusing a's
// storage when it can (the result is built in a scratch slice when b adds
// anything).
func unionSorted(a, b []int32) []int32 {
	if len(b) == 0 {
		return a
	}
	if len(a) == 0 {
		return append(a, b...)
	}
	out := make([]int32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	out = append(out, b[j:]...)
	return append(a[:0], out...)
}

// buildIntervals builds the intervals of virtual registers and the fixed
// ranges of physical ones by walking the code backwards.
func (a *allocator) buildIntervals() {
	a.ivs = make([]*interval, len(a.vregs))
	for i, r := range a.vregs {
		a.ivs[i] = &interval{reg: r, assigned: NoReg}
	}
	for r := range a.fixed {
		a.fixed[r] = a.fixed[r][:0]
	}
	// Spans are prepended while walking backwards; they are collected in
	// descending order and reversed at the end.
	addSpan := func(iv *interval, from, to int) {
		if n := len(iv.spans); n > 0 {
			last := &iv.spans[n-1] // the lowest so far
			if from <= last.to && to >= last.from {
				last.from = min(last.from, from)
				last.to = max(last.to, to)
				return
			}
		}
		iv.spans = append(iv.spans, span{from, to})
	}
	var pending [FirstVirtual]int // physical register: end of its open fixed range, or -1
	for b := len(a.blocks) - 1; b >= 0; b-- {
		from, to := usePos(a.first[b]), usePos(a.first[b+1])
		depth := a.f.Block(b).LoopDepth()
		w := math.Pow(10, float64(min(depth, 6)))
		for _, g := range a.liveOut[b] {
			addSpan(a.ivs[a.globals[g]], from, to)
		}
		for r := range pending {
			pending[r] = -1
		}
		for k := len(a.blocks[b]) - 1; k >= 0; k-- {
			ins := a.blocks[b][k]
			n := a.first[b] + k
			for _, r := range ins.Defs(a.buf[:0]) {
				if r.IsPhysical() {
					end := pending[r]
					if end < 0 {
						end = defPos(n) + 1
					}
					a.fixed[r] = append(a.fixed[r], span{defPos(n), end})
					pending[r] = -1
					continue
				}
				iv := a.ivs[a.index[r]]
				iv.weight += w
				if len(iv.spans) > 0 && iv.spans[len(iv.spans)-1].from <= defPos(n) {
					iv.spans[len(iv.spans)-1].from = defPos(n)
				} else {
					// A def nothing reads still occupies its register.
					addSpan(iv, defPos(n), defPos(n)+1)
				}
			}
			for _, r := range ins.Clobbers().Regs() {
				if pending[r] < 0 {
					a.fixed[r] = append(a.fixed[r], span{defPos(n), defPos(n) + 1})
				}
			}
			for _, r := range ins.Uses(a.buf[:0]) {
				if r.IsPhysical() {
					if pending[r] < 0 {
						pending[r] = defPos(n)
					}
					continue
				}
				iv := a.ivs[a.index[r]]
				iv.weight += w
				addSpan(iv, from, defPos(n))
			}
			if ins.IsCopy() {
				u, d := ins.Uses(a.buf[:0])[0], ins.Defs(a.buf[1:1])[0]
				if u.IsVirtual() {
					iv := a.ivs[a.index[u]]
					iv.hints = append(iv.hints, d)
				}
				if d.IsVirtual() {
					iv := a.ivs[a.index[d]]
					iv.hints = append(iv.hints, u)
				}
			}
		}
		for r, end := range pending {
			if end >= 0 {
				// Live into the block: an argument register at entry.
				a.fixed[r] = append(a.fixed[r], span{from, end})
			}
		}
	}
	for _, iv := range a.ivs {
		slices.Reverse(iv.spans)
		// Hints were collected backwards too; the first copy in code
		// order is the most useful one.
		slices.Reverse(iv.hints)
		if len(iv.spans) > 0 {
			iv.weight /= float64(iv.end() - iv.start())
		}
		if a.unspillable[iv.reg] {
			iv.weight = math.Inf(1)
		}
	}
	for r := range a.fixed {
		slices.Reverse(a.fixed[r])
		a.fixed[r] = mergeSpans(a.fixed[r])
	}
}

// mergeSpans sorts spans and merges overlapping ones.
func mergeSpans(s []span) []span {
	if len(s) < 2 {
		return s
	}
	sort.Slice(s, func(i, j int) bool { return s[i].from < s[j].from })
	out := s[:1]
	for _, x := range s[1:] {
		last := &out[len(out)-1]
		if x.from <= last.to {
			last.to = max(last.to, x.to)
			continue
		}
		out = append(out, x)
	}
	return out
}

// scan assigns registers to intervals in order of their start and returns
// the registers it had to spill, in a deterministic order.
func (a *allocator) scan() ([]Reg, error) {
	order := make([]*interval, 0, len(a.ivs))
	for _, iv := range a.ivs {
		if len(iv.spans) > 0 {
			order = append(order, iv)
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].start() < order[j].start() })

	// held[r] are the intervals assigned to r that may still conflict.
	var held [FirstVirtual][]*interval
	var spilled []Reg
	free := func(r Reg, iv *interval) bool {
		if intersects(a.fixed[r], iv.spans) {
			return false
		}
		for _, h := range held[r] {
			if intersects(h.spans, iv.spans) {
				return false
			}
		}
		return true
	}
	usedCallee := RegSet(0)
	for _, iv := range order {
		// Intervals that ended before this one starts can conflict with
		// nothing that follows.
		for r := range held {
			held[r] = slices.DeleteFunc(held[r], func(h *interval) bool { return h.end() <= iv.start() })
		}
		reg := NoReg
		for _, h := range iv.hints {
			if h.IsVirtual() {
				h = a.ivs[a.index[h]].assigned
			}
			if h != NoReg && a.allocatable(h) && free(h, iv) {
				reg = h
				break
			}
		}
		if reg == NoReg {
			// Caller-saved first (free to use), then callee-saved already
			// saved by the prologue, then the rest.
			for pass := 0; pass < 3 && reg == NoReg; pass++ {
				for _, r := range a.info.Allocatable {
					callee := a.info.CalleeSaved.Has(r)
					ok := (pass == 0 && !callee) || (pass == 1 && callee && usedCallee.Has(r)) || (pass == 2 && callee)
					if ok && free(r, iv) {
						reg = r
						break
					}
				}
			}
		}
		if reg == NoReg {
			// Evict the cheapest set of conflicting intervals if it is
			// cheaper than this one.
			best, bestCost := NoReg, math.Inf(1)
			for _, r := range a.info.Allocatable {
				if intersects(a.fixed[r], iv.spans) {
					continue
				}
				cost := 0.0
				for _, h := range held[r] {
					if intersects(h.spans, iv.spans) {
						cost = max(cost, h.weight)
					}
				}
				if cost < bestCost {
					best, bestCost = r, cost
				}
			}
			if best == NoReg || bestCost >= iv.weight {
				if a.unspillable[iv.reg] {
					return nil, fmt.Errorf("%w: v%d at position %d", ErrNoRegister, iv.reg, iv.start())
				}
				iv.spilled = true
				spilled = append(spilled, iv.reg)
				continue
			}
			held[best] = slices.DeleteFunc(held[best], func(h *interval) bool {
				if intersects(h.spans, iv.spans) {
					h.assigned, h.spilled = NoReg, true
					spilled = append(spilled, h.reg)
					return true
				}
				return false
			})
			reg = best
		}
		iv.assigned = reg
		held[reg] = append(held[reg], iv)
		if a.info.CalleeSaved.Has(reg) {
			usedCallee = usedCallee.Add(reg)
		}
	}
	sort.Slice(spilled, func(i, j int) bool { return spilled[i] < spilled[j] })
	return spilled, nil
}

func (a *allocator) allocatable(r Reg) bool {
	return slices.Contains(a.info.Allocatable, r)
}

// spill gives each register in regs a slot and rewrites every instruction
// that names it to use a fresh register reloaded before or stored after.
func (a *allocator) spill(regs []Reg) {
	// Registers defined once, by an instruction that can be repeated,
	// are recomputed at each use rather than given a slot.
	defs := map[Reg]int{}
	defIns := map[Reg]Instr{}
	for b := range a.blocks {
		for _, ins := range a.blocks[b] {
			for _, r := range ins.Defs(a.buf[:0]) {
				if r.IsVirtual() {
					defs[r]++
					defIns[r] = ins
				}
			}
		}
	}
	remat := map[Reg]Rematerializer{}
	spilled := map[Reg]int{}
	for _, r := range regs {
		if rm, ok := defIns[r].(Rematerializer); ok && defs[r] == 1 && len(defIns[r].Uses(nil)) == 0 && len(defIns[r].Defs(nil)) == 1 {
			if _, ok := rm.Remat(r); ok {
				remat[r] = rm
				continue
			}
		}
		s, ok := a.slot[r]
		if !ok {
			s = len(a.slot)
			a.slot[r] = s
		}
		spilled[r] = s
	}
	for b := range a.blocks {
		var out []Instr
		for _, ins := range a.blocks[b] {
			if rm, ok := ins.(Rematerializer); ok {
				if d := ins.Defs(a.buf[:0]); len(d) == 1 && remat[d[0]] == rm {
					continue // recomputed at each use
				}
			}
			fresh := map[Reg]Reg{}
			var after []Instr
			// Read both operand lists before renaming: in a two-address
			// instruction the use and the def are one operand, and
			// renaming the use would hide the def.
			uses := ins.Uses(nil)
			defs := ins.Defs(nil)
			for i, r := range uses {
				if rm, ok := remat[r]; ok {
					t, ok := fresh[r]
					if !ok {
						t = a.f.NewVReg()
						a.unspillable[t] = true
						fresh[r] = t
						in, _ := rm.Remat(t)
						out = append(out, in)
					}
					ins.AssignUse(i, t)
					continue
				}
				s, ok := spilled[r]
				if !ok {
					continue
				}
				t, ok := fresh[r]
				if !ok {
					t = a.f.NewVReg()
					a.unspillable[t] = true
					fresh[r] = t
					out = append(out, a.f.Reload(t, s))
				}
				ins.AssignUse(i, t)
			}
			for i, r := range defs {
				s, ok := spilled[r]
				if !ok {
					continue
				}
				t, ok := fresh[r]
				if !ok {
					t = a.f.NewVReg()
					a.unspillable[t] = true
					fresh[r] = t
				}
				ins.AssignDef(i, t)
				after = append(after, a.f.Spill(t, s))
			}
			out = append(out, ins)
			out = append(out, after...)
		}
		a.f.Block(b).SetInstrs(out)
	}
}

// assign rewrites every operand to its register, drops copies that became
// moves of a register to itself, and returns the registers written.
func (a *allocator) assign() RegSet {
	var written RegSet
	for b := range a.blocks {
		out := a.blocks[b][:0]
		for _, ins := range a.blocks[b] {
			for i, r := range ins.Uses(a.buf[:0]) {
				if r.IsVirtual() {
					ins.AssignUse(i, a.ivs[a.index[r]].assigned)
				}
			}
			for i, r := range ins.Defs(a.buf[:0]) {
				if r.IsVirtual() {
					r = a.ivs[a.index[r]].assigned
					ins.AssignDef(i, r)
				}
				written = written.Add(r)
			}
			if ins.IsCopy() && ins.Uses(a.buf[:0])[0] == ins.Defs(a.buf[1:1])[0] {
				continue
			}
			out = append(out, ins)
		}
		a.f.Block(b).SetInstrs(out)
	}
	return written
}
