package verifier

// EntryState describes a custom entry state, for harnesses that state
// hypotheses about registers and stack instead of running from a real
// context (PREVAIL's YAML suite). Anything it does not describe is
// uninitialised.
type EntryState struct {
	Regs [11]*EntryValue
	// StackNumbers lists byte ranges [lo, hi) of the entry frame's stack
	// that hold numbers.
	StackNumbers [][2]int
	// PacketMin is a proven lower bound on the packet size.
	PacketMin int64
	// MetaMin is a proven lower bound on data - data_meta.
	MetaMin int64
}

// EntryValue is one register's hypothesis.
type EntryValue struct {
	Kind Kind
	// Num is the number, or the pointer's offset.
	Num Num
	// Map is a MapPtr's map, or the map a Shared pointer points into.
	Map int
	// Size is a Shared region's size.
	Size int64
	// Range is a packet pointer's proven distance to the packet's end.
	Range int64
	// Null marks a Shared pointer that may be null.
	Null bool
}

func (e *EntryState) state() *State {
	f := &Frame{}
	for r, ev := range e.Regs {
		if ev == nil {
			continue
		}
		v := Value{Kind: ev.Kind, Num: ev.Num, Map: ev.Map, Size: ev.Size, Range: noRange, Null: ev.Null}
		if ev.Kind == Packet && ev.Range != 0 {
			// A packet pointer with its own range needs an ID so that the
			// range survives joins; the entry has no instruction of its
			// own, so it takes one past the largest instruction ID.
			v.Range = ev.Range
			v.ID = -int32(r) - 1
		}
		f.Regs[r] = v
	}
	for _, rg := range e.StackNumbers {
		f.Stack.initRange(max(rg[0], 0), min(rg[1], StackSize))
	}
	return &State{Frames: []*Frame{f}, PacketMin: e.PacketMin, MetaMin: e.MetaMin}
}
