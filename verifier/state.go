package verifier

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Kind is the type of a register or stack cell.
type Kind uint8

const (
	// Uninit is a register or byte never written on some path.
	Uninit Kind = iota
	// Scalar is a number.
	Scalar
	// Ctx points into the program's context.
	Ctx
	// Stack points into a frame's 512-byte stack.
	Stack
	// Packet points into packet data, offset relative to its first byte.
	Packet
	// PacketEnd points one past the packet's last byte.
	PacketEnd
	// PacketMeta points into the metadata before the packet.
	PacketMeta
	// MapPtr is a map (the address an lddw of a map gives).
	MapPtr
	// Shared points into memory of a known size the program shares with
	// the runtime: a map value, a global section, helper-allocated memory.
	Shared
	// Unknown is initialised but of no single type (a join of different
	// types, a partly overwritten pointer, arithmetic on a pointer that
	// has no meaning): it may be copied and spilled but not used.
	Unknown
)

var kindNames = [...]string{"uninit", "scalar", "ctx", "stack", "packet", "packet_end", "packet_meta", "map", "shared", "unknown"}

func (k Kind) String() string { return kindNames[k] }

// isPointer reports whether values of kind k are addresses the program
// must not leak.
func (k Kind) isPointer() bool { return k >= Ctx && k <= Shared }

// MaxPacketSize is the largest packet (linear data from data to data_end)
// a runtime delivers: 64 KiB, the limit of IP packets and of PREVAIL's and
// Linux's models. It bounds the offset of a pointer proven to be before
// data_end, nothing else: every access still needs its own proof.
const MaxPacketSize = 0xffff

// noRange marks a packet pointer with no proven distance to the packet's end.
const noRange = math.MinInt64

// Value is the abstract value of a register or spilled stack slot.
type Value struct {
	Kind Kind
	// Num is the number of a scalar, or the offset of a pointer into its
	// region (stack offsets count from the frame's bottom: r10 is 512).
	Num Num
	// ID relates values copied from one another: scalars with the same
	// non-zero ID are equal, packet pointers with the same ID differ by the
	// difference of their Delta, nullable pointers with the same ID are null
	// together. IDs are assigned by the instruction that creates the
	// relation, and a new relation from the same instruction first erases
	// the old one (see State.freshID), so within one state an ID always
	// names one run-time quantity.
	ID    int32
	Delta int64
	// G is a ghost ID naming "the value of one location at the head of
	// the loop being iterated" (see termination.go and iv.go); a value
	// with ghost G is that value plus GD (mod 2^64). Adding constants
	// keeps it; anything else clears it.
	G  int32
	GD int64
	// GW32 says the ghost relation holds modulo 2^32 only (a 32-bit
	// addition that may have wrapped); GDiv > 1 says the value is the
	// ghost's value divided by GDiv (GD is then 0). The termination check
	// uses both where the back edge proves them a decrease.
	GW32 bool
	GDiv uint64
	// Range is, for a packet pointer, how many bytes past it are proven to
	// lie before the packet's end (noRange if none); see State.PacketMin
	// for pointers at constant offsets.
	Range int64
	// Bounded, on a scalar, says that its value (as an unsigned integer)
	// plus Slack is at most the packet's length: the scalar is an index
	// checked against data_end, and data + it has Slack bytes before
	// data_end. A constant is bounded so by State.PacketMin too.
	Bounded bool
	Slack   int64
	// Null marks a Shared pointer that may be null (a map lookup's result
	// before its null check).
	Null bool
	// Size is the size of a Shared region; Map is the module map index of
	// a MapPtr or of the map whose value a Shared pointer points to (-1 for
	// other memory).
	Size int64
	Map  int
	// ReadOnly marks a Shared region the program may not write.
	ReadOnly bool
	// Frame is the call frame a Stack pointer points into (0 = entry).
	Frame int
	// Trunc, on an Unknown, says it is the low 32 bits of a pointer of
	// kind Trunc described by the other fields (a 32-bit move of a
	// pointer): not usable, but the 32-bit difference of two such values
	// in one region is a number (clang computes (u32)(end - data) so).
	Trunc Kind
	// TruncAt is the instruction that truncated it (see
	// analyzer.truncUsed).
	TruncAt int32
	// Seg, on a number or a stack pointer, is an array segment its value
	// ends (segment.go): stack bytes [Seg.Lo, Seg.Base + value) hold
	// numbers.
	Seg seg
}

func uninit() Value { return Value{Kind: Uninit} }

func scalar(n Num) Value { return Value{Kind: Scalar, Num: n} }

func unknown() Value { return Value{Kind: Unknown} }

func (v Value) String() string {
	switch v.Kind {
	case Uninit, Unknown, PacketEnd:
		if v.Kind == PacketEnd && !(v.Num.IsConst() && v.Num.UMin == 0) {
			return fmt.Sprintf("packet_end+%s", v.Num)
		}
		return v.Kind.String()
	case Scalar:
		return v.Num.String()
	case MapPtr:
		return fmt.Sprintf("map#%d", v.Map)
	}
	s := fmt.Sprintf("%s+%s", v.Kind, v.Num)
	switch v.Kind {
	case Stack:
		s = fmt.Sprintf("stack+%s", v.Num)
		if v.Frame > 0 {
			s = fmt.Sprintf("stack%d+%s", v.Frame, v.Num)
		}
	case Shared:
		s = fmt.Sprintf("shared+%s size %d", v.Num, v.Size)
		if v.Null {
			s += " or null"
		}
	case Packet:
		if v.Range != noRange {
			s += fmt.Sprintf(" range %d", v.Range)
		}
	}
	return s
}

// eq reports whether two values are the same abstract value.
func (v Value) eq(w Value) bool { return v == w }

// joinValue is the least upper bound of two values. Relations (IDs) survive
// only where both sides have the same one.
func joinValue(a, b Value, widen bool) Value { return joinValueT(a, b, widen, nil) }

// ghostW32Compatible reports whether a and b's ghost relations agree on
// wrapping: both exact or both modulo 2^32, or an exact one whose value is
// below 2^32, which is then low32(ghost + GD) too.
func ghostW32Compatible(a, b Value) bool {
	switch {
	case a.GW32 == b.GW32:
		return true
	case a.GW32:
		return b.Num.UMax <= math.MaxUint32
	}
	return a.Num.UMax <= math.MaxUint32
}

// slackOf is the proven slack of scalar v in a state whose PacketMin is
// pmin (see Value.Bounded), and whether there is one.
func slackOf(v Value, pmin int64) (int64, bool) {
	s, ok := v.Slack, v.Bounded
	if v.Num.IsConst() && v.Num.UMin < 1<<40 && pmin > 0 {
		if c := pmin - int64(v.Num.UMin); !ok || c > s {
			s, ok = c, true
		}
	}
	return s, ok
}

// joinValuesIn joins values of states whose PacketMins are pa and pb:
// a constant index on one side is as bounded as that side's PacketMin
// makes it.
func joinValuesIn(a, b Value, pa, pb int64, widen bool, th *thresholds) Value {
	r := joinValueT(a, b, widen, th)
	if r.Kind == Scalar {
		sa, oka := slackOf(a, pa)
		sb, okb := slackOf(b, pb)
		r.Bounded, r.Slack = oka && okb && !(widen && sb < sa), min(sa, sb)
		if !r.Bounded {
			r.Slack = 0
		}
	}
	return r
}

func joinValueT(a, b Value, widen bool, th *thresholds) Value {
	if a.Kind == Uninit || b.Kind == Uninit {
		return uninit()
	}
	if a.Kind != b.Kind {
		return unknown()
	}
	r := a
	switch a.Kind {
	case Unknown:
		if a.Trunc == 0 || b.Trunc == 0 {
			return unknown()
		}
		pa, pb := a, b
		pa.Kind, pb.Kind = a.Trunc, b.Trunc
		pa.Trunc, pb.Trunc = 0, 0
		j := joinValueT(pa, pb, widen, th)
		if j.Kind == Unknown || j.Kind == Uninit {
			return unknown()
		}
		j.Trunc, j.Kind = j.Kind, Unknown
		return j
	case MapPtr:
		if a.Map != b.Map {
			return unknown()
		}
		return a
	case Stack:
		if a.Frame != b.Frame {
			return unknown()
		}
	case Shared:
		if a.Size != b.Size || a.ReadOnly != b.ReadOnly {
			return unknown()
		}
		if a.Map != b.Map {
			r.Map = -1
		}
		r.Null = a.Null || b.Null
	}
	if widen {
		r.Num = a.Num.widenT(b.Num, th)
	} else {
		r.Num = a.Num.Join(b.Num)
	}
	if a.ID != b.ID || a.Delta != b.Delta {
		r.ID, r.Delta = 0, 0
	}
	if a.G != b.G || a.GD != b.GD || a.GDiv != b.GDiv || !ghostW32Compatible(a, b) {
		r.G, r.GD, r.GW32, r.GDiv = 0, 0, false, 0
	}
	r.GW32 = r.G != 0 && (a.GW32 || b.GW32)
	if a.Seg != b.Seg {
		r.Seg = seg{} // joinT decides, with both states' tags
	}
	// Either side's pointer is followed by its own proven bytes, so the
	// join by the fewer of them.
	r.Range = min(a.Range, b.Range)
	if widen && b.Range < a.Range {
		// A pointer walking the packet loses range on every iteration:
		// extrapolate to none, which keeps the chain finite.
		r.Range = noRange
	}
	return r
}

// Frame is one activation of a function.
type Frame struct {
	// Fn is the index into Program.Funcs of the function running.
	Fn   int
	Regs [11]Value
	// Stack is the frame's 512 bytes.
	Stack StackMem
}

// StackSize is the size of one frame's stack.
const StackSize = 512

// Byte tags of a stack.
const (
	byteUninit = iota
	byteScalar
	// byteOther is initialised but maybe not a number: part of a spilled
	// pointer, or a byte that may or may not have been overwritten by a
	// number.
	byteOther
)

// cell is a value spilled to the stack whole, which a load of the same
// offset and size gets back exactly (pointers survive only this way).
type cell struct {
	Off, Size int
	V         Value
}

// StackMem is the abstract content of a stack: one tag per byte, plus the
// values spilled whole.
type StackMem struct {
	Tags  [StackSize]uint8
	Cells []cell
}

// State is the abstract state at one program point.
type State struct {
	Frames []*Frame
	// PacketMin is a proven lower bound on the packet's length: every
	// packet pointer with ID 0 (a constant offset from data) may access
	// [off, PacketMin).
	PacketMin int64
	// MetaMin is a proven lower bound on data - data_meta.
	MetaMin int64
	// PktRel holds packet facts about relation IDs: {X, r} says that a
	// packet pointer with ID X and Delta e has r-e bytes before data_end
	// (data + Y_X + r <= data_end, Y_X being the quantity X names). The
	// fact holds whether or not such a pointer exists yet: a check made
	// on a scalar (i + 4 <= end - data) bounds data + i computed later.
	PktRel []idRange
}

// idRange is one PktRel fact.
type idRange struct {
	ID    int32
	Range int64
}

// pktLenID is the relation ID of the packet's length: a scalar with this
// ID and Delta k equals data_end - data + k.
const pktLenID = math.MaxInt32

// pktRel returns the PktRel fact of ID id, or noRange.
func (s *State) pktRel(id int32) int64 {
	if id == pktLenID {
		// data + (data_end - data) + 0 <= data_end.
		return 0
	}
	for _, f := range s.PktRel {
		if f.ID == id {
			return f.Range
		}
	}
	return noRange
}

// addPktRel records "data + Y_id + r <= data_end", and applies it to the
// packet pointers with that ID.
func (s *State) addPktRel(id int32, r int64) {
	if id == 0 || id == pktLenID || r == noRange {
		return
	}
	found := false
	for k := range s.PktRel {
		if s.PktRel[k].ID == id {
			found = true
			if s.PktRel[k].Range >= r {
				return
			}
			s.PktRel[k].Range = r
		}
	}
	if !found {
		s.PktRel = append(s.PktRel, idRange{id, r})
	}
	s.forEachValue(func(v *Value) {
		if v.Kind == Packet && v.ID == id {
			v.Range = max(v.Range, r-v.Delta)
		}
	})
}

func (s *State) top() *Frame { return s.Frames[len(s.Frames)-1] }

// clone copies s deeply enough that the copy can be changed alone.
func (s *State) clone() *State {
	c := &State{PacketMin: s.PacketMin, MetaMin: s.MetaMin, Frames: make([]*Frame, len(s.Frames)),
		PktRel: slices.Clone(s.PktRel)}
	for i, f := range s.Frames {
		nf := *f
		nf.Stack.Cells = slices.Clone(f.Stack.Cells)
		c.Frames[i] = &nf
	}
	return c
}

// forEachValue calls fn on every register and spilled value of s.
func (s *State) forEachValue(fn func(v *Value)) {
	for _, f := range s.Frames {
		for r := range f.Regs {
			fn(&f.Regs[r])
		}
		for i := range f.Stack.Cells {
			fn(&f.Stack.Cells[i].V)
		}
	}
}

// freshID returns the ID an instruction gives the relation it creates, after
// erasing the relation that ID named before (a previous run of the same
// instruction, in a loop), so that one ID names one quantity.
func (s *State) freshID(insn int) int32 {
	id := int32(insn + 1)
	s.PktRel = slices.DeleteFunc(s.PktRel, func(f idRange) bool { return f.ID == id })
	s.forEachValue(func(v *Value) {
		if v.ID == id {
			v.ID, v.Delta = 0, 0
			if v.Kind == Packet {
				v.Range = noRange
			}
		}
	})
	return id
}

// join merges b into a copy of a; widen extrapolates growing numbers.
func join(a, b *State, widen bool) *State {
	return joinT(a, b, widen, nil)
}

// joinT is join with the program's widening thresholds.
func joinT(a, b *State, widen bool, th *thresholds) *State {
	if a == nil {
		return b.clone()
	}
	if b == nil {
		return a.clone()
	}
	if len(a.Frames) != len(b.Frames) {
		panic("BUG: joining states of different call depths")
	}
	r := &State{PacketMin: min(a.PacketMin, b.PacketMin), MetaMin: min(a.MetaMin, b.MetaMin)}
	for _, f := range a.PktRel {
		if g := b.pktRel(f.ID); g != noRange {
			if widen && g < f.Range {
				continue
			}
			r.PktRel = append(r.PktRel, idRange{f.ID, min(f.Range, g)})
		}
	}
	for i := range a.Frames {
		fa, fb := a.Frames[i], b.Frames[i]
		f := &Frame{Fn: fa.Fn}
		for k := range f.Regs {
			f.Regs[k] = joinValuesIn(fa.Regs[k], fb.Regs[k], a.PacketMin, b.PacketMin, widen, th)
			f.Regs[k].Seg = joinSeg(f.Regs[k], fa.Regs[k], fb.Regs[k], a, b, widen)
		}
		for k := range f.Stack.Tags {
			ta, tb := fa.Stack.Tags[k], fb.Stack.Tags[k]
			switch {
			case ta == tb:
				f.Stack.Tags[k] = ta
			case ta == byteUninit || tb == byteUninit:
				f.Stack.Tags[k] = byteUninit
			default:
				f.Stack.Tags[k] = byteOther
			}
		}
		// Both cell lists are sorted by offset: one merge pass.
		cb := fb.Stack.Cells
		for _, ca := range fa.Stack.Cells {
			for len(cb) > 0 && cb[0].Off < ca.Off {
				cb = cb[1:]
			}
			if len(cb) == 0 {
				break
			}
			if cb[0].Off == ca.Off && cb[0].Size == ca.Size {
				v := joinValuesIn(ca.V, cb[0].V, a.PacketMin, b.PacketMin, widen, th)
				v.Seg = joinSeg(v, ca.V, cb[0].V, a, b, widen)
				if v.Kind != Uninit && v.Kind != Unknown {
					f.Stack.Cells = append(f.Stack.Cells, cell{ca.Off, ca.Size, v})
				}
			}
		}
		r.Frames = append(r.Frames, f)
	}
	return r
}

// leq reports whether a ⊑ b: every concrete state of a is one of b's. It
// decides when a fixpoint is reached.
func leq(a, b *State) bool {
	if b == nil {
		return a == nil
	}
	if a == nil {
		return true
	}
	if a.PacketMin < b.PacketMin || a.MetaMin < b.MetaMin || len(a.Frames) != len(b.Frames) {
		return false
	}
	for _, f := range b.PktRel {
		if a.pktRel(f.ID) < f.Range {
			return false
		}
	}
	for i := range a.Frames {
		fa, fb := a.Frames[i], b.Frames[i]
		for k := range fa.Regs {
			if !valueLeq(fa.Regs[k], fb.Regs[k], a.PacketMin) || !segLeq(fa.Regs[k], fb.Regs[k], a) {
				return false
			}
		}
		for k := range fa.Stack.Tags {
			ta, tb := fa.Stack.Tags[k], fb.Stack.Tags[k]
			if ta != tb && tb != byteUninit && !(tb == byteOther) {
				return false
			}
		}
		// Both cell lists are sorted by offset: one merge pass.
		ca := fa.Stack.Cells
		for _, cb := range fb.Stack.Cells {
			for len(ca) > 0 && ca[0].Off < cb.Off {
				ca = ca[1:]
			}
			if len(ca) == 0 || ca[0].Off != cb.Off || ca[0].Size != cb.Size ||
				!valueLeq(ca[0].V, cb.V, a.PacketMin) || !segLeq(ca[0].V, cb.V, a) {
				return false
			}
		}
	}
	return true
}

// valueLeq reports whether a ⊑ b, a being in a state whose PacketMin is
// pmin.
func valueLeq(a, b Value, pmin int64) bool {
	if b.Kind == Uninit {
		return true
	}
	if b.Kind == Unknown && b.Trunc == 0 {
		return a.Kind != Uninit
	}
	if b.Kind == Unknown {
		if a.Kind != Unknown || a.Trunc != b.Trunc {
			return false
		}
		a.Kind, b.Kind = a.Trunc, b.Trunc
	}
	if a.Kind != b.Kind {
		return false
	}
	if b.ID != 0 && (a.ID != b.ID || a.Delta != b.Delta) {
		return false
	}
	if b.G != 0 && (a.G != b.G || a.GD != b.GD || a.GDiv != b.GDiv || a.GW32 && !b.GW32 || !ghostW32Compatible(a, b)) {
		return false
	}
	if b.Bounded {
		if sa, ok := slackOf(a, pmin); !ok || sa < b.Slack {
			return false
		}
	}
	switch a.Kind {
	case MapPtr:
		return a.Map == b.Map
	case Stack:
		if a.Frame != b.Frame {
			return false
		}
	case Shared:
		if a.Size != b.Size || a.ReadOnly != b.ReadOnly || (a.Null && !b.Null) || (b.Map >= 0 && a.Map != b.Map) {
			return false
		}
	}
	return a.Num.Leq(b.Num) && a.Range >= b.Range
}

// String prints the registers that are initialised, then the initialised
// stack bytes of each frame as ranges.
func (s *State) String() string {
	var b strings.Builder
	for i, f := range s.Frames {
		if i > 0 {
			fmt.Fprintf(&b, " | frame %d:", i)
		}
		for r, v := range f.Regs {
			if v.Kind != Uninit {
				fmt.Fprintf(&b, " r%d=%s", r, v)
			}
		}
		for k := 0; k < StackSize; {
			t := f.Stack.Tags[k]
			e := k
			for e < StackSize && f.Stack.Tags[e] == t {
				e++
			}
			if t != byteUninit {
				fmt.Fprintf(&b, " s[%d,%d)=%s", k, e, []string{"", "num", "other"}[t])
			}
			k = e
		}
	}
	if s.PacketMin > 0 {
		fmt.Fprintf(&b, " packet_size>=%d", s.PacketMin)
	}
	if s.MetaMin > 0 {
		fmt.Fprintf(&b, " meta_size>=%d", s.MetaMin)
	}
	return strings.TrimSpace(b.String())
}

// store writes v into the stack at [off, off+size) (an exact offset).
func (m *StackMem) store(off, size int, v Value) {
	m.dropCells(off, off+size)
	tag := uint8(byteOther)
	switch v.Kind {
	case Scalar:
		tag = byteScalar
	case Uninit:
		tag = byteUninit
	}
	for k := off; k < off+size; k++ {
		m.Tags[k] = tag
	}
	if v.Kind == Scalar || (v.Kind.isPointer() && size == 8) {
		// Cells stay sorted by offset (they never overlap), so that a
		// join matches them in one pass.
		k, _ := slices.BinarySearchFunc(m.Cells, off, func(c cell, off int) int { return c.Off - off })
		m.Cells = slices.Insert(m.Cells, k, cell{off, size, v})
	}
}

// storeSome records a write of a w-byte value somewhere in [lo, hi+w): any
// one of those bytes may or may not have changed.
func (m *StackMem) storeSome(lo, hi, w int, isScalar bool) {
	m.dropCells(lo, hi+w)
	for k := lo; k < hi+w; k++ {
		if m.Tags[k] == byteScalar && !isScalar {
			m.Tags[k] = byteOther
		}
	}
}

// initRange marks [lo, hi) as written with numbers (a helper's output).
func (m *StackMem) initRange(lo, hi int) {
	m.dropCells(lo, hi)
	for k := lo; k < hi; k++ {
		m.Tags[k] = byteScalar
	}
}

// cellAt returns the index of the cell at offset off, or -1.
func (m *StackMem) cellAt(off int) int {
	k, found := slices.BinarySearchFunc(m.Cells, off, func(c cell, off int) int { return c.Off - off })
	if !found {
		return -1
	}
	return k
}

func (m *StackMem) dropCells(lo, hi int) {
	m.Cells = slices.DeleteFunc(m.Cells, func(c cell) bool { return c.Off < hi && lo < c.Off+c.Size })
}

// load reads size bytes at off. It reports the first uninitialised byte
// (or -1) and the value: the spilled value if one was stored there whole,
// a number of the width if every byte is one, Unknown otherwise.
func (m *StackMem) load(off, size int) (Value, int) {
	for k := off; k < off+size; k++ {
		if m.Tags[k] == byteUninit {
			return uninit(), k
		}
	}
	if k := m.cellAt(off); k >= 0 && m.Cells[k].Size == size {
		return m.Cells[k].V, -1
	}
	for k := off; k < off+size; k++ {
		if m.Tags[k] != byteScalar {
			return unknown(), -1
		}
	}
	return scalar(numWidth(size)), -1
}
