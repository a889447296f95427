package platform

import (
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/bpf2native/bpf2native/ir"
)

// Windows and Linux name the built-in platforms.
const (
	Windows = "windows"
	Linux   = "linux"
)

// Platform is one runtime's description.
type Platform struct {
	Name         string
	ProgramTypes []*ProgramType
	// MapKinds translates the platform's map type numbers.
	MapKinds map[uint32]ir.MapKind
	Helpers  map[int32]*Helper
}

// ProgramType is a hook programs attach to.
type ProgramType struct {
	Name string
	// Sections are the ELF section names that select this type: "xdp"
	// matches "xdp" and "xdp/anything"; a name ending in "/" matches every
	// section it prefixes.
	Sections []string
	// ResultBits is how much of r0 the runtime delivers: 32 for hooks whose
	// verdict is a 32-bit value, 64 where the whole register is the result.
	ResultBits int
	// Results, if set, are the verdicts the runtime defines for the hook:
	// the program's result (the low ResultBits bits of r0, read as a
	// signed integer) must lie in [Results.Min, Results.Max]. Nil allows
	// any value.
	Results *ResultRange
	Context Context
	// ProgramInfo is what ebpf-for-windows' program information adds to
	// the context layout; nil where the platform has none (Linux) or the
	// description gives none.
	ProgramInfo *ProgramInfo
}

// ResultRange is an inclusive range of signed results.
type ResultRange struct {
	Min, Max int64
}

// Contains reports whether v is in r.
func (r ResultRange) Contains(v int64) bool { return r.Min <= v && v <= r.Max }

// Context is the layout of the structure r1 points to on entry.
type Context struct {
	Size   int
	Fields []Field
}

// FieldKind says what a context field holds.
type FieldKind string

const (
	// FieldScalar is plain data.
	FieldScalar FieldKind = "scalar"
	// FieldPacket points at the first byte of the packet (data).
	FieldPacket FieldKind = "packet"
	// FieldPacketEnd points one past the packet's last byte (data_end).
	FieldPacketEnd FieldKind = "packet_end"
	// FieldPacketMeta points at the metadata before the packet (data_meta).
	FieldPacketMeta FieldKind = "packet_meta"
)

// Field is one member of a context.
type Field struct {
	Name   string    `json:"name"`
	Offset int       `json:"offset"`
	Size   int       `json:"size"`
	Kind   FieldKind `json:"kind"`
	// Writable fields may be stored to by the program.
	Writable bool `json:"writable,omitempty"`
}

// FieldOf returns the first field of kind k, if any.
func (c *Context) FieldOf(k FieldKind) (Field, bool) {
	for _, f := range c.Fields {
		if f.Kind == k {
			return f, true
		}
	}
	return Field{}, false
}

// Helper is a helper function the runtime offers.
type Helper struct {
	ID   int32  `json:"id"`
	Name string `json:"name"`
	// Args and Ret are the helper's prototype, what the verifier checks a
	// call against; a helper without Ret has no prototype and may not be
	// called. Args lists r1, r2, ... in order; registers beyond it are not
	// read.
	Args []ArgKind `json:"args,omitempty"`
	Ret  RetKind   `json:"ret,omitempty"`
	// RetSizeArg is, for a Ret of RetMemOrNull, the index into Args of the
	// constant argument giving the returned memory's size.
	RetSizeArg int `json:"ret_size_arg,omitempty"`
	// ChangesPacket marks helpers that may move or resize the packet,
	// after which every packet pointer the program holds is stale.
	ChangesPacket bool `json:"changes_packet,omitempty"`
	// ProgramInfo is the prototype ebpf-for-windows' program information
	// gives the helper, which the program-info hash covers.
	ProgramInfo *HelperInfo `json:"program_info,omitempty"`
}

// HasPrototype reports whether the helper's prototype is known.
func (h *Helper) HasPrototype() bool { return h.Ret != "" }

// ArgKind says what a helper argument must be.
type ArgKind string

const (
	// ArgAnything is any initialised value, pointers included (the helper
	// only prints or compares it).
	ArgAnything ArgKind = "anything"
	// ArgScalar is a number.
	ArgScalar ArgKind = "scalar"
	// ArgCtx is the program's context pointer, unmoved.
	ArgCtx ArgKind = "ctx"
	// ArgMap is a map, as an lddw of a map gives it.
	ArgMap ArgKind = "map"
	// ArgProgArray is a program-array map (tail calls).
	ArgProgArray ArgKind = "prog_array"
	// ArgMapKey points to the map's key size of initialised memory; the
	// map is the nearest preceding ArgMap or ArgProgArray argument.
	ArgMapKey ArgKind = "map_key"
	// ArgMapValue points to the map's value size of initialised memory.
	ArgMapValue ArgKind = "map_value"
	// ArgUninitMapValue points to the map's value size of writable memory
	// that the helper fills.
	ArgUninitMapValue ArgKind = "uninit_map_value"
	// ArgMem points to initialised readable memory whose size is the next
	// argument (an ArgSize or ArgSizeOrZero).
	ArgMem ArgKind = "mem"
	// ArgMemOrNull is ArgMem or a null pointer (then the size is 0).
	ArgMemOrNull ArgKind = "mem_or_null"
	// ArgUninitMem points to writable memory, which may be uninitialised,
	// of the size the next argument gives; the helper fills it.
	ArgUninitMem ArgKind = "uninit_mem"
	// ArgSize is a number in [1, ...]: the size of the previous argument.
	ArgSize ArgKind = "size"
	// ArgSizeOrZero is a number in [0, ...].
	ArgSizeOrZero ArgKind = "size_or_zero"
	// ArgConstSize is a constant number, the size of memory the helper
	// returns (see RetSizeArg).
	ArgConstSize ArgKind = "const_size"
)

// RetKind says what a helper leaves in r0.
type RetKind string

const (
	// RetScalar is a number.
	RetScalar RetKind = "scalar"
	// RetMapValueOrNull points to a value of the map the first argument
	// names, or is null.
	RetMapValueOrNull RetKind = "map_value_or_null"
	// RetMemOrNull points to memory of the size argument RetSizeArg gives,
	// or is null.
	RetMemOrNull RetKind = "mem_or_null"
	// RetOpaqueOrNull is a pointer the program may compare with null and
	// pass back to helpers but not dereference (sockets, tasks).
	RetOpaqueOrNull RetKind = "opaque_or_null"
)

func (k ArgKind) valid() bool {
	switch k {
	case ArgAnything, ArgScalar, ArgCtx, ArgMap, ArgProgArray, ArgMapKey, ArgMapValue, ArgUninitMapValue,
		ArgMem, ArgMemOrNull, ArgUninitMem, ArgSize, ArgSizeOrZero, ArgConstSize:
		return true
	}
	return false
}

// IsMem reports whether k is a pointer sized by the next argument.
func (k ArgKind) IsMem() bool { return k == ArgMem || k == ArgMemOrNull || k == ArgUninitMem }

// IsSize reports whether k is the size of the previous argument.
func (k ArgKind) IsSize() bool { return k == ArgSize || k == ArgSizeOrZero }

// checkPrototype reports what is inconsistent in h's prototype.
func (h *Helper) checkPrototype() error {
	if h.Ret == "" {
		if len(h.Args) > 0 || h.RetSizeArg != 0 || h.ChangesPacket {
			return fmt.Errorf("helper %d (%s): args without ret", h.ID, h.Name)
		}
		return nil
	}
	switch h.Ret {
	case RetScalar, RetMapValueOrNull, RetMemOrNull, RetOpaqueOrNull:
	default:
		return fmt.Errorf("helper %d (%s): unknown return kind %q", h.ID, h.Name, h.Ret)
	}
	if len(h.Args) > 5 {
		return fmt.Errorf("helper %d (%s): %d arguments, at most 5", h.ID, h.Name, len(h.Args))
	}
	hasMap := false
	for i, a := range h.Args {
		switch {
		case !a.valid():
			return fmt.Errorf("helper %d (%s): argument %d: unknown kind %q", h.ID, h.Name, i+1, a)
		case a.IsMem() && (i+1 >= len(h.Args) || !h.Args[i+1].IsSize()):
			return fmt.Errorf("helper %d (%s): argument %d (%s) must be followed by its size", h.ID, h.Name, i+1, a)
		case a.IsSize() && (i == 0 || !h.Args[i-1].IsMem()):
			return fmt.Errorf("helper %d (%s): argument %d (%s) follows no memory argument", h.ID, h.Name, i+1, a)
		case (a == ArgMapKey || a == ArgMapValue || a == ArgUninitMapValue) && !hasMap:
			return fmt.Errorf("helper %d (%s): argument %d (%s) follows no map argument", h.ID, h.Name, i+1, a)
		}
		if a == ArgMap || a == ArgProgArray {
			hasMap = true
		}
	}
	if h.Ret == RetMapValueOrNull && !hasMap {
		return fmt.Errorf("helper %d (%s): returns a map value but takes no map", h.ID, h.Name)
	}
	if h.Ret == RetMemOrNull {
		if h.RetSizeArg < 0 || h.RetSizeArg >= len(h.Args) || h.Args[h.RetSizeArg] != ArgConstSize {
			return fmt.Errorf("helper %d (%s): ret_size_arg must name a const_size argument", h.ID, h.Name)
		}
	} else if h.RetSizeArg != 0 {
		return fmt.Errorf("helper %d (%s): ret_size_arg without a mem_or_null return", h.ID, h.Name)
	}
	return nil
}

// ProgramTypeFor returns the program type a section selects, or nil.
func (p *Platform) ProgramTypeFor(section string) *ProgramType {
	for _, t := range p.ProgramTypes {
		for _, s := range t.Sections {
			if section == s || strings.HasPrefix(section, s+"/") ||
				(strings.HasSuffix(s, "/") && strings.HasPrefix(section, s)) {
				return t
			}
		}
	}
	return nil
}

// ProgramType returns the program type called name, or nil.
func (p *Platform) ProgramType(name string) *ProgramType {
	for _, t := range p.ProgramTypes {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// HelperName returns the name of helper id, or "" if the platform has none.
func (p *Platform) HelperName(id int32) string {
	if h := p.Helpers[id]; h != nil {
		return h.Name
	}
	return ""
}

// file is the on-disk form; see FORMAT.md.
type file struct {
	Platform     string            `json:"platform"`
	MapTypes     map[string]string `json:"map_types"`
	ProgramTypes []struct {
		Name       string   `json:"name"`
		Sections   []string `json:"sections"`
		ResultBits int      `json:"result_bits"`
		// ResultRange is [min, max]; see ProgramType.Results.
		ResultRange []int64 `json:"result_range"`
		Context     struct {
			Size   int     `json:"size"`
			Fields []Field `json:"fields"`
		} `json:"context"`
		ProgramInfo *struct {
			Name                   string  `json:"name"`
			GUID                   string  `json:"guid"`
			BPFProgType            uint32  `json:"bpf_prog_type"`
			Privileged             bool    `json:"is_privileged"`
			ImplicitContextHelpers []int32 `json:"implicit_context_helpers"`
		} `json:"program_info"`
	} `json:"program_types"`
	Helpers []Helper `json:"helpers"`
}

//go:embed windows.json linux.json
var builtin embed.FS

var (
	builtinOnce sync.Once
	builtinErr  error
	builtins    map[string]*Platform
)

// Get returns a built-in platform by name.
func Get(name string) (*Platform, error) {
	builtinOnce.Do(func() {
		builtins = map[string]*Platform{}
		for _, n := range []string{Windows, Linux} {
			data, err := builtin.ReadFile(n + ".json")
			if err == nil {
				var p *Platform
				p, err = parse(n+".json", data, &Platform{Name: n, MapKinds: map[uint32]ir.MapKind{}, Helpers: map[int32]*Helper{}})
				builtins[n] = p
			}
			if err != nil {
				builtinErr = fmt.Errorf("BUG: built-in platform %s: %w", n, err)
				return
			}
		}
	})
	if builtinErr != nil {
		return nil, builtinErr
	}
	p := builtins[name]
	if p == nil {
		return nil, fmt.Errorf("unknown platform %q (known: windows, linux)", name)
	}
	return p, nil
}

// Extend returns a copy of base with the program types, helpers and map
// types of the description file at path added. A program type or helper
// that base already has is an error: extensions add hooks, they do not
// redefine the runtime's own.
func Extend(base *Platform, path string) (*Platform, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p := &Platform{
		Name:         base.Name,
		ProgramTypes: append([]*ProgramType(nil), base.ProgramTypes...),
		MapKinds:     map[uint32]ir.MapKind{},
		Helpers:      map[int32]*Helper{},
	}
	for k, v := range base.MapKinds {
		p.MapKinds[k] = v
	}
	for k, v := range base.Helpers {
		p.Helpers[k] = v
	}
	return parse(path, data, p)
}

func parse(name string, data []byte, into *Platform) (*Platform, error) {
	var f file
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if f.Platform != "" && f.Platform != into.Name {
		return nil, fmt.Errorf("%s: describes platform %q, not %q", name, f.Platform, into.Name)
	}
	numbers := make([]string, 0, len(f.MapTypes))
	for n := range f.MapTypes {
		numbers = append(numbers, n)
	}
	sort.Strings(numbers)
	for _, n := range numbers {
		var num uint32
		if _, err := fmt.Sscan(n, &num); err != nil {
			return nil, fmt.Errorf("%s: map type number %q: %w", name, n, err)
		}
		kind, ok := ir.MapKindByName(f.MapTypes[n])
		if !ok {
			return nil, fmt.Errorf("%s: map type %s: unknown kind %q", name, n, f.MapTypes[n])
		}
		into.MapKinds[num] = kind
	}
	for _, t := range f.ProgramTypes {
		if t.Name == "" || len(t.Sections) == 0 {
			return nil, fmt.Errorf("%s: a program type needs a name and sections", name)
		}
		if into.ProgramType(t.Name) != nil {
			return nil, fmt.Errorf("%s: program type %s is already defined", name, t.Name)
		}
		if t.ResultBits != 32 && t.ResultBits != 64 {
			return nil, fmt.Errorf("%s: program type %s: result_bits must be 32 or 64", name, t.Name)
		}
		pt := &ProgramType{Name: t.Name, Sections: t.Sections, ResultBits: t.ResultBits,
			Context: Context{Size: t.Context.Size, Fields: t.Context.Fields}}
		if t.ResultRange != nil {
			r := t.ResultRange
			lo, hi := int64(-1)<<(t.ResultBits-1), int64(1)<<(t.ResultBits-1)-1
			if t.ResultBits == 64 {
				lo, hi = -1<<63, 1<<63-1
			}
			if len(r) != 2 || r[0] > r[1] || r[0] < lo || r[1] > hi {
				return nil, fmt.Errorf("%s: program type %s: result_range must be [min, max] with min <= max, signed %d-bit values", name, t.Name, t.ResultBits)
			}
			pt.Results = &ResultRange{Min: r[0], Max: r[1]}
		}
		if pi := t.ProgramInfo; pi != nil {
			if pi.Name == "" {
				return nil, fmt.Errorf("%s: program type %s: program_info has no name", name, t.Name)
			}
			guid, err := ParseGUID(pi.GUID)
			if err != nil {
				return nil, fmt.Errorf("%s: program type %s: program_info: %w", name, t.Name, err)
			}
			pt.ProgramInfo = &ProgramInfo{Name: pi.Name, GUID: guid, BPFProgType: pi.BPFProgType,
				Privileged: pi.Privileged, ImplicitContextHelpers: pi.ImplicitContextHelpers}
		}
		for _, fld := range pt.Context.Fields {
			switch fld.Kind {
			case FieldScalar, FieldPacket, FieldPacketEnd, FieldPacketMeta:
			default:
				return nil, fmt.Errorf("%s: program type %s: field %s: unknown kind %q", name, t.Name, fld.Name, fld.Kind)
			}
			if fld.Offset < 0 || fld.Size <= 0 || fld.Offset+fld.Size > pt.Context.Size {
				return nil, fmt.Errorf("%s: program type %s: field %s lies outside the %d-byte context", name, t.Name, fld.Name, pt.Context.Size)
			}
		}
		into.ProgramTypes = append(into.ProgramTypes, pt)
	}
	for i := range f.Helpers {
		h := f.Helpers[i]
		if err := h.checkPrototype(); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if h.ProgramInfo != nil {
			if err := h.ProgramInfo.check(); err != nil {
				return nil, fmt.Errorf("%s: helper %d (%s): %w", name, h.ID, h.Name, err)
			}
		}
		if into.Helpers[h.ID] != nil {
			return nil, fmt.Errorf("%s: helper %d is already defined as %s", name, h.ID, into.Helpers[h.ID].Name)
		}
		into.Helpers[h.ID] = &h
	}
	for _, t := range into.ProgramTypes {
		if t.ProgramInfo == nil {
			continue
		}
		for _, id := range t.ProgramInfo.ImplicitContextHelpers {
			if into.Helpers[id] == nil {
				return nil, fmt.Errorf("%s: program type %s: implicit_context_helpers names helper %d, which the platform does not have", name, t.Name, id)
			}
		}
	}
	return into, nil
}
