package regalloc

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/bits"
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
	a := &allocator{f: f, info: info, slot: map[Reg]int{}}
	for _, r := range info.Allocatable {
		a.allocatable = a.allocatable.Add(r)
	}
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
func usePos(k int) int32 { return int32(2 * k) }
func defPos(k int) int32 { return int32(2*k + 1) }

// span is a half-open range of positions. Positions fit 32 bits (a
// billion instructions), and spans are the allocator's bulk.
type span struct{ from, to int32 }

// interval is the life of one virtual register: disjoint spans in
// ascending order. It holds no pointers, so that the garbage collector
// need not trace the allocator's intervals nor be told of their updates.
type interval struct {
	reg Reg
	// The spans are the allocator's spanStore[spanAt:spanAt+spanLen],
	// room for spanCap; the hints, operands (see allocator.opnd) copied to
	// or from reg, are hintStore[hintAt:hintAt+hintLen], room for hintCap.
	spanAt, spanLen, spanCap int32
	hintAt, hintLen, hintCap int32
	// start and end are those of the spans, once built.
	start, end int32
	weight     float64
	// assigned is the physical register given in this round, or NoReg.
	assigned Reg
	spilled  bool
}

func (a *allocator) spans(iv *interval) []span {
	return a.spanStore[iv.spanAt : iv.spanAt+iv.spanLen]
}

func (a *allocator) hints(iv *interval) []int32 {
	return a.hintStore[iv.hintAt : iv.hintAt+iv.hintLen]
}

// intersects reports whether two span lists share a position. Either list
// may be long (a register's fixed ranges over the whole function, a
// long-lived interval with many holes): the walk starts at the first span
// of each that does not end before the other list begins, so a test costs
// the overlap of the two, not their lengths.
func intersects(a, b []span) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	i, j := firstEndingAfter(a, b[0].from), firstEndingAfter(b, a[0].from)
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

// firstEndingAfter returns the index of the first span of s that ends
// after pos.
func firstEndingAfter(s []span, pos int32) int {
	lo, hi := 0, len(s)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if s[m].to <= pos {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

type allocator struct {
	f           Function
	info        *RegisterInfo
	allocatable RegSet

	// Per round: each block's instructions (numbered in layout order from
	// first[b]), successors and loop depth as the Function gives them;
	// the liveness of virtual registers (dense indices).
	blocks  [][]Instr
	first   []int
	succs   [][]int
	depth   []int
	vregs   []Reg     // dense index -> register
	index   []int32   // register - FirstVirtual -> dense index, or -1
	liveIn  [][]int32 // by block: sorted global indices
	liveOut [][]int32
	globals []int      // global index -> dense index
	ivs     []interval // by dense index
	fixed   [FirstVirtual][]span
	// spanStore and hintStore hold the intervals' spans and hints.
	spanStore []span
	hintStore []int32

	// Per round, the operands of every instruction, read once through the
	// Instr interface: instruction k's uses are opnd[opStart[k]:opMid[k]]
	// and its defs opnd[opMid[k]:opStart[k+1]], in the order Uses and Defs
	// give them. An operand is a virtual register's dense index, or -1-r
	// for physical register r.
	opnd     []int32
	opStart  []int32
	opMid    []int32
	clobbers []RegSet // by instruction
	isCopy   []bool   // by instruction

	// Across rounds: the spill slot of each spilled register, and the
	// registers created by spilling, which live for one instruction (by
	// register - FirstVirtual).
	slot        map[Reg]int
	unspillable []bool

	buf     []Reg
	scratch []int32
}

func (a *allocator) uses(k int) []int32 { return a.opnd[a.opStart[k]:a.opMid[k]] }
func (a *allocator) defs(k int) []int32 { return a.opnd[a.opMid[k]:a.opStart[k+1]] }

// reg returns the register an operand names.
func (a *allocator) reg(o int32) Reg {
	if o < 0 {
		return Reg(-1 - o)
	}
	return a.vregs[o]
}

// isUnspillable reports whether r was created by spilling.
func (a *allocator) isUnspillable(r Reg) bool {
	i := int(r - FirstVirtual)
	return i < len(a.unspillable) && a.unspillable[i]
}

func (a *allocator) setUnspillable(r Reg) {
	i := int(r - FirstVirtual)
	for len(a.unspillable) <= i {
		a.unspillable = append(a.unspillable, false)
	}
	a.unspillable[i] = true
}

// number collects the instructions, their operands and the virtual
// registers they name, in order of first appearance so that dense indices
// are deterministic.
func (a *allocator) number() {
	n := a.f.NumBlocks()
	a.blocks = sized(a.blocks, n)
	a.succs = sized(a.succs, n)
	a.depth = sized(a.depth, n)
	a.first = sized(a.first, n+1)
	k := 0
	for b := 0; b < n; b++ {
		blk := a.f.Block(b)
		a.blocks[b] = blk.Instrs()
		a.succs[b] = blk.Succs()
		a.depth[b] = blk.LoopDepth()
		a.first[b] = k
		k += len(a.blocks[b])
	}
	a.first[n] = k
	for _, r := range a.vregs {
		a.index[r-FirstVirtual] = -1
	}
	a.vregs = a.vregs[:0]
	// Most instructions have at most three operands.
	a.opnd = sized(a.opnd, 3*k)[:0]
	a.opStart = sized(a.opStart, k+1)[:0]
	a.opMid = sized(a.opMid, k)[:0]
	a.clobbers = sized(a.clobbers, k)[:0]
	a.isCopy = sized(a.isCopy, k)[:0]
	for _, is := range a.blocks {
		for _, ins := range is {
			a.opStart = append(a.opStart, int32(len(a.opnd)))
			a.buf = ins.Uses(a.buf[:0])
			uses := len(a.buf)
			a.buf = ins.Defs(a.buf)
			for j, r := range a.buf {
				if j == uses {
					a.opMid = append(a.opMid, int32(len(a.opnd)))
				}
				a.opnd = append(a.opnd, a.operand(r))
			}
			if uses == len(a.buf) {
				a.opMid = append(a.opMid, int32(len(a.opnd)))
			}
			a.clobbers = append(a.clobbers, ins.Clobbers())
			a.isCopy = append(a.isCopy, ins.IsCopy())
		}
	}
	a.opStart = append(a.opStart, int32(len(a.opnd)))
}

// instr returns instruction k.
func (a *allocator) instr(k int) Instr {
	b := sort.SearchInts(a.first, k+1) - 1
	return a.blocks[b][k-a.first[b]]
}

// sized returns a slice of length n, in s's storage if it is large
// enough, its elements left as they were. New storage has room to spare:
// the next round's code is larger by the spill code.
func sized[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n, n+n/8)
}

// operand returns r's operand code, numbering a virtual register seen for
// the first time.
func (a *allocator) operand(r Reg) int32 {
	if !r.IsVirtual() {
		return -1 - int32(r)
	}
	i := int(r - FirstVirtual)
	for len(a.index) <= i {
		a.index = append(a.index, -1)
	}
	if a.index[i] < 0 {
		a.index[i] = int32(len(a.vregs))
		a.vregs = append(a.vregs, r)
	}
	return a.index[i]
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
	// Per block, the sorted registers it reads before writing them
	// (gen[genAt[b]:genAt[b+1]]) and those it writes (kill[killAt[b]:
	// killAt[b+1]]): one array each for all blocks.
	gen, genAt := make([]int32, 0, len(a.opnd)/2), make([]int32, n+1)
	a.globals = a.globals[:0]
	for b := range a.blocks {
		start := len(gen)
		for k := a.first[b]; k < a.first[b+1]; k++ {
			for _, i := range a.uses(k) {
				if i < 0 || defined[i] == int32(b+1) {
					continue
				}
				if gidx[i] < 0 {
					gidx[i] = int32(len(a.globals))
					a.globals = append(a.globals, int(i))
				}
				gen = append(gen, gidx[i])
			}
			for _, i := range a.defs(k) {
				if i >= 0 {
					defined[i] = int32(b + 1)
				}
			}
		}
		// The sets are sorted lists of global indices.
		gen = append(gen[:start], sortedSet(gen[start:])...)
		genAt[b+1] = int32(len(gen))
	}
	killedBy := make([]int32, len(a.globals)) // block+1 that writes the register
	kill, killAt := make([]int32, 0, len(a.globals)), make([]int32, n+1)
	for b := range a.blocks {
		for k := a.first[b]; k < a.first[b+1]; k++ {
			for _, i := range a.defs(k) {
				if i >= 0 {
					if g := gidx[i]; g >= 0 {
						kill = append(kill, g)
					}
				}
			}
		}
		killAt[b+1] = int32(len(kill))
	}
	a.liveIn = make([][]int32, n)
	a.liveOut = make([][]int32, n)
	// The predecessors of b are preds[predAt[b]:predAt[b+1]].
	predAt := make([]int32, n+1)
	for b := range a.blocks {
		for _, s := range a.succs[b] {
			predAt[s+1]++
		}
	}
	for b := range n {
		predAt[b+1] += predAt[b]
	}
	preds := make([]int32, predAt[n])
	next := slices.Clone(predAt[:n])
	for b := range a.blocks {
		for _, s := range a.succs[b] {
			preds[next[s]] = int32(b)
			next[s]++
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
		for _, s := range a.succs[b] {
			out = a.unionSorted(out, a.liveIn[s])
		}
		a.liveOut[b] = append(a.liveOut[b][:0], out...)
		// in = gen | (out &^ kill)
		kills := kill[killAt[b]:killAt[b+1]]
		for _, g := range kills {
			killedBy[g] = int32(b + 1)
		}
		in = in[:0]
		for _, g := range out {
			if killedBy[g] != int32(b+1) {
				in = append(in, g)
			}
		}
		for _, g := range kills {
			killedBy[g] = 0
		}
		in = a.unionSorted(in, gen[genAt[b]:genAt[b+1]])
		if !slices.Equal(in, a.liveIn[b]) {
			a.liveIn[b] = append(a.liveIn[b][:0], in...)
			for _, p := range preds[predAt[b]:predAt[b+1]] {
				if !queued[p] {
					queued[p] = true
					work = append(work, int(p))
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

// unionSorted returns the union of sorted sets x and y in x's storage,
// merging through a scratch slice the allocator keeps.
func (a *allocator) unionSorted(x, y []int32) []int32 {
	if len(y) == 0 {
		return x
	}
	if len(x) == 0 {
		return append(x, y...)
	}
	out := a.scratch[:0]
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] < y[j]:
			out = append(out, x[i])
			i++
		case x[i] > y[j]:
			out = append(out, y[j])
			j++
		default:
			out = append(out, x[i])
			i++
			j++
		}
	}
	out = append(out, x[i:]...)
	out = append(out, y[j:]...)
	a.scratch = out
	return append(x[:0], out...)
}

// buildIntervals builds the intervals of virtual registers and the fixed
// ranges of physical ones by walking the code backwards.
func (a *allocator) buildIntervals() {
	// Each use and def of an interval adds at most one span, and so does
	// each block it is live out of, unless it is live into the next block
	// too (the two spans are one); each copy adds at most one hint. All
	// intervals' spans and hints are carved out of two arrays sized by
	// those counts.
	nv := len(a.vregs)
	bound := make([]int32, 2*nv) // spans, then hints, by dense index
	for _, o := range a.opnd {
		if o >= 0 {
			bound[o]++
		}
	}
	for b, live := range a.liveOut {
		var next []int32
		if b+1 < len(a.liveIn) {
			next = a.liveIn[b+1]
		}
		for _, g := range live {
			for len(next) > 0 && next[0] < g {
				next = next[1:]
			}
			if len(next) == 0 || next[0] != g {
				bound[a.globals[g]]++
			}
		}
	}
	for k, c := range a.isCopy {
		if c {
			if u := a.uses(k)[0]; u >= 0 {
				bound[nv+int(u)]++
			}
			if d := a.defs(k)[0]; d >= 0 {
				bound[nv+int(d)]++
			}
		}
	}
	spans, hints := 0, 0
	for i := range nv {
		spans += int(bound[i])
		hints += int(bound[nv+i])
	}
	a.spanStore = sized(a.spanStore, spans)
	a.hintStore = sized(a.hintStore, hints)
	a.ivs = sized(a.ivs, nv)
	spans, hints = 0, 0
	for i, r := range a.vregs {
		a.ivs[i] = interval{reg: r, spanAt: int32(spans), spanCap: bound[i], hintAt: int32(hints), hintCap: bound[nv+i], assigned: NoReg}
		spans += int(bound[i])
		hints += int(bound[nv+i])
	}
	for r := range a.fixed {
		a.fixed[r] = a.fixed[r][:0]
	}
	// Spans are prepended while walking backwards; they are collected in
	// descending order and reversed at the end.
	addSpan := func(iv *interval, from, to int32) {
		if iv.spanLen > 0 {
			last := &a.spanStore[iv.spanAt+iv.spanLen-1] // the lowest so far
			if from <= last.to && to >= last.from {
				last.from = min(last.from, from)
				last.to = max(last.to, to)
				return
			}
		}
		if iv.spanLen == iv.spanCap {
			panic(fmt.Sprintf("BUG: v%d has more spans than uses, defs and live-out blocks", iv.reg))
		}
		a.spanStore[iv.spanAt+iv.spanLen] = span{from, to}
		iv.spanLen++
	}
	addHint := func(iv *interval, o int32) {
		if iv.hintLen == iv.hintCap {
			panic(fmt.Sprintf("BUG: v%d has more hints than copies", iv.reg))
		}
		a.hintStore[iv.hintAt+iv.hintLen] = o
		iv.hintLen++
	}
	var pending [FirstVirtual]int32 // physical register: end of its open fixed range, or -1
	for b := len(a.blocks) - 1; b >= 0; b-- {
		from, to := usePos(a.first[b]), usePos(a.first[b+1])
		w := math.Pow(10, float64(min(a.depth[b], 6)))
		for _, g := range a.liveOut[b] {
			addSpan(&a.ivs[a.globals[g]], from, to)
		}
		for r := range pending {
			pending[r] = -1
		}
		for n := a.first[b+1] - 1; n >= a.first[b]; n-- {
			for _, o := range a.defs(n) {
				if o < 0 {
					r := a.reg(o)
					end := pending[r]
					if end < 0 {
						end = defPos(n) + 1
					}
					a.fixed[r] = append(a.fixed[r], span{defPos(n), end})
					pending[r] = -1
					continue
				}
				iv := &a.ivs[o]
				iv.weight += w
				if iv.spanLen > 0 && a.spanStore[iv.spanAt+iv.spanLen-1].from <= defPos(n) {
					a.spanStore[iv.spanAt+iv.spanLen-1].from = defPos(n)
				} else {
					// A def nothing reads still occupies its register.
					addSpan(iv, defPos(n), defPos(n)+1)
				}
			}
			// The clobbered registers in ascending order.
			for c := a.clobbers[n]; c != 0; c &= c - 1 {
				r := bits.TrailingZeros64(uint64(c))
				if pending[r] < 0 {
					a.fixed[r] = append(a.fixed[r], span{defPos(n), defPos(n) + 1})
				}
			}
			for _, o := range a.uses(n) {
				if o < 0 {
					if r := a.reg(o); pending[r] < 0 {
						pending[r] = defPos(n)
					}
					continue
				}
				iv := &a.ivs[o]
				iv.weight += w
				addSpan(iv, from, defPos(n))
			}
			if a.isCopy[n] {
				u, d := a.uses(n)[0], a.defs(n)[0]
				if u >= 0 {
					addHint(&a.ivs[u], d)
				}
				if d >= 0 {
					addHint(&a.ivs[d], u)
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
	for i := range a.ivs {
		iv := &a.ivs[i]
		spans := a.spans(iv)
		slices.Reverse(spans)
		// Hints were collected backwards too; the first copy in code
		// order is the most useful one.
		slices.Reverse(a.hints(iv))
		if len(spans) > 0 {
			iv.start, iv.end = spans[0].from, spans[len(spans)-1].to
			iv.weight /= float64(iv.end - iv.start)
		}
		if a.isUnspillable(iv.reg) {
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
	for i := range a.ivs {
		if a.ivs[i].spanLen > 0 {
			order = append(order, &a.ivs[i])
		}
	}
	slices.SortStableFunc(order, func(x, y *interval) int { return cmp.Compare(x.start, y.start) })

	// held[r] are the intervals assigned to r that may still conflict.
	// One that ended before the current interval starts conflicts with
	// nothing that follows; such intervals are dropped when r is next
	// looked at rather than for every register at every interval.
	var held [FirstVirtual][]*interval
	var spilled []Reg
	holders := func(r Reg, iv *interval) []*interval {
		start := iv.start
		held[r] = slices.DeleteFunc(held[r], func(h *interval) bool { return h.end <= start })
		return held[r]
	}
	free := func(r Reg, iv *interval) bool {
		spans := a.spans(iv)
		if intersects(a.fixed[r], spans) {
			return false
		}
		for _, h := range holders(r, iv) {
			if intersects(a.spans(h), spans) {
				return false
			}
		}
		return true
	}
	usedCallee := RegSet(0)
	for _, iv := range order {
		reg := NoReg
		for _, o := range a.hints(iv) {
			h := a.reg(o)
			if o >= 0 {
				h = a.ivs[o].assigned
			}
			if h != NoReg && a.allocatable.Has(h) && free(h, iv) {
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
				if intersects(a.fixed[r], a.spans(iv)) {
					continue
				}
				cost := 0.0
				for _, h := range holders(r, iv) {
					if intersects(a.spans(h), a.spans(iv)) {
						cost = max(cost, h.weight)
					}
				}
				if cost < bestCost {
					best, bestCost = r, cost
				}
			}
			if best == NoReg || bestCost >= iv.weight {
				if a.isUnspillable(iv.reg) {
					return nil, fmt.Errorf("%w: v%d at position %d", ErrNoRegister, iv.reg, iv.start)
				}
				iv.spilled = true
				spilled = append(spilled, iv.reg)
				continue
			}
			held[best] = slices.DeleteFunc(held[best], func(h *interval) bool {
				if intersects(a.spans(h), a.spans(iv)) {
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
	slices.Sort(spilled)
	return spilled, nil
}

// spill gives each register in regs a slot and rewrites every instruction
// that names it to use a fresh register reloaded before or stored after.
func (a *allocator) spill(regs []Reg) {
	// Registers defined once, by an instruction that can be repeated,
	// are recomputed at each use rather than given a slot. By dense index:
	// the number of definitions and the last defining instruction.
	defs := make([]int32, len(a.vregs))
	defAt := make([]int32, len(a.vregs))
	for k := range a.first[len(a.blocks)] {
		for _, o := range a.defs(k) {
			if o >= 0 {
				defs[o]++
				defAt[o] = int32(k)
			}
		}
	}
	// By dense index: the instruction recomputing a register, or the slot
	// of a spilled one (-1 if neither).
	remat := make([]Rematerializer, len(a.vregs))
	slot := make([]int32, len(a.vregs))
	for i := range slot {
		slot[i] = -1
	}
	for _, r := range regs {
		i := a.index[r-FirstVirtual]
		if defs[i] == 1 {
			k := int(defAt[i])
			if rm, ok := a.instr(k).(Rematerializer); ok && len(a.uses(k)) == 0 && len(a.defs(k)) == 1 {
				if _, ok := rm.Remat(r); ok {
					remat[i] = rm
					continue
				}
			}
		}
		s, ok := a.slot[r]
		if !ok {
			s = len(a.slot)
			a.slot[r] = s
		}
		slot[i] = int32(s)
	}
	// fresh pairs a rewritten register with its replacement within one
	// instruction.
	type pair struct{ old, new Reg }
	var fresh []pair
	freshFor := func(r Reg) (Reg, bool) {
		for _, p := range fresh {
			if p.old == r {
				return p.new, true
			}
		}
		return NoReg, false
	}
	touched := func(b int) bool {
		for _, o := range a.opnd[a.opStart[a.first[b]]:a.opStart[a.first[b+1]]] {
			if o >= 0 && (remat[o] != nil || slot[o] >= 0) {
				return true
			}
		}
		return false
	}
	var after []Instr
	for b := range a.blocks {
		if !touched(b) {
			continue // most blocks name no spilled register
		}
		out := make([]Instr, 0, len(a.blocks[b]))
		for j, ins := range a.blocks[b] {
			k := a.first[b] + j
			uses, defs := a.uses(k), a.defs(k)
			if rm, ok := ins.(Rematerializer); ok && len(defs) == 1 && defs[0] >= 0 && remat[defs[0]] == rm {
				continue // recomputed at each use
			}
			fresh, after = fresh[:0], after[:0]
			for i, o := range uses {
				if o < 0 {
					continue
				}
				r := a.vregs[o]
				if rm := remat[o]; rm != nil {
					t, ok := freshFor(r)
					if !ok {
						t = a.f.NewVReg()
						a.setUnspillable(t)
						fresh = append(fresh, pair{r, t})
						in, _ := rm.Remat(t)
						out = append(out, in)
					}
					ins.AssignUse(i, t)
					continue
				}
				s := slot[o]
				if s < 0 {
					continue
				}
				t, ok := freshFor(r)
				if !ok {
					t = a.f.NewVReg()
					a.setUnspillable(t)
					fresh = append(fresh, pair{r, t})
					out = append(out, a.f.Reload(t, int(s)))
				}
				ins.AssignUse(i, t)
			}
			for i, o := range defs {
				if o < 0 || slot[o] < 0 {
					continue
				}
				r := a.vregs[o]
				t, ok := freshFor(r)
				if !ok {
					t = a.f.NewVReg()
					a.setUnspillable(t)
					fresh = append(fresh, pair{r, t})
				}
				ins.AssignDef(i, t)
				after = append(after, a.f.Spill(t, int(slot[o])))
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
		for j, ins := range a.blocks[b] {
			k := a.first[b] + j
			for i, o := range a.uses(k) {
				if o >= 0 {
					ins.AssignUse(i, a.ivs[o].assigned)
				}
			}
			for i, o := range a.defs(k) {
				r := a.reg(o)
				if o >= 0 {
					r = a.ivs[o].assigned
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
