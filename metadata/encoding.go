package metadata

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Magic opens every encoded Metadata; Version is the newest layout Marshal
// writes (see doc.go for the layout). Marshal writes version 1 for
// metadata without a helper-id table, so objects that do not use callx
// read as they always did; Unmarshal reads both.
const (
	Magic   = "B2NMETA\x00"
	Version = 2
)

// headerSize is the magic, the version and the body length.
const headerSize = len(Magic) + 4 + 4

// ErrFormat is wrapped by every error Unmarshal returns for bytes that are
// not a well-formed encoding.
var ErrFormat = errors.New("malformed bpf2native metadata")

// Marshal encodes m in the layout doc.go describes. It fails only for
// metadata that Validate rejects or that does not fit the layout's 32-bit
// fields.
func Marshal(m *Metadata) ([]byte, error) {
	if m == nil {
		return nil, errors.New("metadata: nil")
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	e := &encoder{}
	e.str(m.Platform)
	e.str(m.Arch)
	e.str(m.ABI)
	e.buf.Write(m.SourceSHA256[:])
	e.count(len(m.Programs))
	for i := range m.Programs {
		p := &m.Programs[i]
		e.str(p.Name)
		e.str(p.Section)
		e.str(p.Type)
		e.str(p.Entry)
		e.count(len(p.Helpers))
		for _, h := range p.Helpers {
			e.u32(uint32(h))
		}
		e.indices(p.Maps)
		e.indices(p.Globals)
	}
	e.count(len(m.Maps))
	for i := range m.Maps {
		e.mapDef(&m.Maps[i])
	}
	e.count(len(m.Globals))
	for _, g := range m.Globals {
		e.str(g.Name)
		e.u32(g.Size)
		e.bool(g.ReadOnly)
		e.bytes(g.Init)
	}
	e.count(len(m.Helpers))
	for _, h := range m.Helpers {
		e.u32(uint32(h.ID))
		e.str(h.Name)
	}
	e.count(len(m.Slots))
	for _, s := range m.Slots {
		e.buf.WriteByte(byte(s.Kind))
		e.u32(uint32(s.Index))
	}
	version := uint32(1)
	if m.HelperIDSlots != 0 {
		version = 2
		e.u32(uint32(m.HelperIDSlots))
	}
	if e.err != nil {
		return nil, fmt.Errorf("metadata: %w", e.err)
	}
	body := e.buf.Bytes()
	if uint64(len(body)) > math.MaxUint32 {
		return nil, fmt.Errorf("metadata: %d bytes exceed the 32-bit length field", len(body))
	}
	out := make([]byte, 0, headerSize+len(body))
	out = append(out, Magic...)
	out = binary.LittleEndian.AppendUint32(out, version)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(body)))
	return append(out, body...), nil
}

type encoder struct {
	buf bytes.Buffer
	err error
}

func (e *encoder) u32(v uint32) {
	e.buf.Write(binary.LittleEndian.AppendUint32(nil, v))
}

func (e *encoder) count(n int) {
	if uint64(n) > math.MaxUint32 {
		if e.err == nil {
			e.err = fmt.Errorf("%d elements exceed a 32-bit count", n)
		}
		n = 0
	}
	e.u32(uint32(n))
}

func (e *encoder) bool(b bool) {
	if b {
		e.buf.WriteByte(1)
	} else {
		e.buf.WriteByte(0)
	}
}

func (e *encoder) bytes(b []byte) {
	e.count(len(b))
	e.buf.Write(b)
}

func (e *encoder) str(s string) {
	e.count(len(s))
	e.buf.WriteString(s)
}

func (e *encoder) indices(xs []int) {
	e.count(len(xs))
	for _, x := range xs {
		e.u32(uint32(x))
	}
}

func (e *encoder) mapDef(m *Map) {
	e.str(m.Name)
	e.u32(m.Type)
	e.str(m.Kind)
	e.u32(m.KeySize)
	e.u32(m.ValueSize)
	e.u32(m.MaxEntries)
	e.u32(m.Flags)
	e.u32(m.Pinning)
	e.count(len(m.Entries))
	for _, en := range m.Entries {
		e.u32(en.Key)
		e.str(en.Value)
		e.bytes(en.Data)
	}
	e.bool(m.Inner != nil)
	if m.Inner != nil {
		e.mapDef(m.Inner)
	}
}

// Unmarshal decodes what Marshal wrote. Any input, however corrupt, yields
// an error wrapping ErrFormat rather than a panic, and no allocation exceeds
// a small multiple of len(data): every count is checked against the bytes
// left before anything is allocated for it.
func Unmarshal(data []byte) (*Metadata, error) {
	if len(data) < headerSize {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrFormat, len(data), headerSize)
	}
	if string(data[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("%w: bad magic %q", ErrFormat, data[:len(Magic)])
	}
	version := binary.LittleEndian.Uint32(data[len(Magic):])
	if version < 1 || version > Version {
		return nil, fmt.Errorf("%w: version %d, this build reads versions 1 to %d", ErrFormat, version, Version)
	}
	n := binary.LittleEndian.Uint32(data[len(Magic)+4:])
	if uint64(n) != uint64(len(data)-headerSize) {
		return nil, fmt.Errorf("%w: header gives a %d-byte body, %d bytes follow it", ErrFormat, n, len(data)-headerSize)
	}
	d := &decoder{data: data[headerSize:]}
	m := &Metadata{}
	m.Platform = d.str("platform")
	m.Arch = d.str("arch")
	m.ABI = d.str("abi")
	copy(m.SourceSHA256[:], d.take(32, "source hash"))

	// Minimum encoded sizes bound each count by the bytes left.
	const (
		minProgram = 4*4 + 3*4
		minMap     = 2*4 + 6*4 + 4 + 1
		minGlobal  = 4 + 4 + 1 + 4
		minHelper  = 4 + 4
		minSlot    = 1 + 4
	)
	if k := d.count(minProgram, "programs"); k > 0 {
		m.Programs = make([]Program, k)
		for i := range m.Programs {
			p := &m.Programs[i]
			p.Name = d.str("program name")
			p.Section = d.str("program section")
			p.Type = d.str("program type")
			p.Entry = d.str("program entry")
			if h := d.count(4, "program helpers"); h > 0 {
				p.Helpers = make([]int32, h)
				for j := range p.Helpers {
					p.Helpers[j] = int32(d.u32("program helper"))
				}
			}
			p.Maps = d.indices("program maps")
			p.Globals = d.indices("program globals")
		}
	}
	if k := d.count(minMap, "maps"); k > 0 {
		m.Maps = make([]Map, k)
		for i := range m.Maps {
			d.mapDef(&m.Maps[i], 0)
		}
	}
	if k := d.count(minGlobal, "globals"); k > 0 {
		m.Globals = make([]Global, k)
		for i := range m.Globals {
			g := &m.Globals[i]
			g.Name = d.str("global name")
			g.Size = d.u32("global size")
			g.ReadOnly = d.bool("global read-only flag")
			g.Init = d.bytes("global initial bytes")
		}
	}
	if k := d.count(minHelper, "helpers"); k > 0 {
		m.Helpers = make([]Helper, k)
		for i := range m.Helpers {
			m.Helpers[i].ID = int32(d.u32("helper id"))
			m.Helpers[i].Name = d.str("helper name")
		}
	}
	if k := d.count(minSlot, "slots"); k > 0 {
		m.Slots = make([]Slot, k)
		for i := range m.Slots {
			m.Slots[i].Kind = SlotKind(d.take(1, "slot kind")[0])
			m.Slots[i].Index = d.index("slot index")
		}
	}
	if version >= 2 {
		if m.HelperIDSlots = int(d.u32("helper-id slots")); m.HelperIDSlots == 0 {
			d.fail("helper-id slots", "version 2 with an empty helper-id table")
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(d.data) != d.off {
		return nil, fmt.Errorf("%w: %d bytes after the last field", ErrFormat, len(d.data)-d.off)
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	return m, nil
}

// decoder reads fields until the first error, after which every read
// returns a zero value, so Unmarshal can check once at the end.
type decoder struct {
	data []byte
	off  int
	err  error
}

func (d *decoder) fail(what, format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at body offset %d: %s", ErrFormat, what, d.off, fmt.Sprintf(format, args...))
	}
}

// zeros stands in for fields read after an error.
var zeros [32]byte

func (d *decoder) take(n int, what string) []byte {
	if d.err != nil {
		return zeros[:min(n, len(zeros))]
	}
	if n < 0 || n > len(d.data)-d.off {
		d.fail(what, "needs %d bytes, %d left", n, len(d.data)-d.off)
		return zeros[:min(max(n, 0), len(zeros))]
	}
	b := d.data[d.off : d.off+n : d.off+n]
	d.off += n
	return b
}

func (d *decoder) u32(what string) uint32 {
	b := d.take(4, what)
	if d.err != nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *decoder) bool(what string) bool {
	b := d.take(1, what)
	if d.err != nil {
		return false
	}
	if b[0] > 1 {
		d.fail(what, "%d is not 0 or 1", b[0])
	}
	return b[0] == 1
}

// count reads an element count and checks that that many elements of at
// least minSize bytes each fit in what is left.
func (d *decoder) count(minSize int, what string) int {
	n := d.u32(what)
	if d.err != nil {
		return 0
	}
	left := uint64(len(d.data) - d.off)
	if uint64(n)*uint64(minSize) > left {
		d.fail(what, "%d elements of at least %d bytes do not fit in the %d bytes left", n, minSize, left)
		return 0
	}
	return int(n)
}

func (d *decoder) bytes(what string) []byte {
	n := d.count(1, what)
	if n == 0 {
		return nil
	}
	return bytes.Clone(d.take(n, what))
}

func (d *decoder) str(what string) string {
	n := d.count(1, what)
	if n == 0 {
		return ""
	}
	return string(d.take(n, what))
}

func (d *decoder) index(what string) int {
	v := d.u32(what)
	if v > math.MaxInt32 {
		d.fail(what, "%d is out of range", v)
		return 0
	}
	return int(v)
}

func (d *decoder) indices(what string) []int {
	n := d.count(4, what)
	if n == 0 {
		return nil
	}
	xs := make([]int, n)
	for i := range xs {
		xs[i] = d.index(what)
	}
	return xs
}

func (d *decoder) mapDef(m *Map, depth int) {
	m.Name = d.str("map name")
	m.Type = d.u32("map type")
	m.Kind = d.str("map kind")
	m.KeySize = d.u32("map key size")
	m.ValueSize = d.u32("map value size")
	m.MaxEntries = d.u32("map max entries")
	m.Flags = d.u32("map flags")
	m.Pinning = d.u32("map pinning")
	if k := d.count(4+4+4, "map entries"); k > 0 {
		m.Entries = make([]Entry, k)
		for i := range m.Entries {
			e := &m.Entries[i]
			e.Key = d.u32("entry key")
			e.Value = d.str("entry value name")
			e.Data = d.bytes("entry data")
		}
	}
	if d.bool("map inner flag") {
		if depth >= maxInnerDepth {
			d.fail("map "+m.Name, "inner maps nest deeper than %d", maxInnerDepth)
			return
		}
		m.Inner = &Map{}
		d.mapDef(m.Inner, depth+1)
	}
}
