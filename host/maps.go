package host

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/bpf2native/bpf2native/ir"
)

// Update flags, as bpf_map_update_elem takes them.
const (
	UpdateAny     = 0 // BPF_ANY: create or replace
	UpdateNoExist = 1 // BPF_NOEXIST: create only
	UpdateExist   = 2 // BPF_EXIST: replace only
)

// Errors of map operations; helpers turn them into negative errno values.
var (
	ErrKeyExist    = errors.New("key already exists")
	ErrKeyNotExist = errors.New("key does not exist")
	ErrMapFull     = errors.New("map is full")
	ErrInvalid     = errors.New("invalid argument")
	ErrNotSupport  = errors.New("operation not supported on this map kind")
)

// errno returns the negative errno a helper reports for err, as Linux does.
func errno(err error) uint64 {
	var e int64
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrKeyExist):
		e = 17 // EEXIST
	case errors.Is(err, ErrKeyNotExist):
		e = 2 // ENOENT
	case errors.Is(err, ErrMapFull):
		e = 7 // E2BIG
	case errors.Is(err, ErrNotSupport):
		e = 95 // EOPNOTSUPP
	default:
		e = 22 // EINVAL
	}
	return uint64(-e)
}

// MaxMapMemory caps the memory all maps of one Runtime may take, so that an
// object declaring absurd sizes is refused instead of exhausting the host.
const MaxMapMemory = 256 << 20

// storage is how a map keeps its values; several kinds share one.
type storage int

const (
	stArray  storage = iota // every key in [0, max) exists
	stSparse                // array whose slots may be empty (prog_array, array_of_maps)
	stHash
	stQueue // queue and stack
	stRing
)

// Map is one map or global section.
type Map struct {
	Name       string
	Kind       ir.MapKind
	KeySize    uint32
	ValueSize  uint32
	MaxEntries uint32
	// ReadOnly maps (.rodata) may not be written by programs; Go callers
	// may still update them.
	ReadOnly bool
	// LRU hash maps evict the least recently used element when full.
	LRU bool

	st     storage
	handle []byte
	// slab holds MaxEntries values of ValueSize bytes; a value's address
	// never changes while it lives.
	slab []byte
	live []bool

	// hash
	slots   map[string]uint32
	keys    []byte
	free    []uint32
	lastUse []uint64
	tick    uint64
	// taken holds the value bpf_map_lookup_and_delete_elem returned last.
	taken []byte

	// queue and stack: values live in slab as a ring
	head, count uint32

	// ring buffer
	records [][]byte
	used    uint64
}

// Entry is one key/value pair of a map snapshot.
type Entry struct {
	Key, Value []byte
}

func newMap(m *ir.Map, budget *uint64) (*Map, error) {
	mp := &Map{Name: m.Name, Kind: m.Kind, KeySize: m.KeySize, ValueSize: m.ValueSize,
		MaxEntries: m.MaxEntries, ReadOnly: m.ReadOnly, handle: make([]byte, 8)}
	if m.IsGlobal() {
		mp.Kind, mp.MaxEntries, mp.KeySize = ir.MapArray, 1, 4
	}
	switch mp.Kind {
	case ir.MapArray, ir.MapPerCPUArray:
		mp.st = stArray
	case ir.MapProgArray, ir.MapArrayOfMaps:
		mp.st = stSparse
	case ir.MapHash, ir.MapPerCPUHash, ir.MapHashOfMaps:
		mp.st = stHash
	case ir.MapLRUHash, ir.MapLRUPerCPUHash:
		mp.st, mp.LRU = stHash, true
	case ir.MapQueue, ir.MapStack:
		mp.st = stQueue
	case ir.MapRingBuf:
		mp.st = stRing
	default:
		return nil, fmt.Errorf("map kind %s is not supported", mp.Kind)
	}
	if mp.MaxEntries == 0 {
		return nil, fmt.Errorf("max_entries is zero")
	}
	switch mp.st {
	case stArray, stSparse:
		if mp.KeySize != 4 {
			return nil, fmt.Errorf("%s key size is %d, not 4", mp.Kind, mp.KeySize)
		}
	case stHash:
		if mp.KeySize == 0 {
			return nil, fmt.Errorf("hash key size is zero")
		}
	case stQueue, stRing:
		if mp.KeySize != 0 {
			return nil, fmt.Errorf("%s key size is %d, not 0", mp.Kind, mp.KeySize)
		}
	}
	switch {
	case mp.st == stSparse || mp.Kind == ir.MapHashOfMaps:
		if mp.ValueSize != 4 {
			return nil, fmt.Errorf("%s value size is %d, not 4", mp.Kind, mp.ValueSize)
		}
	case mp.st == stRing:
		if mp.ValueSize != 0 {
			return nil, fmt.Errorf("ringbuf value size is %d, not 0", mp.ValueSize)
		}
	case mp.ValueSize == 0:
		return nil, fmt.Errorf("value size is zero")
	}

	// Per-element overhead of a hash slot: its key, its index entry and
	// bookkeeping; a ring buffer's MaxEntries is its size in bytes.
	size := uint64(mp.MaxEntries) * uint64(mp.ValueSize)
	switch mp.st {
	case stHash:
		size += uint64(mp.MaxEntries) * (uint64(mp.KeySize)*2 + 64)
	case stRing:
		size = uint64(mp.MaxEntries)
	}
	if size > MaxMapMemory-*budget {
		return nil, fmt.Errorf("needs %d bytes, more than the %d bytes left of the %d MiB all maps may take", size, MaxMapMemory-*budget, MaxMapMemory>>20)
	}
	*budget += size

	if mp.st != stRing {
		mp.slab = alloc(uint64(mp.MaxEntries) * uint64(mp.ValueSize))
	}
	switch mp.st {
	case stSparse:
		mp.live = make([]bool, mp.MaxEntries)
	case stHash:
		mp.live = make([]bool, mp.MaxEntries)
		mp.keys = make([]byte, uint64(mp.MaxEntries)*uint64(mp.KeySize))
		mp.slots = map[string]uint32{}
		mp.free = make([]uint32, mp.MaxEntries)
		for i := range mp.free {
			// Popped from the end, so slot 0 is used first.
			mp.free[i] = mp.MaxEntries - 1 - uint32(i)
		}
		if mp.LRU {
			mp.lastUse = make([]uint64, mp.MaxEntries)
		}
		mp.taken = alloc(uint64(mp.ValueSize))
	}
	if m.IsGlobal() {
		copy(mp.slab, m.Init)
	}
	return mp, nil
}

// Handle returns the address lddw of the map yields; helpers find the map
// from it.
func (m *Map) Handle() uint64 { return addrOf(m.handle) }

// ValueAddr returns the address of the value in slot; slots of an array are
// its keys.
func (m *Map) ValueAddr(slot uint32) uint64 {
	return addrOf(m.slab) + uint64(slot)*uint64(m.ValueSize)
}

// region returns the memory a program may reach through this map's values.
func (m *Map) region() []Region {
	if (m.st != stArray && m.st != stHash) || m.Kind == ir.MapHashOfMaps || len(m.slab) == 0 {
		return nil
	}
	r := Region{Addr: addrOf(m.slab), Size: uint64(len(m.slab)), Writable: !m.ReadOnly,
		Name: "map " + m.Name, Stride: uint64(m.ValueSize), mem: m.slab}
	if m.st != stHash {
		return []Region{r}
	}
	live := m.live
	r.Live = func(slot uint64) bool { return live[slot] }
	return []Region{r, {Addr: addrOf(m.taken), Size: uint64(len(m.taken)), Writable: true,
		Name: "deleted value of map " + m.Name, mem: m.taken}}
}

func (m *Map) checkKey(key []byte) error {
	if len(key) != int(m.KeySize) {
		return fmt.Errorf("map %s: %w: key of %d bytes, want %d", m.Name, ErrInvalid, len(key), m.KeySize)
	}
	return nil
}

// slot returns the slot holding key, and whether there is one.
func (m *Map) slot(key []byte) (uint32, bool) {
	switch m.st {
	case stArray:
		k := binary.LittleEndian.Uint32(key)
		return k, k < m.MaxEntries
	case stSparse:
		k := binary.LittleEndian.Uint32(key)
		return k, k < m.MaxEntries && m.live[k]
	case stHash:
		s, ok := m.slots[string(key)]
		if ok && m.LRU {
			m.tick++
			m.lastUse[s] = m.tick
		}
		return s, ok
	}
	return 0, false
}

func (m *Map) value(slot uint32) []byte {
	v := uint64(slot) * uint64(m.ValueSize)
	return m.slab[v : v+uint64(m.ValueSize) : v+uint64(m.ValueSize)]
}

// Lookup returns the value stored under key. The slice aliases the map's
// memory, as the pointer a program gets does.
func (m *Map) Lookup(key []byte) ([]byte, bool) {
	if m.st == stQueue || m.st == stRing || m.checkKey(key) != nil {
		return nil, false
	}
	s, ok := m.slot(key)
	if !ok {
		return nil, false
	}
	return m.value(s), true
}

// Update stores value under key with BPF_ANY, BPF_NOEXIST or BPF_EXIST
// semantics.
func (m *Map) Update(key, value []byte, flags uint64) error {
	if m.st == stQueue || m.st == stRing {
		return fmt.Errorf("map %s: update: %w", m.Name, ErrNotSupport)
	}
	if err := m.checkKey(key); err != nil {
		return err
	}
	if len(value) != int(m.ValueSize) {
		return fmt.Errorf("map %s: %w: value of %d bytes, want %d", m.Name, ErrInvalid, len(value), m.ValueSize)
	}
	if flags > UpdateExist {
		return fmt.Errorf("map %s: %w: flags %#x", m.Name, ErrInvalid, flags)
	}
	switch m.st {
	case stArray, stSparse:
		k := binary.LittleEndian.Uint32(key)
		if k >= m.MaxEntries {
			return fmt.Errorf("map %s: %w: index %d is not below %d", m.Name, ErrMapFull, k, m.MaxEntries)
		}
		exists := m.st == stArray || m.live[k]
		if exists && flags == UpdateNoExist {
			return fmt.Errorf("map %s: %w", m.Name, ErrKeyExist)
		}
		if !exists && flags == UpdateExist {
			return fmt.Errorf("map %s: %w", m.Name, ErrKeyNotExist)
		}
		if m.st == stSparse {
			m.live[k] = true
		}
		copy(m.value(k), value)
		return nil
	}
	s, exists := m.slot(key)
	if exists && flags == UpdateNoExist {
		return fmt.Errorf("map %s: %w", m.Name, ErrKeyExist)
	}
	if !exists && flags == UpdateExist {
		return fmt.Errorf("map %s: %w", m.Name, ErrKeyNotExist)
	}
	if !exists {
		if len(m.free) == 0 {
			if !m.LRU {
				return fmt.Errorf("map %s: %w (%d entries)", m.Name, ErrMapFull, m.MaxEntries)
			}
			m.evict()
		}
		s = m.free[len(m.free)-1]
		m.free = m.free[:len(m.free)-1]
		m.live[s] = true
		k := uint64(s) * uint64(m.KeySize)
		copy(m.keys[k:k+uint64(m.KeySize)], key)
		m.slots[string(key)] = s
		if m.LRU {
			m.tick++
			m.lastUse[s] = m.tick
		}
	}
	copy(m.value(s), value)
	return nil
}

// evict frees the least recently used slot of a full LRU map.
func (m *Map) evict() {
	victim, oldest := uint32(0), ^uint64(0)
	for s, t := range m.lastUse {
		if m.live[s] && t < oldest {
			victim, oldest = uint32(s), t
		}
	}
	m.release(victim)
}

func (m *Map) release(s uint32) {
	k := uint64(s) * uint64(m.KeySize)
	delete(m.slots, string(m.keys[k:k+uint64(m.KeySize)]))
	m.live[s] = false
	clear(m.value(s))
	m.free = append(m.free, s)
}

// Delete removes key.
func (m *Map) Delete(key []byte) error {
	if err := m.checkKey(key); err != nil {
		return err
	}
	switch m.st {
	case stSparse:
		k := binary.LittleEndian.Uint32(key)
		if k >= m.MaxEntries || !m.live[k] {
			return fmt.Errorf("map %s: %w", m.Name, ErrKeyNotExist)
		}
		m.live[k] = false
		clear(m.value(k))
		return nil
	case stHash:
		s, ok := m.slots[string(key)]
		if !ok {
			return fmt.Errorf("map %s: %w", m.Name, ErrKeyNotExist)
		}
		m.release(s)
		return nil
	}
	return fmt.Errorf("map %s: delete: %w", m.Name, ErrInvalid)
}

// Keys returns the keys present, sorted by their bytes.
func (m *Map) Keys() [][]byte {
	var keys [][]byte
	switch m.st {
	case stArray, stSparse:
		// Little-endian indices do not sort by bytes; sort them as bytes
		// too so that every kind follows the same rule.
		for k := uint32(0); k < m.MaxEntries; k++ {
			if m.st == stArray || m.live[k] {
				keys = append(keys, binary.LittleEndian.AppendUint32(nil, k))
			}
		}
	case stHash:
		for s := range m.live {
			if m.live[s] {
				k := uint64(s) * uint64(m.KeySize)
				keys = append(keys, bytes.Clone(m.keys[k:k+uint64(m.KeySize)]))
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
	return keys
}

// Snapshot copies the map's contents in a deterministic order: entries by key
// bytes; a queue or stack in pop order with 4-byte position keys; a ring
// buffer's records in output order with position keys.
func (m *Map) Snapshot() []Entry {
	var out []Entry
	pos := func(i int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(i)) }
	switch m.st {
	case stQueue:
		for i := uint32(0); i < m.count; i++ {
			out = append(out, Entry{Key: pos(int(i)), Value: bytes.Clone(m.value(m.queueSlot(i)))})
		}
	case stRing:
		for i, r := range m.records {
			out = append(out, Entry{Key: pos(i), Value: bytes.Clone(r)})
		}
	default:
		for _, k := range m.Keys() {
			v, _ := m.Lookup(k)
			out = append(out, Entry{Key: k, Value: bytes.Clone(v)})
		}
	}
	return out
}

// queueSlot returns the slot of the i-th element in pop order.
func (m *Map) queueSlot(i uint32) uint32 {
	if m.Kind == ir.MapStack {
		return (m.head + m.count - 1 - i) % m.MaxEntries
	}
	return (m.head + i) % m.MaxEntries
}

// Push adds value to a queue or stack; with UpdateExist a full map drops its
// oldest element to make room, as BPF_EXIST asks.
func (m *Map) Push(value []byte, flags uint64) error {
	if m.st != stQueue {
		return fmt.Errorf("map %s: push: %w", m.Name, ErrNotSupport)
	}
	if len(value) != int(m.ValueSize) || (flags != UpdateAny && flags != UpdateExist) {
		return fmt.Errorf("map %s: push: %w", m.Name, ErrInvalid)
	}
	if m.count == m.MaxEntries {
		if flags != UpdateExist {
			return fmt.Errorf("map %s: %w (%d entries)", m.Name, ErrMapFull, m.MaxEntries)
		}
		m.head = (m.head + 1) % m.MaxEntries
		m.count--
	}
	copy(m.value((m.head+m.count)%m.MaxEntries), value)
	m.count++
	return nil
}

// Peek returns a copy of the element Pop would remove.
func (m *Map) Peek() ([]byte, error) {
	if m.st != stQueue {
		return nil, fmt.Errorf("map %s: peek: %w", m.Name, ErrNotSupport)
	}
	if m.count == 0 {
		return nil, fmt.Errorf("map %s: %w: empty", m.Name, ErrKeyNotExist)
	}
	return bytes.Clone(m.value(m.queueSlot(0))), nil
}

// Pop removes and returns the next element: the oldest of a queue, the
// newest of a stack.
func (m *Map) Pop() ([]byte, error) {
	v, err := m.Peek()
	if err != nil {
		return nil, err
	}
	if m.Kind != ir.MapStack {
		m.head = (m.head + 1) % m.MaxEntries
	}
	m.count--
	return v, nil
}

// Output appends a record to a ring buffer. Each record takes its length
// rounded up to 8 plus an 8-byte header, as in Linux's ring buffer.
func (m *Map) Output(data []byte) error {
	if m.st != stRing {
		return fmt.Errorf("map %s: output: %w", m.Name, ErrNotSupport)
	}
	need := (uint64(len(data))+7)&^7 + 8
	if need > uint64(m.MaxEntries)-m.used {
		return fmt.Errorf("map %s: %w: ring buffer has no room for %d bytes", m.Name, ErrMapFull, len(data))
	}
	m.used += need
	m.records = append(m.records, bytes.Clone(data))
	return nil
}

// Records returns the ring buffer's records, oldest first.
func (m *Map) Records() [][]byte { return m.records }

// Consume returns the ring buffer's records and empties it.
func (m *Map) Consume() [][]byte {
	r := m.records
	m.records, m.used = nil, 0
	return r
}

// SetProgram stores program index prog (into the module's programs) in a
// program array.
func (m *Map) SetProgram(key uint32, prog int) error {
	if m.Kind != ir.MapProgArray {
		return fmt.Errorf("map %s: set program: %w", m.Name, ErrNotSupport)
	}
	return m.Update(binary.LittleEndian.AppendUint32(nil, key), binary.LittleEndian.AppendUint32(nil, uint32(prog)), UpdateAny)
}
