package platform

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// ProgramInfo is what ebpf-for-windows' program information
// (ebpf_program_type_descriptor_t) says of a program type beyond its
// context layout. The runtime refuses a native program unless the driver
// carries the hash of it that ProgramInfoHash computes.
type ProgramInfo struct {
	// Name is the descriptor's name, which need not be the type's name
	// here ("sockops" for sock_ops).
	Name        string
	GUID        GUID
	BPFProgType uint32
	Privileged  bool
	// ImplicitContextHelpers are the ids of general helpers that this
	// type's extension replaces with versions taking the program context
	// as a sixth argument.
	ImplicitContextHelpers []int32
}

// HelperInfo is a helper's prototype as the runtime's program information
// gives it (ebpf_helper_function_prototype_t), in its own vocabulary:
// return and argument types are the names of prevail's
// ebpf_return_type_t and ebpf_argument_type_t without their prefix.
type HelperInfo struct {
	Ret  string   `json:"ret"`
	Args []string `json:"args,omitempty"`
	// ReallocatePacket is the prototype's reallocate_packet flag. It is
	// not ChangesPacket: an extension may leave it unset for a helper that
	// moves the packet (XDP for Windows' bpf_xdp_adjust_head does), and
	// the hash follows the flag.
	ReallocatePacket bool `json:"reallocate_packet,omitempty"`
	// ImplicitContext marks a helper that receives the program context as
	// a sixth argument, after r1-r5.
	ImplicitContext bool `json:"implicit_context,omitempty"`
}

// GUID is a Windows GUID in its in-memory layout: Data1, Data2 and Data3
// little-endian, then Data4's eight bytes.
type GUID [16]byte

// ParseGUID reads the registry form "f1832a85-85d5-45b0-98a0-7069d63013b0".
func ParseGUID(s string) (GUID, error) {
	var g GUID
	parts := strings.Split(s, "-")
	if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 || len(parts[2]) != 4 || len(parts[3]) != 4 || len(parts[4]) != 12 {
		return g, fmt.Errorf("GUID %q: want xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", s)
	}
	raw, err := hex.DecodeString(strings.Join(parts, ""))
	if err != nil {
		return g, fmt.Errorf("GUID %q: %w", s, err)
	}
	le := binary.LittleEndian
	le.PutUint32(g[0:], binary.BigEndian.Uint32(raw[0:]))
	le.PutUint16(g[4:], binary.BigEndian.Uint16(raw[4:]))
	le.PutUint16(g[6:], binary.BigEndian.Uint16(raw[6:]))
	copy(g[8:], raw[8:])
	return g, nil
}

func (g GUID) String() string {
	le := binary.LittleEndian
	return fmt.Sprintf("%08x-%04x-%04x-%x-%x", le.Uint32(g[0:]), le.Uint16(g[4:]), le.Uint16(g[6:]), g[8:10], g[10:])
}

// returnTypes and argumentTypes number prevail's ebpf_return_type_t and
// ebpf_argument_type_t (src/spec/ebpf_base.h at the commit ebpf-for-windows
// 1.6.0 pins, 67b6d03e): the values the hash covers.
var (
	returnTypes = map[string]uint32{
		"integer": 0, "ptr_to_map_value_or_null": 1, "integer_or_no_return_if_succeed": 2, "unsupported": 3,
		"ptr_to_sock_common_or_null": 4, "ptr_to_socket_or_null": 5, "ptr_to_tcp_socket_or_null": 6,
		"ptr_to_alloc_mem_or_null": 7, "ptr_to_btf_id_or_null": 8, "ptr_to_mem_or_btf_id_or_null": 9,
		"ptr_to_btf_id": 10, "ptr_to_mem_or_btf_id": 11,
	}
	argumentTypes = map[string]uint32{
		"dontcare": 0, "anything": 1, "const_size": 2, "const_size_or_zero": 3, "ptr_to_ctx": 4,
		"ptr_to_map": 5, "ptr_to_map_of_programs": 6, "ptr_to_map_key": 7, "ptr_to_map_value": 8,
		"ptr_to_readable_mem": 9, "ptr_to_readable_mem_or_null": 10, "ptr_to_writable_mem": 11,
		"ptr_to_stack": 12, "ptr_to_stack_or_null": 13, "ptr_to_ctx_or_null": 14,
		"ptr_to_writable_mem_or_null": 15, "ptr_to_btf_id_sock_common": 17, "ptr_to_spin_lock": 18,
		"ptr_to_sock_common": 19, "ptr_to_btf_id": 20, "ptr_to_long": 21, "ptr_to_int": 22,
		"ptr_to_const_str": 23, "ptr_to_func": 24, "const_alloc_size_or_zero": 25, "ptr_to_alloc_mem": 26,
		"ptr_to_timer": 27, "ptr_to_percpu_btf_id": 28, "ptr_to_readonly_mem": 29,
		"ptr_to_readonly_mem_or_null": 30, "ptr_to_uninit_map_value": 31, "const_ptr_to_map": 32,
		"unsupported": 33,
	}
)

func (hi *HelperInfo) check() error {
	if _, ok := returnTypes[hi.Ret]; !ok {
		return fmt.Errorf("program_info: unknown return type %q", hi.Ret)
	}
	if len(hi.Args) > 5 {
		return fmt.Errorf("program_info: %d arguments, at most 5", len(hi.Args))
	}
	for _, a := range hi.Args {
		if _, ok := argumentTypes[a]; !ok {
			return fmt.Errorf("program_info: unknown argument type %q", a)
		}
	}
	return nil
}

// ProgramInfoHash is the program_info_hash of a program of type t calling
// helpers (each id once or more, in any order): SHA-256, as both bpf2c
// (tools/bpf2c/bpf2c.cpp, get_program_info_type_hash) and the runtime
// (libs/execution_context/ebpf_program.c,
// _ebpf_program_compute_program_information_hash) compute it, over, with
// integers little-endian and strings without their terminator:
//
//	descriptor name, context descriptor (int32 size, data, end, meta:
//	offsets or -1), program type GUID, uint32 bpf_prog_type,
//	uint8 is_privileged, uint64 number of distinct helpers,
//	then per helper by ascending id: uint32 id, name, uint32 return type,
//	five uint32 argument types (0 past the last), and the one-byte flags
//	(1) only when reallocate_packet is set.
//
// Programs calling BTF-resolved functions (kfuncs) hash more; bpf2native
// has none.
func (p *Platform) ProgramInfoHash(t *ProgramType, helpers []int32) ([]byte, error) {
	pi := t.ProgramInfo
	if pi == nil {
		return nil, fmt.Errorf("program type %s has no program_info", t.Name)
	}
	ids := slices.Clone(helpers)
	// The runtime sorts helper ids as uint32.
	slices.SortFunc(ids, func(a, b int32) int { return cmp.Compare(uint32(a), uint32(b)) })
	ids = slices.Compact(ids)

	le := binary.LittleEndian
	b := []byte(pi.Name)
	b = le.AppendUint32(b, uint32(t.Context.Size))
	for _, k := range []FieldKind{FieldPacket, FieldPacketEnd, FieldPacketMeta} {
		off := int32(-1)
		if f, ok := t.Context.FieldOf(k); ok {
			off = int32(f.Offset)
		}
		b = le.AppendUint32(b, uint32(off))
	}
	b = append(b, pi.GUID[:]...)
	b = le.AppendUint32(b, pi.BPFProgType)
	b = append(b, boolByte(pi.Privileged))
	b = le.AppendUint64(b, uint64(len(ids)))
	for _, id := range ids {
		h := p.Helpers[id]
		if h == nil || h.ProgramInfo == nil {
			return nil, fmt.Errorf("program type %s: helper %d has no program_info", t.Name, id)
		}
		b = le.AppendUint32(b, uint32(id))
		b = append(b, h.Name...)
		b = le.AppendUint32(b, returnTypes[h.ProgramInfo.Ret])
		for i := range 5 {
			var a uint32
			if i < len(h.ProgramInfo.Args) {
				a = argumentTypes[h.ProgramInfo.Args[i]]
			}
			b = le.AppendUint32(b, a)
		}
		if h.ProgramInfo.ReallocatePacket {
			b = append(b, 1)
		}
	}
	sum := sha256.Sum256(b)
	return sum[:], nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// ProgramTypeByGUID returns the program type whose program_info has GUID
// g, or nil.
func (p *Platform) ProgramTypeByGUID(g GUID) *ProgramType {
	for _, t := range p.ProgramTypes {
		if t.ProgramInfo != nil && t.ProgramInfo.GUID == g {
			return t
		}
	}
	return nil
}
