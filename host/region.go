package host

import (
	"fmt"
	"sort"
	"unsafe"
)

// Region is a range of host memory a program may access.
type Region struct {
	Addr, Size uint64
	Writable   bool
	// Name says what the region is ("stack", "ctx", "packet", "map counts")
	// so that violations can be explained.
	Name string
	// Stride, when non-zero, splits the region into elements of that many
	// bytes (map values); an access must stay inside one element, because
	// the verifier bounds a map value pointer by its value size.
	Stride uint64
	// Live, when set, reports whether element slot holds a value: an access
	// to a deleted hash element is a use after free.
	Live func(slot uint64) bool

	mem []byte
	// ctx is set on a context region, whose accesses are checked field by
	// field.
	ctx *Context
}

// AccessError is a memory access a program may not make.
type AccessError struct {
	Write      bool
	Addr, Size uint64
	Reason     string
}

func (e *AccessError) Error() string {
	kind := "read"
	if e.Write {
		kind = "write"
	}
	return fmt.Sprintf("invalid %s of %d bytes at %#x: %s", kind, e.Size, e.Addr, e.Reason)
}

func accessError(addr, n uint64, write bool, format string, args ...any) error {
	return &AccessError{Write: write, Addr: addr, Size: n, Reason: fmt.Sprintf(format, args...)}
}

// Contains reports whether addr lies in r.
func (r *Region) Contains(addr uint64) bool { return addr-r.Addr < r.Size }

// Bytes returns the n bytes at addr after checking that r allows the access.
// The slice aliases the region's memory.
func (r *Region) Bytes(addr, n uint64, write bool) ([]byte, error) {
	off := addr - r.Addr
	if off >= r.Size || n > r.Size-off {
		return nil, accessError(addr, n, write, "outside %s (%d bytes at %#x)", r.Name, r.Size, r.Addr)
	}
	if r.ctx != nil {
		if err := r.ctx.checkFields(off, n, write); err != nil {
			return nil, accessError(addr, n, write, "%s", err)
		}
	} else if write && !r.Writable {
		return nil, accessError(addr, n, write, "%s is read-only", r.Name)
	}
	if r.Stride != 0 {
		slot, in := off/r.Stride, off%r.Stride
		if n > r.Stride-in {
			return nil, accessError(addr, n, write, "crosses the end of %s element %d (%d bytes each)", r.Name, slot, r.Stride)
		}
		if r.Live != nil && !r.Live(slot) {
			return nil, accessError(addr, n, write, "%s element %d has been deleted", r.Name, slot)
		}
	}
	return r.mem[off : off+n : off+n], nil
}

// Window returns the span of r around addr inside which Bytes accepts every
// read, so that an engine can cache it and check later accesses with two
// comparisons: the whole region, or for a strided region the one live
// element holding addr. Writes are accepted in the span too when writable
// is set. ok is false when addr is outside r, when r is a context (checked
// field by field) or when addr's element has been deleted. A window goes
// stale when an element is deleted or reinserted, so engines must drop it
// whenever something that may change the map runs (a helper call).
func (r *Region) Window(addr uint64) (lo uint64, b []byte, writable, ok bool) {
	off := addr - r.Addr
	if off >= r.Size || r.ctx != nil {
		return 0, nil, false, false
	}
	start, end := uint64(0), r.Size
	if r.Stride != 0 {
		slot := off / r.Stride
		if r.Live != nil && !r.Live(slot) {
			return 0, nil, false, false
		}
		start = slot * r.Stride
		end = min(start+r.Stride, r.Size)
	}
	return r.Addr + start, r.mem[start:end:end], r.Writable, true
}

// RegionSet finds the region holding an address among regions that do not
// overlap.
type RegionSet struct {
	regions []Region // sorted by Addr
}

// NewRegionSet collects regions; empty regions are dropped since nothing can
// be accessed in them.
func NewRegionSet(lists ...[]Region) *RegionSet {
	s := &RegionSet{}
	for _, l := range lists {
		for _, r := range l {
			if r.Size != 0 {
				s.regions = append(s.regions, r)
			}
		}
	}
	sort.Slice(s.regions, func(i, j int) bool { return s.regions[i].Addr < s.regions[j].Addr })
	return s
}

// Find returns the region containing addr, or nil.
func (s *RegionSet) Find(addr uint64) *Region {
	i := sort.Search(len(s.regions), func(i int) bool { return s.regions[i].Addr > addr }) - 1
	if i < 0 || !s.regions[i].Contains(addr) {
		return nil
	}
	return &s.regions[i]
}

// Below returns the region starting closest below or at addr, or nil.
func (s *RegionSet) Below(addr uint64) *Region {
	i := sort.Search(len(s.regions), func(i int) bool { return s.regions[i].Addr > addr }) - 1
	if i < 0 {
		return nil
	}
	return &s.regions[i]
}

// Regions returns the set's regions in address order.
func (s *RegionSet) Regions() []Region { return s.regions }

// Bytes checks an access against the set and returns the memory.
func (s *RegionSet) Bytes(addr, n uint64, write bool) ([]byte, error) {
	r := s.Find(addr)
	if r == nil {
		if addr < 4096 {
			return nil, accessError(addr, n, write, "null pointer dereference")
		}
		return nil, accessError(addr, n, write, "outside every region")
	}
	return r.Bytes(addr, n, write)
}

// addrOf is the address eBPF code uses for b's first byte. b must have a
// non-zero capacity, or distinct buffers could share an address.
func addrOf(b []byte) uint64 {
	if cap(b) == 0 {
		panic("BUG: address of an empty buffer")
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// Addr returns the address eBPF code sees for b's first byte; b must have a
// non-zero capacity.
func Addr(b []byte) uint64 { return addrOf(b) }

// Memory gives helpers the memory behind their pointer arguments. The
// interpreter's implementation checks every access; native code supplies an
// unchecked one.
type Memory interface {
	Bytes(addr, n uint64, write bool) ([]byte, error)
}

// alloc returns n zero bytes at an 8-byte aligned address. Go's allocator
// aligns small odd-sized objects less, which would make a program's
// alignment (and so whether its atomics fault) vary between runs.
func alloc(n uint64) []byte {
	return make([]byte, n, max((n+7)&^7, 16))
}
