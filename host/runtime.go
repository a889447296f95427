package host

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
)

// HelperFunc implements one helper. An error aborts the program: it is for
// arguments no verified program could pass (a pointer outside its memory, a
// value that is not a map), not for failures the helper reports in r0.
type HelperFunc func(c *Call) (uint64, error)

// Call is one helper invocation.
type Call struct {
	ID   int32
	Args [5]uint64
	// Mem reads and writes through pointer arguments.
	Mem Memory
	RT  *Runtime
	// Run is the state of the program run making the call.
	Run *RunState
}

// RunState is what helpers keep across the calls of one run: the engine
// creates one per run and acts on the tail call it records.
type RunState struct {
	// TailCalls counts the tail calls taken so far in this run.
	TailCalls int
	// TailTarget is the index into the module's programs that a successful
	// bpf_tail_call asks the engine to run next, or -1.
	TailTarget int
}

// NewRunState returns the state of a run that has made no calls yet.
func NewRunState() *RunState { return &RunState{TailTarget: -1} }

// MaxTailCalls is how many tail calls one run may chain, as on Linux and
// ebpf-for-windows.
const MaxTailCalls = 33

// Runtime holds the maps and helpers of one module.
type Runtime struct {
	Module   *ir.Module
	Platform *platform.Platform
	// Maps parallels Module.Maps.
	Maps []*Map
	// Trace receives bpf_trace_printk output; nil discards it.
	Trace io.Writer

	helpers  []HelperFunc // by id
	names    map[int32]string
	byHandle map[uint64]*Map
	regions  *RegionSet
	clock    func() uint64
	fakeNow  uint64
	rng      uint64
}

// New creates the maps of mod and binds the helpers plat offers by name. plat
// may be nil for raw bytecode, which gets no helpers until Bind.
func New(mod *ir.Module, plat *platform.Platform) (*Runtime, error) {
	rt := &Runtime{Module: mod, Platform: plat, names: map[int32]string{}, byHandle: map[uint64]*Map{}}
	rt.SetSeed(1)
	rt.fakeNow = 1_000_000_000
	var budget uint64
	for _, m := range mod.Maps {
		mp, err := newMap(m, &budget)
		if err != nil {
			return nil, fmt.Errorf("map %s: %w", m.Name, err)
		}
		rt.Maps = append(rt.Maps, mp)
		rt.byHandle[mp.Handle()] = mp
	}
	for i, m := range mod.Maps {
		for _, e := range m.Entries {
			if err := rt.initEntry(rt.Maps[i], e); err != nil {
				return nil, fmt.Errorf("map %s: entry %d: %w", m.Name, e.Key, err)
			}
		}
	}
	var regions [][]Region
	for _, m := range rt.Maps {
		regions = append(regions, m.region())
	}
	rt.regions = NewRegionSet(regions...)
	if plat != nil {
		for id, h := range plat.Helpers {
			if fn := helperImpls[h.Name]; fn != nil {
				if err := rt.Bind(id, h.Name, fn); err != nil {
					return nil, fmt.Errorf("platform %s: %w", plat.Name, err)
				}
			} else {
				rt.names[id] = h.Name
			}
		}
	}
	return rt, nil
}

func (rt *Runtime) initEntry(m *Map, e ir.MapEntry) error {
	key := binary.LittleEndian.AppendUint32(nil, e.Key)
	var value []byte
	switch {
	case m.Kind == ir.MapProgArray:
		p := rt.programIndex(e.Value)
		if p < 0 {
			return fmt.Errorf("no program named %q", e.Value)
		}
		value = binary.LittleEndian.AppendUint32(nil, uint32(p))
	case m.Kind == ir.MapArrayOfMaps || m.Kind == ir.MapHashOfMaps:
		p := rt.mapIndex(e.Value)
		if p < 0 {
			return fmt.Errorf("no map named %q", e.Value)
		}
		value = binary.LittleEndian.AppendUint32(nil, uint32(p))
	default:
		value = e.Data
	}
	if m.KeySize != 4 {
		return fmt.Errorf("initial entries need 4-byte keys, map has %d", m.KeySize)
	}
	return m.Update(key, value, UpdateAny)
}

func (rt *Runtime) programIndex(name string) int {
	for i, p := range rt.Module.Programs {
		if p.Name == name {
			return i
		}
	}
	return -1
}

func (rt *Runtime) mapIndex(name string) int {
	for i, m := range rt.Maps {
		if m.Name == name {
			return i
		}
	}
	return -1
}

// Map returns the map called name, or nil.
func (rt *Runtime) Map(name string) *Map {
	if i := rt.mapIndex(name); i >= 0 {
		return rt.Maps[i]
	}
	return nil
}

// MapByHandle returns the map whose handle is addr, or nil.
func (rt *Runtime) MapByHandle(addr uint64) *Map { return rt.byHandle[addr] }

// MapValueAddr returns the address of element 0's value of map i, what a map
// value load (lddw src 2) adds its offset to.
func (rt *Runtime) MapValueAddr(i int) (uint64, error) {
	m := rt.Maps[i]
	if m.st != stArray {
		return 0, fmt.Errorf("map %s: value load from a %s map: %w", m.Name, m.Kind, ErrNotSupport)
	}
	return m.ValueAddr(0), nil
}

// MaxHelperID bounds helper ids, which index a table.
const MaxHelperID = 1 << 16

// Bind makes fn helper id, replacing what was bound before.
func (rt *Runtime) Bind(id int32, name string, fn HelperFunc) error {
	if id < 0 || id > MaxHelperID {
		return fmt.Errorf("helper %s: id %d is outside [0, %d]", name, id, MaxHelperID)
	}
	for int(id) >= len(rt.helpers) {
		rt.helpers = append(rt.helpers, nil)
	}
	rt.helpers[id] = fn
	rt.names[id] = name
	return nil
}

// Helper returns the function bound to id.
func (rt *Runtime) Helper(id int32) (HelperFunc, bool) {
	if id < 0 || int(id) >= len(rt.helpers) || rt.helpers[id] == nil {
		return nil, false
	}
	return rt.helpers[id], true
}

// HelperName returns the name of helper id, or "".
func (rt *Runtime) HelperName(id int32) string { return rt.names[id] }

// CallHelper runs the helper c.ID names.
func (rt *Runtime) CallHelper(c *Call) (uint64, error) {
	fn, ok := rt.Helper(c.ID)
	if !ok {
		if name := rt.names[c.ID]; name != "" {
			return 0, fmt.Errorf("helper %d (%s) is not implemented", c.ID, name)
		}
		return 0, fmt.Errorf("helper %d is not bound", c.ID)
	}
	c.RT = rt
	r, err := fn(c)
	if err != nil {
		if name := rt.names[c.ID]; name != "" {
			return 0, fmt.Errorf("helper %d (%s): %w", c.ID, name, err)
		}
		return 0, fmt.Errorf("helper %d: %w", c.ID, err)
	}
	return r, nil
}

// Regions returns the memory of map values programs may access, in address
// order.
func (rt *Runtime) Regions() []Region { return rt.regions.Regions() }

// RegionSet returns the map value regions as a set.
func (rt *Runtime) RegionSet() *RegionSet { return rt.regions }

// Check reports whether a program may access size bytes at addr in map
// memory.
func (rt *Runtime) Check(addr, size uint64, write bool) error {
	_, err := rt.regions.Bytes(addr, size, write)
	return err
}

// Bytes returns map memory after checking the access; it makes the Runtime a
// Memory over map values.
func (rt *Runtime) Bytes(addr, size uint64, write bool) ([]byte, error) {
	return rt.regions.Bytes(addr, size, write)
}

// SetSeed restarts bpf_get_prandom_u32's sequence.
func (rt *Runtime) SetSeed(seed uint64) { rt.rng = seed }

// SetClock makes the ktime helpers read now; nil restores the fake clock,
// which advances by 1000 ns each time it is read.
func (rt *Runtime) SetClock(now func() uint64) { rt.clock = now }

func (rt *Runtime) now() uint64 {
	if rt.clock != nil {
		return rt.clock()
	}
	rt.fakeNow += 1000
	return rt.fakeNow
}

// random is splitmix64: deterministic for a seed, good enough for programs
// that sample.
func (rt *Runtime) random() uint64 {
	rt.rng += 0x9e3779b97f4a7c15
	z := rt.rng
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// MapSnapshot is one map's contents.
type MapSnapshot struct {
	Name    string
	Entries []Entry
}

// Snapshot copies every map's contents, in module order.
func (rt *Runtime) Snapshot() []MapSnapshot {
	out := make([]MapSnapshot, len(rt.Maps))
	for i, m := range rt.Maps {
		out[i] = MapSnapshot{Name: m.Name, Entries: m.Snapshot()}
	}
	return out
}
