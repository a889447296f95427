package host

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
)

func newRT(t *testing.T, plat string, maps ...*ir.Map) *Runtime {
	t.Helper()
	var p *platform.Platform
	if plat != "" {
		var err error
		if p, err = platform.Get(plat); err != nil {
			t.Fatal(err)
		}
	}
	rt, err := New(&ir.Module{Maps: maps}, p)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func TestNewRefuses(t *testing.T) {
	for _, tc := range []struct {
		m    ir.Map
		want string
	}{
		{ir.Map{Kind: ir.MapLPMTrie, KeySize: 8, ValueSize: 4, MaxEntries: 1}, "not supported"},
		{ir.Map{Kind: ir.MapHash, KeySize: 4, ValueSize: 1 << 20, MaxEntries: 1 << 20}, "MiB"},
		{ir.Map{Kind: ir.MapHash, KeySize: 0, ValueSize: 4, MaxEntries: 1}, "key size is zero"},
		{ir.Map{Kind: ir.MapArray, KeySize: 4, ValueSize: 0, MaxEntries: 1}, "value size is zero"},
		{ir.Map{Kind: ir.MapArray, KeySize: 8, ValueSize: 4, MaxEntries: 1}, "not 4"},
		{ir.Map{Kind: ir.MapArray, KeySize: 4, ValueSize: 4, MaxEntries: 0}, "max_entries is zero"},
		{ir.Map{Kind: ir.MapProgArray, KeySize: 4, ValueSize: 4, MaxEntries: 1, Entries: []ir.MapEntry{{Key: 0, Value: "nope"}}}, "no program named"},
	} {
		m := tc.m
		m.Name = "m"
		_, err := New(&ir.Module{Maps: []*ir.Map{&m}}, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", m.Kind, err, tc.want)
		}
	}
}

func TestHashMap(t *testing.T) {
	rt := newRT(t, "", &ir.Map{Name: "h", Kind: ir.MapHash, KeySize: 2, ValueSize: 4, MaxEntries: 2})
	m := rt.Maps[0]
	if err := m.Update([]byte{0, 2}, u32(20), UpdateExist); !errors.Is(err, ErrKeyNotExist) {
		t.Errorf("BPF_EXIST on a missing key: %v", err)
	}
	if err := m.Update([]byte{0, 2}, u32(20), UpdateNoExist); err != nil {
		t.Fatal(err)
	}
	if err := m.Update([]byte{0, 2}, u32(21), UpdateNoExist); !errors.Is(err, ErrKeyExist) {
		t.Errorf("BPF_NOEXIST on a present key: %v", err)
	}
	if err := m.Update([]byte{1, 0}, u32(10), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if err := m.Update([]byte{9, 9}, u32(1), UpdateAny); !errors.Is(err, ErrMapFull) {
		t.Errorf("update of a full map: %v", err)
	}
	v, ok := m.Lookup([]byte{0, 2})
	if !ok || binary.LittleEndian.Uint32(v) != 20 {
		t.Errorf("lookup = %x, %v", v, ok)
	}
	snap := m.Snapshot()
	if len(snap) != 2 || !bytes.Equal(snap[0].Key, []byte{0, 2}) || !bytes.Equal(snap[1].Key, []byte{1, 0}) {
		t.Errorf("snapshot not sorted by key bytes: %v", snap)
	}
	// The value's address stays put across updates; after delete the slot
	// is dead and region checks say so.
	addr := Addr(v)
	if err := rt.Check(addr, 4, true); err != nil {
		t.Errorf("live value: %v", err)
	}
	if err := m.Delete([]byte{0, 2}); err != nil {
		t.Fatal(err)
	}
	if err := rt.Check(addr, 4, false); err == nil || !strings.Contains(err.Error(), "deleted") {
		t.Errorf("deleted value: %v", err)
	}
	if err := m.Delete([]byte{0, 2}); !errors.Is(err, ErrKeyNotExist) {
		t.Errorf("second delete: %v", err)
	}
}

func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	rt := newRT(t, "", &ir.Map{Name: "l", Kind: ir.MapLRUHash, KeySize: 4, ValueSize: 4, MaxEntries: 2})
	m := rt.Maps[0]
	m.Update(u32(1), u32(1), UpdateAny)
	m.Update(u32(2), u32(2), UpdateAny)
	m.Lookup(u32(1)) // 2 is now the least recently used
	if err := m.Update(u32(3), u32(3), UpdateAny); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Lookup(u32(2)); ok {
		t.Error("key 2 survived eviction")
	}
	if _, ok := m.Lookup(u32(1)); !ok {
		t.Error("key 1 was evicted")
	}
}

func TestArrayAndGlobals(t *testing.T) {
	rt := newRT(t, "",
		&ir.Map{Name: "a", Kind: ir.MapPerCPUArray, KeySize: 4, ValueSize: 4, MaxEntries: 3},
		&ir.Map{Name: ".data", Kind: ir.MapArray, KeySize: 4, ValueSize: 3, MaxEntries: 1, Section: ".data", Init: []byte{7, 8, 9}},
		&ir.Map{Name: ".bss", Kind: ir.MapArray, KeySize: 4, ValueSize: 3, MaxEntries: 1, Section: ".bss"})
	a := rt.Maps[0]
	if err := a.Update(u32(1), u32(5), UpdateNoExist); !errors.Is(err, ErrKeyExist) {
		t.Errorf("BPF_NOEXIST on an array: %v", err)
	}
	if err := a.Update(u32(3), u32(5), UpdateAny); err == nil {
		t.Error("update past max_entries succeeded")
	}
	if err := a.Delete(u32(1)); err == nil {
		t.Error("array delete succeeded")
	}
	if keys := a.Keys(); len(keys) != 3 {
		t.Errorf("keys = %v", keys)
	}
	if v, _ := rt.Map(".data").Lookup(u32(0)); !bytes.Equal(v, []byte{7, 8, 9}) {
		t.Errorf(".data = %x", v)
	}
	if v, _ := rt.Map(".bss").Lookup(u32(0)); !bytes.Equal(v, []byte{0, 0, 0}) {
		t.Errorf(".bss = %x", v)
	}
	addr, err := rt.MapValueAddr(1)
	if err != nil || addr != rt.Maps[1].ValueAddr(0) || addr%8 != 0 {
		t.Errorf("value address %#x, %v", addr, err)
	}
}

func TestQueueAndStack(t *testing.T) {
	rt := newRT(t, "",
		&ir.Map{Name: "q", Kind: ir.MapQueue, ValueSize: 4, MaxEntries: 2},
		&ir.Map{Name: "s", Kind: ir.MapStack, ValueSize: 4, MaxEntries: 2})
	for _, tc := range []struct {
		m    *Map
		want []uint32
	}{{rt.Maps[0], []uint32{2, 3}}, {rt.Maps[1], []uint32{3, 2}}} {
		tc.m.Push(u32(1), UpdateAny)
		tc.m.Push(u32(2), UpdateAny)
		if err := tc.m.Push(u32(3), UpdateAny); !errors.Is(err, ErrMapFull) {
			t.Errorf("%s: push to a full map: %v", tc.m.Name, err)
		}
		if err := tc.m.Push(u32(3), UpdateExist); err != nil { // drops the oldest
			t.Fatal(err)
		}
		for _, w := range tc.want {
			v, err := tc.m.Pop()
			if err != nil || binary.LittleEndian.Uint32(v) != w {
				t.Errorf("%s: pop = %x, %v; want %d", tc.m.Name, v, err, w)
			}
		}
		if _, err := tc.m.Pop(); !errors.Is(err, ErrKeyNotExist) {
			t.Errorf("%s: pop from empty: %v", tc.m.Name, err)
		}
	}
}

func TestHelpersBindByName(t *testing.T) {
	for _, tc := range []struct {
		plat string
		id   int32
	}{{"windows", 5}, {"linux", 12}} {
		rt := newRT(t, tc.plat)
		if _, ok := rt.Helper(tc.id); !ok || rt.HelperName(tc.id) != "bpf_tail_call" {
			t.Errorf("%s: helper %d is %q, bound %v", tc.plat, tc.id, rt.HelperName(tc.id), ok)
		}
	}
	rt := newRT(t, "windows")
	_, err := rt.CallHelper(&Call{ID: 27})
	if err == nil || !strings.Contains(err.Error(), "helper 27 (bpf_strncpy_s)") {
		t.Errorf("unimplemented helper: %v", err)
	}
	_, err = rt.CallHelper(&Call{ID: 999})
	if err == nil || !strings.Contains(err.Error(), "helper 999") {
		t.Errorf("unknown helper: %v", err)
	}
}

// callWith runs helper id on args, with pointer arguments into mem.
func callWith(t *testing.T, rt *Runtime, id int32, mem []byte, args func(base uint64) [5]uint64) uint64 {
	t.Helper()
	ctx := NewMemoryContext(mem)
	r, err := rt.CallHelper(&Call{ID: id, Args: args(ctx.R1()), Mem: NewRegionSet(ctx.Regions()), Run: NewRunState()})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCsumDiff(t *testing.T) {
	// from = 00000000, to = ffffffff. Linux: ~0 + 0xffffffff = 0x1fffffffe,
	// folded to 0xffffffff. Windows: 0xffff + 0xffff - 0 - 0 = 0x1fffe.
	mem := []byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}
	args := func(b uint64) [5]uint64 { return [5]uint64{b, 4, b + 4, 4, 0} }
	if got := callWith(t, newRT(t, "linux"), 28, mem, args); got != 0xffffffff {
		t.Errorf("linux: %#x, want 0xffffffff", got)
	}
	if got := callWith(t, newRT(t, "windows"), 10, mem, args); got != 0x1fffe {
		t.Errorf("windows: %#x, want 0x1fffe", got)
	}
	// to - from = 2 - 1 in ones' complement, seed 0: 1 on both.
	mem = []byte{1, 0, 0, 0, 2, 0, 0, 0}
	if got := callWith(t, newRT(t, "linux"), 28, mem, args); got != 1 {
		t.Errorf("linux: %#x, want 1", got)
	}
	if got := callWith(t, newRT(t, "windows"), 10, mem, args); got != 1 {
		t.Errorf("windows: %#x, want 1", got)
	}
	if got := callWith(t, newRT(t, "linux"), 28, mem, func(b uint64) [5]uint64 { return [5]uint64{b, 3, b + 4, 4, 0} }); got != uint64(-22&(1<<64-1)) {
		t.Errorf("size not a multiple of 4: %#x, want -EINVAL", got)
	}
}

func TestRingbufOutput(t *testing.T) {
	rt := newRT(t, "windows", &ir.Map{Name: "rb", Kind: ir.MapRingBuf, MaxEntries: 32})
	h := rt.Maps[0].Handle()
	mem := []byte("hello, world")
	out := func(n uint64) uint64 {
		return callWith(t, rt, 11, mem, func(b uint64) [5]uint64 { return [5]uint64{h, b, n, 0} })
	}
	if r := out(5); r != 0 {
		t.Errorf("first output: %#x", r)
	}
	if r := out(12); r == 0 { // 8+8 used, 16+8 more does not fit in 32
		t.Error("output beyond capacity succeeded")
	}
	if recs := rt.Maps[0].Records(); len(recs) != 1 || string(recs[0]) != "hello" {
		t.Errorf("records = %q", recs)
	}
}

func TestDeterministicSources(t *testing.T) {
	a, b := newRT(t, "windows"), newRT(t, "windows")
	none := func(uint64) [5]uint64 { return [5]uint64{} }
	if x, y := callWith(t, a, 6, nil, none), callWith(t, b, 6, nil, none); x != y || x>>32 != 0 {
		t.Errorf("prandom: %#x vs %#x", x, y)
	}
	t1 := callWith(t, a, 9, nil, none)
	t2 := callWith(t, a, 9, nil, none)
	if t2-t1 != 1000 {
		t.Errorf("fake clock advanced by %d, want 1000", t2-t1)
	}
	a.SetClock(func() uint64 { return 5_000_000 })
	if ms := callWith(t, a, 31, nil, none); ms != 5 {
		t.Errorf("ktime_get_ms = %d, want 5", ms)
	}
}

func TestContext(t *testing.T) {
	p, _ := platform.Get("linux")
	pt := p.ProgramType("xdp")
	c, err := NewContext(pt, []byte{1, 2, 3}, []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9})
	if err != nil {
		t.Fatal(err)
	}
	data, ok := c.Virtual(c.R1()+0, 4)
	end, ok2 := c.Virtual(c.R1()+4, 4)
	if !ok || !ok2 || end-data != 3 || data != Addr(c.Packet()) {
		t.Errorf("virtual fields: data %#x end %#x", data, end)
	}
	if c.Data()[12] != 9 {
		t.Error("init not copied")
	}
	set := NewRegionSet(c.Regions())
	if _, err := set.Bytes(c.R1()+12, 4, true); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Errorf("write to ingress_ifindex: %v", err)
	}
	if _, err := NewContext(pt, nil, make([]byte, 100)); err == nil {
		t.Error("oversized init accepted")
	}
}
