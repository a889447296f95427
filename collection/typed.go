package collection

import (
	"encoding/binary"
	"errors"
	"fmt"
	"iter"

	"github.com/bpf2native/bpf2native/host"
)

// UpdateFlags say when Map.Update may store: as bpf_map_update_elem's
// flags.
type UpdateFlags uint64

const (
	// UpdateAny creates the entry or replaces it.
	UpdateAny UpdateFlags = host.UpdateAny
	// UpdateNoExist creates the entry only if it does not exist.
	UpdateNoExist UpdateFlags = host.UpdateNoExist
	// UpdateExist replaces the entry only if it exists.
	UpdateExist UpdateFlags = host.UpdateExist
)

// Map is a map of a loaded collection with typed keys and values, encoded
// in eBPF's little-endian layout. K and V are fixed-size types (as
// encoding/binary defines them) of the map's key and value sizes.
type Map[K, V any] struct {
	c *Collection
	m *host.Map
}

// Name returns the map's name.
func (m *Map[K, V]) Name() string { return m.m.Name }

// Raw returns the runtime's map, for operations the typed API lacks (queue
// and ring buffer maps). Use it only while no program runs.
func (m *Map[K, V]) Raw() *host.Map { return m.m }

// Lookup returns the value stored under key; an error wrapping
// ErrKeyNotExist if there is none.
func (m *Map[K, V]) Lookup(key K) (V, error) {
	var v V
	k := encode(key)
	m.c.mu.Lock()
	raw, ok := m.m.Lookup(k)
	if ok {
		decode(raw, &v)
	}
	m.c.mu.Unlock()
	if !ok {
		return v, fmt.Errorf("%s: map %s: lookup: %w", m.c.spec.name, m.m.Name, ErrKeyNotExist)
	}
	return v, nil
}

// Update stores value under key, as flags allow.
func (m *Map[K, V]) Update(key K, value V, flags UpdateFlags) error {
	k, v := encode(key), encode(value)
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	if err := m.m.Update(k, v, uint64(flags)); err != nil {
		return fmt.Errorf("%s: %w", m.c.spec.name, err)
	}
	return nil
}

// Delete removes key; an error wrapping ErrKeyNotExist if it is absent.
func (m *Map[K, V]) Delete(key K) error {
	k := encode(key)
	m.c.mu.Lock()
	defer m.c.mu.Unlock()
	if err := m.m.Delete(k); err != nil {
		return fmt.Errorf("%s: %w", m.c.spec.name, err)
	}
	return nil
}

// Iterate yields the map's entries in the order of their key bytes, as they
// were when iteration began; the loop body may change the map.
func (m *Map[K, V]) Iterate() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		m.c.mu.Lock()
		entries := m.m.Snapshot()
		m.c.mu.Unlock()
		for _, e := range entries {
			var k K
			var v V
			decode(e.Key, &k)
			decode(e.Value, &v)
			if !yield(k, v) {
				return
			}
		}
	}
}

// Variable is a global variable of a loaded collection: bytes of a global
// section that programs read and write.
type Variable[T any] struct {
	c        *Collection
	m        *host.Map
	name     string
	offset   int
	readOnly bool
}

// Name returns the variable's C name.
func (v *Variable[T]) Name() string { return v.name }

// Get returns the variable's current value.
func (v *Variable[T]) Get() T {
	var out T
	v.c.mu.Lock()
	defer v.c.mu.Unlock()
	raw, _ := v.m.Lookup(make([]byte, 4))
	decode(raw[v.offset:v.offset+binary.Size(out)], &out)
	return out
}

// Set changes the variable; programs see the new value from their next
// run. Constants (.rodata) cannot be set once loaded: set them on the Spec.
func (v *Variable[T]) Set(value T) error {
	if v.readOnly {
		return fmt.Errorf("%s: variable %s: %w", v.c.spec.name, v.name, ErrReadOnly)
	}
	b := encode(value)
	v.c.mu.Lock()
	defer v.c.mu.Unlock()
	raw, _ := v.m.Lookup(make([]byte, 4))
	copy(raw[v.offset:], b)
	return nil
}

// Constant reports whether the variable lives in a read-only section.
func (v *Variable[T]) Constant() bool { return v.readOnly }

// VariableSpec is a global variable before load: setting it changes the
// value every later Load starts from.
type VariableSpec[T any] struct {
	s        *Spec
	global   int
	name     string
	offset   int
	readOnly bool
}

// Name returns the variable's C name.
func (v *VariableSpec[T]) Name() string { return v.name }

// Constant reports whether the variable lives in a read-only section
// (const volatile globals, the usual way to configure a program).
func (v *VariableSpec[T]) Constant() bool { return v.readOnly }

// Get returns the value loads will start from.
func (v *VariableSpec[T]) Get() T {
	var out T
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	init := v.s.mod.Maps[v.global].Init
	decode(init[v.offset:v.offset+binary.Size(out)], &out)
	return out
}

// Set changes the value loads will start from.
func (v *VariableSpec[T]) Set(value T) {
	b := encode(value)
	v.s.mu.Lock()
	defer v.s.mu.Unlock()
	copy(v.s.mod.Maps[v.global].Init[v.offset:], b)
}

// Binder binds a generated package's typed fields to a Spec or a
// Collection by name, remembering the first error, so that generated code
// checks once.
type Binder struct {
	spec *Spec
	c    *Collection
	err  error
}

// Bind returns a Binder for the Spec's variables.
func (s *Spec) Bind() *Binder { return &Binder{spec: s} }

// Bind returns a Binder for the collection's programs, maps and variables.
func (c *Collection) Bind() *Binder { return &Binder{spec: c.spec, c: c} }

// Err returns the first error of the bindings so far.
func (b *Binder) Err() error { return b.err }

func (b *Binder) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

func (b *Binder) collection() *Collection {
	if b.c == nil {
		b.fail(errors.New("collection: binding a loaded object to a Spec"))
	}
	return b.c
}

// Program binds the program called name.
func (b *Binder) Program(name string) *Program {
	c := b.collection()
	if c == nil {
		return nil
	}
	p, err := c.Program(name)
	if err != nil {
		b.fail(err)
	}
	return p
}

// BindMap binds the map called name, checking that K and V have its key
// and value sizes.
func BindMap[K, V any](b *Binder, name string) *Map[K, V] {
	c := b.collection()
	if c == nil {
		return nil
	}
	m, err := c.hostMap(name)
	if err != nil {
		b.fail(err)
		return nil
	}
	var k K
	var v V
	if err := checkSize(k, m.KeySize, "key"); err != nil {
		b.fail(fmt.Errorf("%s: map %s: %w", c.spec.name, name, err))
		return nil
	}
	if err := checkSize(v, m.ValueSize, "value"); err != nil {
		b.fail(fmt.Errorf("%s: map %s: %w", c.spec.name, name, err))
		return nil
	}
	return &Map[K, V]{c: c, m: m}
}

// BindVariable binds the variable called name, at offset in the global
// section called section.
func BindVariable[T any](b *Binder, name, section string, offset uint32) *Variable[T] {
	c := b.collection()
	if c == nil {
		return nil
	}
	m, err := c.hostGlobal(section)
	if err == nil {
		var t T
		err = checkVariable(t, name, offset, m.ValueSize)
	}
	if err != nil {
		b.fail(fmt.Errorf("%s: %w", c.spec.name, err))
		return nil
	}
	return &Variable[T]{c: c, m: m, name: name, offset: int(offset), readOnly: m.ReadOnly}
}

// BindVariableSpec binds the variable called name, at offset in the global
// section called section, before load.
func BindVariableSpec[T any](b *Binder, name, section string, offset uint32) *VariableSpec[T] {
	s := b.spec
	g, err := s.global(section)
	if err == nil {
		var t T
		err = checkVariable(t, name, offset, s.mod.Maps[g].ValueSize)
	}
	if err != nil {
		b.fail(fmt.Errorf("%s: %w", s.name, err))
		return nil
	}
	return &VariableSpec[T]{s: s, global: g, name: name, offset: int(offset), readOnly: s.mod.Maps[g].ReadOnly}
}

func checkVariable(t any, name string, offset, sectionSize uint32) error {
	n := binary.Size(t)
	if n < 0 {
		return fmt.Errorf("variable %s: %T has no fixed size", name, t)
	}
	if uint64(offset)+uint64(n) > uint64(sectionSize) {
		return fmt.Errorf("variable %s: %d bytes at offset %d overrun its %d-byte section", name, n, offset, sectionSize)
	}
	return nil
}

func checkSize(t any, size uint32, what string) error {
	n := binary.Size(t)
	if n < 0 {
		return fmt.Errorf("%s type %T has no fixed size", what, t)
	}
	if uint32(n) != size {
		return fmt.Errorf("%s type %T is %d bytes, the map's %s %d", what, t, n, what, size)
	}
	return nil
}

// encode returns v in eBPF's (little-endian) layout; v's type was checked
// to have a fixed size when it was bound.
func encode(v any) []byte {
	b, err := binary.Append(nil, binary.LittleEndian, v)
	if err != nil {
		panic(fmt.Sprintf("BUG: collection: encoding %T: %v", v, err))
	}
	return b
}

// decode fills *out from b.
func decode(b []byte, out any) {
	if _, err := binary.Decode(b, binary.LittleEndian, out); err != nil {
		panic(fmt.Sprintf("BUG: collection: decoding %T from %d bytes: %v", out, len(b), err))
	}
}
