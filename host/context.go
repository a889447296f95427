package host

import (
	"encoding/binary"
	"fmt"

	"github.com/bpf2native/bpf2native/platform"
)

// Context is what one program run gets in r1: the context structure of its
// program type and the packet the structure points into.
type Context struct {
	// Type is the program type the context was built for; nil for a raw
	// memory context.
	Type *platform.ProgramType

	ctx    []byte
	packet []byte
	// field maps each ctx byte to the index of the field holding it, or -1.
	field []int16
	// virtual maps the offset of each 32-bit packet pointer field to the
	// 64-bit pointer a 4-byte load of it yields.
	virtual map[uint64]uint64
	r1, r2  uint64
	regions []Region
}

// NewContext builds the context of a run of a program of type pt over
// packet: a pt.Context.Size-byte structure, initialised from init when given,
// whose packet fields point into a private copy of packet.
func NewContext(pt *platform.ProgramType, packet []byte, init []byte) (*Context, error) {
	size := pt.Context.Size
	if size <= 0 || size > 1<<16 {
		return nil, fmt.Errorf("program type %s: context size %d is out of range", pt.Name, size)
	}
	if len(init) > size {
		return nil, fmt.Errorf("program type %s: initial context of %d bytes exceeds its %d-byte size", pt.Name, len(init), size)
	}
	c := &Context{Type: pt, ctx: alloc(uint64(size)), field: make([]int16, size), virtual: map[uint64]uint64{}}
	copy(c.ctx, init)
	c.packet = alloc(uint64(len(packet)))
	copy(c.packet, packet)
	for i := range c.field {
		c.field[i] = -1
	}
	start := addrOf(c.packet)
	end := start + uint64(len(packet))
	for i, f := range pt.Context.Fields {
		for b := f.Offset; b < f.Offset+f.Size; b++ {
			c.field[b] = int16(i)
		}
		var ptr uint64
		switch f.Kind {
		case platform.FieldPacket, platform.FieldPacketMeta:
			ptr = start
		case platform.FieldPacketEnd:
			ptr = end
		default:
			continue
		}
		switch f.Size {
		case 8:
			binary.LittleEndian.PutUint64(c.ctx[f.Offset:], ptr)
		case 4:
			// The kernel rewrites a load of a 32-bit data field into a
			// load of the real pointer; engines do the same through
			// Virtual. The bytes hold the low half for whoever reads them
			// some other way.
			binary.LittleEndian.PutUint32(c.ctx[f.Offset:], uint32(ptr))
			c.virtual[uint64(f.Offset)] = ptr
		default:
			return nil, fmt.Errorf("program type %s: packet field %s is %d bytes, not 4 or 8", pt.Name, f.Name, f.Size)
		}
	}
	c.r1 = addrOf(c.ctx)
	c.regions = []Region{
		{Addr: c.r1, Size: uint64(size), Writable: true, Name: "ctx", mem: c.ctx, ctx: c},
		{Addr: start, Size: uint64(len(packet)), Writable: true, Name: "packet", mem: c.packet},
	}
	return c, nil
}

// NewMemoryContext is the conformance suite's context: r1 points to a
// private, writable copy of mem and r2 holds its length. The copy is also
// the packet legacy packet loads read.
func NewMemoryContext(mem []byte) *Context {
	c := &Context{packet: alloc(uint64(len(mem)))}
	copy(c.packet, mem)
	c.r1, c.r2 = addrOf(c.packet), uint64(len(mem))
	c.regions = []Region{{Addr: c.r1, Size: uint64(len(mem)), Writable: true, Name: "memory", mem: c.packet}}
	return c
}

// R1 is the value of r1 on entry: the context's address.
func (c *Context) R1() uint64 { return c.r1 }

// R2 is the value of r2 on entry: the memory's length for a memory context,
// zero otherwise.
func (c *Context) R2() uint64 { return c.r2 }

// Regions returns the context's memory: the structure (accessible only
// through its fields) and the packet.
func (c *Context) Regions() []Region { return c.regions }

// Packet returns the packet bytes, as the program left them.
func (c *Context) Packet() []byte { return c.packet }

// Data returns the context structure's bytes; nil for a memory context.
func (c *Context) Data() []byte { return c.ctx }

// Virtual returns the pointer a load of n bytes at addr yields if addr is a
// 32-bit packet pointer field loaded whole.
func (c *Context) Virtual(addr, n uint64) (uint64, bool) {
	if n != 4 || c.ctx == nil {
		return 0, false
	}
	v, ok := c.virtual[addr-c.r1]
	return v, ok
}

// IsContext reports whether r is a context structure, whose accesses are
// checked field by field (and which an engine must not treat as plain
// memory).
func (r *Region) IsContext() bool { return r.ctx != nil }

// Context returns the context a context region belongs to.
func (r *Region) Context() *Context { return r.ctx }

// checkFields checks an access to bytes [off, off+n) of the structure.
func (c *Context) checkFields(off, n uint64, write bool) error {
	fields := c.Type.Context.Fields
	for b := off; b < off+n; b++ {
		fi := c.field[b]
		if fi < 0 {
			return fmt.Errorf("ctx offset %d is not in any field of %s's context", b, c.Type.Name)
		}
		f := &fields[fi]
		if write && !f.Writable {
			return fmt.Errorf("ctx field %s is read-only", f.Name)
		}
		if f.Kind != platform.FieldScalar && (off != uint64(f.Offset) || n != uint64(f.Size)) {
			return fmt.Errorf("ctx field %s is a pointer and can only be loaded whole", f.Name)
		}
	}
	return nil
}
