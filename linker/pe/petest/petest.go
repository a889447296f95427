//go:build linux && (amd64 || arm64) && cgo

package petest

/*
#include <stdlib.h>
#include "petest.h"
*/
import "C"

import (
	"bytes"
	"debug/pe"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"runtime/cgo"
	"sync"
	"syscall"
	"unsafe"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
)

// Driver is a mapped driver image.
type Driver struct {
	mem  []byte
	base uintptr
	// Entry is DriverEntry's address.
	entry uintptr
	// Sections lists the mapped sections and their protections.
	Sections []Section
	// Record is what the kernel stubs saw, after Start.
	Record Record
	table  uintptr
	unload uintptr
	// driverObject and registryPath live in C memory.
	driverObject, registryPath unsafe.Pointer
}

// Section is one mapped section.
type Section struct {
	Name                 string
	RVA, Size            uint32
	Read, Write, Execute bool
}

// Record is what the kernel stubs captured.
type Record struct {
	Registered, Attached, Deregistered, Waited, RegistryQueries int
	// ClientCharacteristics is the NPI_CLIENT_CHARACTERISTICS the driver
	// registered; Table the metadata table it attached with.
	ClientCharacteristics, Table uintptr
	// NpiID is the NPI the driver registered for.
	NpiID [16]byte
	// RegistryPath is the path DriverEntry queried.
	RegistryPath string
}

// stubs is held while a driver runs code that may reach the stubs, which
// record into one C structure.
var stubs sync.Mutex

// Load maps a driver image.
func Load(sys []byte) (*Driver, error) {
	d, err := load(sys)
	if err != nil {
		return nil, fmt.Errorf("petest: %w", err)
	}
	return d, nil
}

func load(sys []byte) (*Driver, error) {
	f, err := pe.NewFile(bytes.NewReader(sys))
	if err != nil {
		return nil, err
	}
	machine := map[string]uint16{"amd64": pe.IMAGE_FILE_MACHINE_AMD64, "arm64": pe.IMAGE_FILE_MACHINE_ARM64}[runtime.GOARCH]
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok || f.Machine != machine {
		return nil, fmt.Errorf("not a PE32+ %s image", runtime.GOARCH)
	}
	page := uint32(syscall.Getpagesize())
	if oh.SectionAlignment%page != 0 {
		return nil, fmt.Errorf("section alignment %#x is not a multiple of the page size", oh.SectionAlignment)
	}
	mem, err := syscall.Mmap(-1, 0, int(oh.SizeOfImage), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, err
	}
	d := &Driver{mem: mem, base: uintptr(unsafe.Pointer(unsafe.SliceData(mem)))}
	ok = false
	defer func() {
		if !ok {
			syscall.Munmap(mem)
		}
	}()
	copy(mem, sys[:oh.SizeOfHeaders])
	for _, s := range f.Sections {
		if uint64(s.VirtualAddress)+uint64(max(s.VirtualSize, s.Size)) > uint64(oh.SizeOfImage) {
			return nil, fmt.Errorf("section %s outside the image", s.Name)
		}
		n := min(s.VirtualSize, s.Size)
		if uint64(s.Offset)+uint64(n) > uint64(len(sys)) {
			return nil, fmt.Errorf("section %s: raw data outside the file", s.Name)
		}
		copy(mem[s.VirtualAddress:], sys[s.Offset:s.Offset+n])
		const (
			exec  = 0x20000000
			read  = 0x40000000
			write = 0x80000000
		)
		sec := Section{Name: s.Name, RVA: s.VirtualAddress, Size: s.VirtualSize,
			Read: s.Characteristics&read != 0, Write: s.Characteristics&write != 0, Execute: s.Characteristics&exec != 0}
		if sec.Write && sec.Execute {
			return nil, fmt.Errorf("section %s is writable and executable", s.Name)
		}
		d.Sections = append(d.Sections, sec)
	}

	// Base relocations.
	delta := uint64(d.base) - oh.ImageBase
	rd := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_BASERELOC]
	relocs := mem[rd.VirtualAddress : rd.VirtualAddress+rd.Size]
	for len(relocs) >= 8 {
		pageRVA := binary.LittleEndian.Uint32(relocs)
		size := binary.LittleEndian.Uint32(relocs[4:])
		if size < 8 || int(size) > len(relocs) {
			return nil, fmt.Errorf("base relocation block of %d bytes", size)
		}
		for i := uint32(8); i+2 <= size; i += 2 {
			e := binary.LittleEndian.Uint16(relocs[i:])
			switch e >> 12 {
			case 0: // IMAGE_REL_BASED_ABSOLUTE: padding
			case 10: // IMAGE_REL_BASED_DIR64
				at := pageRVA + uint32(e&0xfff)
				if at+8 > oh.SizeOfImage {
					return nil, fmt.Errorf("relocation at %#x outside the image", at)
				}
				v := binary.LittleEndian.Uint64(mem[at:])
				binary.LittleEndian.PutUint64(mem[at:], v+delta)
			default:
				return nil, fmt.Errorf("base relocation type %d", e>>12)
			}
		}
		relocs = relocs[size:]
	}

	// Imports.
	id := oh.DataDirectory[pe.IMAGE_DIRECTORY_ENTRY_IMPORT]
	for at := id.VirtualAddress; ; at += 20 {
		desc := mem[at : at+20]
		ilt := binary.LittleEndian.Uint32(desc)
		name := binary.LittleEndian.Uint32(desc[12:])
		iat := binary.LittleEndian.Uint32(desc[16:])
		if ilt == 0 && name == 0 && iat == 0 {
			break
		}
		dll := cstring(mem[name:])
		for k := uint32(0); ; k++ {
			e := binary.LittleEndian.Uint64(mem[ilt+8*k:])
			if e == 0 {
				break
			}
			if e>>63 != 0 {
				return nil, fmt.Errorf("%s: import by ordinal", dll)
			}
			fn := cstring(mem[uint32(e)+2:])
			cdll, cfn := C.CString(dll), C.CString(fn)
			addr := C.petest_import(cdll, cfn)
			C.free(unsafe.Pointer(cdll))
			C.free(unsafe.Pointer(cfn))
			if addr == 0 {
				return nil, fmt.Errorf("import %s!%s has no stub", dll, fn)
			}
			binary.LittleEndian.PutUint64(mem[iat+8*k:], uint64(addr))
		}
	}

	for _, s := range d.Sections {
		if s.Execute {
			C.petest_flush_icache(C.uintptr_t(d.base+uintptr(s.RVA)), C.uintptr_t(d.base+uintptr(s.RVA+s.Size)))
		}
	}

	// Protections: W^X from here on.
	if err := syscall.Mprotect(mem[:alignUp(oh.SizeOfHeaders, page)], syscall.PROT_READ); err != nil {
		return nil, err
	}
	for _, s := range d.Sections {
		prot := syscall.PROT_READ
		if s.Write {
			prot |= syscall.PROT_WRITE
		}
		if s.Execute {
			prot |= syscall.PROT_EXEC
		}
		if err := syscall.Mprotect(mem[s.RVA:s.RVA+alignUp(s.Size, page)], prot); err != nil {
			return nil, fmt.Errorf("mprotect %s: %w", s.Name, err)
		}
	}
	d.entry = d.base + uintptr(oh.AddressOfEntryPoint)
	ok = true
	return d, nil
}

// ptrAt turns an address outside Go's heap (C memory, the runtime's map
// storage) into a pointer, reinterpreting the integer's storage so vet and
// the compiler do not take it for a converted Go pointer.
func ptrAt(addr uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&addr)) }

func alignUp(n, a uint32) uint32 { return (n + a - 1) / a * a }

func cstring(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// Close unmaps the image.
func (d *Driver) Close() {
	if d.mem != nil {
		syscall.Munmap(d.mem)
		d.mem = nil
	}
	C.free(d.driverObject)
	C.free(d.registryPath)
	d.driverObject, d.registryPath = nil, nil
}

// in reports whether [addr, addr+n) lies in the image.
func (d *Driver) in(addr uintptr, n uintptr) bool {
	return addr >= d.base && n <= uintptr(len(d.mem)) && addr-d.base <= uintptr(len(d.mem))-n
}

// read returns n bytes of the image at addr.
func (d *Driver) read(addr uintptr, n int) ([]byte, error) {
	if !d.in(addr, uintptr(n)) {
		return nil, fmt.Errorf("%d bytes at %#x are outside the image", n, addr)
	}
	return d.mem[addr-d.base : addr-d.base+uintptr(n)], nil
}

func (d *Driver) u64(addr uintptr) (uint64, error) {
	b, err := d.read(addr, 8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

func (d *Driver) str(addr uintptr) (string, error) {
	if !d.in(addr, 1) {
		return "", fmt.Errorf("string at %#x is outside the image", addr)
	}
	return cstring(d.mem[addr-d.base:]), nil
}

// Start calls DriverEntry as the I/O manager does (a zeroed DRIVER_OBJECT
// and the service's registry path), with the registry stub answering
// NpiModuleId with moduleID, then calls the attach callback the driver
// registered, as NMR does when the runtime's provider is present. It
// checks that DriverEntry set DriverUnload.
func (d *Driver) Start(moduleID [16]byte) error {
	stubs.Lock()
	defer stubs.Unlock()
	C.petest_record = C.struct_petest_record{}
	for i, b := range moduleID {
		C.petest_record.npi_module_id[i] = C.uint8_t(b)
	}
	d.driverObject = C.calloc(1, 0x150) // sizeof(DRIVER_OBJECT) is 0x150 on x64 and ARM64
	path := "\\Registry\\Machine\\System\\CurrentControlSet\\Services\\bpf2native"
	d.registryPath = C.calloc(1, C.size_t(16+2*len(path)+2))
	buf := unsafe.Add(d.registryPath, 16)
	us := unsafe.Slice((*byte)(d.registryPath), 16)
	binary.LittleEndian.PutUint16(us[0:], uint16(2*len(path)))
	binary.LittleEndian.PutUint16(us[2:], uint16(2*len(path)+2))
	binary.LittleEndian.PutUint64(us[8:], uint64(uintptr(buf)))
	w := unsafe.Slice((*uint16)(buf), len(path)+1)
	for i, c := range path {
		w[i] = uint16(c)
	}
	status := int32(C.petest_call2(C.uintptr_t(d.entry), C.uintptr_t(uintptr(d.driverObject)), C.uintptr_t(uintptr(d.registryPath))))
	d.capture()
	if status < 0 {
		return fmt.Errorf("petest: DriverEntry returned %#x", uint32(status))
	}
	if d.Record.RegistryPath != path {
		return fmt.Errorf("petest: DriverEntry queried %q, not its registry path", d.Record.RegistryPath)
	}
	d.unload = uintptr(*(*uint64)(unsafe.Add(d.driverObject, 0x68)))
	if d.unload == 0 || !d.in(d.unload, 1) {
		return fmt.Errorf("petest: DriverEntry set DriverUnload to %#x", d.unload)
	}
	if d.Record.Registered != 1 {
		return fmt.Errorf("petest: DriverEntry registered %d NMR clients", d.Record.Registered)
	}
	// NPI_CLIENT_CHARACTERISTICS: attach at +8; the registration
	// instance at +32 with its NpiId pointer at +8 and ModuleId at +16.
	cc := d.Record.ClientCharacteristics
	attach, err := d.u64(cc + 8)
	if err != nil {
		return err
	}
	npi, err := d.u64(cc + 32 + 8)
	if err != nil {
		return err
	}
	npiBytes, err := d.read(uintptr(npi), 16)
	if err != nil {
		return err
	}
	copy(d.Record.NpiID[:], npiBytes)
	mid, err := d.u64(cc + 32 + 16)
	if err != nil {
		return err
	}
	midBytes, err := d.read(uintptr(mid)+8, 16)
	if err != nil {
		return err
	}
	if !bytes.Equal(midBytes, moduleID[:]) {
		return fmt.Errorf("petest: module id %x, the registry said %x", midBytes, moduleID)
	}
	status = int32(C.petest_call3(C.uintptr_t(attach), 0xb19d, 0, 0))
	d.capture()
	if status != 0 {
		return fmt.Errorf("petest: attach callback returned %#x", uint32(status))
	}
	d.table = d.Record.Table
	if d.table == 0 || !d.in(d.table, 56) {
		return fmt.Errorf("petest: attach handed over %#x as the metadata table", d.table)
	}
	// A second attach must be refused, as bpf2c's driver does.
	if status := int32(C.petest_call3(C.uintptr_t(attach), 0xb19e, 0, 0)); status >= 0 {
		return fmt.Errorf("petest: second attach returned %#x", uint32(status))
	}
	return nil
}

func (d *Driver) capture() {
	r := &C.petest_record
	d.Record.Registered = int(r.registered)
	d.Record.Attached = int(r.attached)
	d.Record.Deregistered = int(r.deregistered)
	d.Record.Waited = int(r.waited)
	d.Record.RegistryQueries = int(r.registry_queries)
	d.Record.ClientCharacteristics = uintptr(r.client_characteristics)
	d.Record.Table = uintptr(r.client_dispatch)
	if p := uintptr(r.registry_path); p != 0 {
		var s []rune
		for i := uintptr(0); i < 4096; i++ {
			c := *(*uint16)(ptrAt(p + 2*i))
			if c == 0 {
				break
			}
			s = append(s, rune(c))
		}
		d.Record.RegistryPath = string(s)
	}
}

// Unload calls the DriverUnload routine DriverEntry set.
func (d *Driver) Unload() error {
	stubs.Lock()
	defer stubs.Unlock()
	C.petest_call1v(C.uintptr_t(d.unload), C.uintptr_t(uintptr(d.driverObject)))
	d.capture()
	if d.Record.Deregistered != 1 || d.Record.Waited != 1 {
		return fmt.Errorf("petest: unload deregistered %d times and waited %d", d.Record.Deregistered, d.Record.Waited)
	}
	return nil
}

// Table is the metadata table as the runtime reads it, through its
// functions.
type Table struct {
	Size          uint64
	Programs      []Program
	Maps          []Map
	Hash          []byte
	Version       [3]uint32
	InitialValues []InitialValues
	Globals       []Global
}

// Header is ebpf_native_module_header_t.
type Header struct {
	Version   uint16
	Size      uint64
	TotalSize uint64
}

// Program is a program_entry_t.
type Program struct {
	Header                   Header
	Function                 uintptr
	PESection, Section, Name string
	MapIndices               []uint16
	Helpers                  []HelperEntry
	InstructionCount         uint64
	ProgramType, AttachType  [16]byte
	InfoHash                 []byte
	InfoHashType             string
}

// HelperEntry is a helper_function_entry_t.
type HelperEntry struct {
	Header Header
	ID     uint32
	Name   string
}

// Map is a map_entry_t.
type Map struct {
	Header                                                                 Header
	Type, KeySize, ValueSize, MaxEntries, InnerIndex, Pinning, ID, InnerID uint32
	Name                                                                   string
}

// InitialValues is a map_initial_values_t.
type InitialValues struct {
	Name   string
	Values []string
}

// Global is a global_variable_section_info_t.
type Global struct {
	Name string
	Init []byte
}

// scratch is C memory for the out-parameters of the table's functions.
func (d *Driver) call2(fn uint64) (uintptr, uint64, error) {
	if !d.in(uintptr(fn), 1) {
		return 0, 0, fmt.Errorf("function %#x outside the image", fn)
	}
	out := C.calloc(2, 8)
	defer C.free(out)
	stubs.Lock()
	C.petest_call2v(C.uintptr_t(fn), C.uintptr_t(uintptr(out)), C.uintptr_t(uintptr(out)+8))
	stubs.Unlock()
	o := unsafe.Slice((*uint64)(out), 2)
	return uintptr(o[0]), o[1], nil
}

func (d *Driver) header(addr uintptr) (Header, error) {
	b, err := d.read(addr, 24)
	if err != nil {
		return Header{}, err
	}
	return Header{binary.LittleEndian.Uint16(b), binary.LittleEndian.Uint64(b[8:]), binary.LittleEndian.Uint64(b[16:])}, nil
}

// Table calls the metadata table's functions and decodes what they return.
func (d *Driver) Table() (*Table, error) {
	t, err := d.decode()
	if err != nil {
		return nil, fmt.Errorf("petest: metadata table: %w", err)
	}
	return t, nil
}

func (d *Driver) decode() (*Table, error) {
	raw, err := d.read(d.table, 56)
	if err != nil {
		return nil, err
	}
	fn := func(k int) uint64 { return binary.LittleEndian.Uint64(raw[8+8*k:]) }
	t := &Table{Size: binary.LittleEndian.Uint64(raw)}
	le := binary.LittleEndian

	ptr, n, err := d.call2(fn(0))
	if err != nil {
		return nil, err
	}
	for i := uint64(0); i < n; i++ {
		hdr, err := d.header(ptr + 8)
		if err != nil {
			return nil, err
		}
		e, err := d.read(ptr, int(hdr.TotalSize))
		if err != nil {
			return nil, err
		}
		p := Program{Header: hdr, Function: uintptr(le.Uint64(e[32:]))}
		for k, dst := range []*string{&p.PESection, &p.Section, &p.Name} {
			if *dst, err = d.str(uintptr(le.Uint64(e[40+8*k:]))); err != nil {
				return nil, err
			}
		}
		if cnt := le.Uint16(e[72:]); cnt > 0 {
			b, err := d.read(uintptr(le.Uint64(e[64:])), 2*int(cnt))
			if err != nil {
				return nil, err
			}
			for k := 0; k < int(cnt); k++ {
				p.MapIndices = append(p.MapIndices, le.Uint16(b[2*k:]))
			}
		}
		if cnt := le.Uint16(e[88:]); cnt > 0 {
			hp := uintptr(le.Uint64(e[80:]))
			for k := 0; k < int(cnt); k++ {
				h, err := d.header(hp)
				if err != nil {
					return nil, err
				}
				b, err := d.read(hp, int(h.TotalSize))
				if err != nil {
					return nil, err
				}
				name, err := d.str(uintptr(le.Uint64(b[32:])))
				if err != nil {
					return nil, err
				}
				p.Helpers = append(p.Helpers, HelperEntry{Header: h, ID: le.Uint32(b[24:]), Name: name})
				hp += uintptr(h.TotalSize)
			}
		}
		p.InstructionCount = le.Uint64(e[96:])
		for k, dst := range []*[16]byte{&p.ProgramType, &p.AttachType} {
			b, err := d.read(uintptr(le.Uint64(e[104+8*k:])), 16)
			if err != nil {
				return nil, err
			}
			copy(dst[:], b)
		}
		if hl := le.Uint64(e[128:]); hl > 0 {
			if p.InfoHash, err = d.read(uintptr(le.Uint64(e[120:])), int(hl)); err != nil {
				return nil, err
			}
			if p.InfoHashType, err = d.str(uintptr(le.Uint64(e[136:]))); err != nil {
				return nil, err
			}
		}
		t.Programs = append(t.Programs, p)
		ptr += uintptr(hdr.TotalSize)
	}

	if ptr, n, err = d.call2(fn(1)); err != nil {
		return nil, err
	}
	for i := uint64(0); i < n; i++ {
		hdr, err := d.header(ptr + 16)
		if err != nil {
			return nil, err
		}
		e, err := d.read(ptr, int(hdr.TotalSize))
		if err != nil {
			return nil, err
		}
		m := Map{Header: hdr}
		for k, dst := range []*uint32{&m.Type, &m.KeySize, &m.ValueSize, &m.MaxEntries, &m.InnerIndex, &m.Pinning, &m.ID, &m.InnerID} {
			*dst = le.Uint32(e[40+4*k:])
		}
		if m.Name, err = d.str(uintptr(le.Uint64(e[72:]))); err != nil {
			return nil, err
		}
		t.Maps = append(t.Maps, m)
		ptr += uintptr(hdr.TotalSize)
	}

	if ptr, n, err = d.call2(fn(2)); err != nil {
		return nil, err
	}
	if t.Hash, err = d.read(ptr, int(n)); err != nil {
		return nil, err
	}

	if !d.in(uintptr(fn(3)), 1) {
		return nil, errors.New("version function outside the image")
	}
	out := C.calloc(3, 4)
	stubs.Lock()
	C.petest_call1v(C.uintptr_t(fn(3)), C.uintptr_t(uintptr(out)))
	stubs.Unlock()
	copy(t.Version[:], unsafe.Slice((*uint32)(out), 3))
	C.free(out)

	if ptr, n, err = d.call2(fn(4)); err != nil {
		return nil, err
	}
	for i := uint64(0); i < n; i++ {
		hdr, err := d.header(ptr)
		if err != nil {
			return nil, err
		}
		e, err := d.read(ptr, int(hdr.TotalSize))
		if err != nil {
			return nil, err
		}
		iv := InitialValues{}
		if iv.Name, err = d.str(uintptr(le.Uint64(e[24:]))); err != nil {
			return nil, err
		}
		vals := uintptr(le.Uint64(e[40:]))
		for k := uint64(0); k < le.Uint64(e[32:]); k++ {
			v, err := d.u64(vals + uintptr(8*k))
			if err != nil {
				return nil, err
			}
			s := ""
			if v != 0 {
				if s, err = d.str(uintptr(v)); err != nil {
					return nil, err
				}
			}
			iv.Values = append(iv.Values, s)
		}
		t.InitialValues = append(t.InitialValues, iv)
		ptr += uintptr(hdr.TotalSize)
	}

	if ptr, n, err = d.call2(fn(5)); err != nil {
		return nil, err
	}
	for i := uint64(0); i < n; i++ {
		hdr, err := d.header(ptr)
		if err != nil {
			return nil, err
		}
		e, err := d.read(ptr, int(hdr.TotalSize))
		if err != nil {
			return nil, err
		}
		g := Global{}
		if g.Name, err = d.str(uintptr(le.Uint64(e[24:]))); err != nil {
			return nil, err
		}
		if g.Init, err = d.read(uintptr(le.Uint64(e[40:])), int(le.Uint64(e[32:]))); err != nil {
			return nil, err
		}
		t.Globals = append(t.Globals, g)
		ptr += uintptr(hdr.TotalSize)
	}
	return t, nil
}

// Instance is a driver's programs bound to a runtime, as the
// ebpf-for-windows runtime binds them: one program_runtime_context_t per
// program, with helper addresses by helper id and map addresses by the
// driver's map index.
type Instance struct {
	d    *Driver
	t    *Table
	mod  *ir.Module
	rt   *host.Runtime
	ids  []int32 // helper id of each trampoline
	ctxs []unsafe.Pointer
	mu   sync.Mutex
}

// Bind creates the runtime contexts of t's programs against rt, the
// runtime of mod (the module the driver was compiled from). The driver's
// maps are matched to mod's by order: maps first, then global sections,
// as linker/pe writes them.
func (d *Driver) Bind(t *Table, mod *ir.Module, rt *host.Runtime) (*Instance, error) {
	inst := &Instance{d: d, t: t, mod: mod, rt: rt}
	var order []int // driver map index -> ir map index
	for i, m := range mod.Maps {
		if !m.IsGlobal() {
			order = append(order, i)
		}
	}
	globalBase := len(order)
	for i, m := range mod.Maps {
		if m.IsGlobal() {
			order = append(order, i)
		}
	}
	for j := range order {
		if j >= len(t.Maps) {
			return nil, fmt.Errorf("petest: the driver has %d maps, the module %d", len(t.Maps), len(order))
		}
		if j < globalBase && t.Maps[j].Name != mod.Maps[order[j]].Name {
			return nil, fmt.Errorf("petest: driver map %d is %q, module map %q", j, t.Maps[j].Name, mod.Maps[order[j]].Name)
		}
	}
	slot := map[uint32]int{}
	for _, p := range t.Programs {
		for _, h := range p.Helpers {
			if _, ok := slot[h.ID]; !ok && h.ID != 0 {
				slot[h.ID] = len(inst.ids)
				inst.ids = append(inst.ids, int32(h.ID))
			}
		}
	}
	if len(inst.ids) > C.PETEST_TRAMPOLINES {
		return nil, fmt.Errorf("petest: %d helpers, at most %d", len(inst.ids), C.PETEST_TRAMPOLINES)
	}
	// Global sections get their initial data as the runtime copies it.
	for g, gi := range t.Globals {
		j := globalBase + g
		if j >= len(order) {
			return nil, fmt.Errorf("petest: global %s has no map", gi.Name)
		}
		if t.Maps[j].Name != gi.Name {
			return nil, fmt.Errorf("petest: global %d is %q, its map %q", g, gi.Name, t.Maps[j].Name)
		}
		addr, err := rt.MapValueAddr(order[j])
		if err != nil {
			return nil, err
		}
		copy(unsafe.Slice((*byte)(ptrAt(uintptr(addr))), len(gi.Init)), gi.Init)
	}
	for _, p := range t.Programs {
		nh, nm, ng := len(p.Helpers), len(t.Maps), len(t.Globals)
		mem := C.calloc(1, C.size_t(56+40*nh+40*nm+32*ng))
		inst.ctxs = append(inst.ctxs, mem)
		b := unsafe.Slice((*byte)(mem), 56+40*nh+40*nm+32*ng)
		base := uintptr(mem)
		le := binary.LittleEndian
		le.PutUint16(b, 1)
		le.PutUint64(b[8:], 56)
		le.PutUint64(b[16:], 56)
		hd, md, gd := 56, 56+40*nh, 56+40*nh+40*nm
		le.PutUint64(b[24:], uint64(base)+uint64(hd))
		le.PutUint64(b[32:], uint64(base)+uint64(md))
		le.PutUint64(b[40:], uint64(base)+uint64(gd))
		for k, h := range p.Helpers {
			e := b[hd+40*k:]
			le.PutUint16(e, 1)
			le.PutUint64(e[8:], 33)
			le.PutUint64(e[16:], 40)
			if h.ID == 0 {
				continue // a sentinel: not used by this program
			}
			le.PutUint64(e[24:], uint64(uintptr(C.petest_trampolines[slot[h.ID]])))
			if h.ID == 5 {
				e[32] = 1 // tail_call
			}
		}
		for _, j := range p.MapIndices {
			if int(j) >= len(order) {
				return nil, fmt.Errorf("petest: program %s: map index %d of %d", p.Name, j, len(order))
			}
			e := b[md+40*int(j):]
			le.PutUint16(e, 1)
			le.PutUint64(e[8:], 40)
			le.PutUint64(e[16:], 40)
			le.PutUint64(e[24:], rt.Maps[order[j]].Handle())
			if v, err := rt.MapValueAddr(order[j]); err == nil {
				le.PutUint64(e[32:], v)
			}
		}
		for g := range t.Globals {
			e := b[gd+32*g:]
			le.PutUint16(e, 1)
			le.PutUint64(e[8:], 32)
			le.PutUint64(e[16:], 32)
			v, err := rt.MapValueAddr(order[globalBase+g])
			if err != nil {
				return nil, err
			}
			le.PutUint64(e[24:], v)
		}
	}
	return inst, nil
}

// Close frees the runtime contexts.
func (inst *Instance) Close() {
	for _, c := range inst.ctxs {
		C.free(c)
	}
	inst.ctxs = nil
}

type run struct {
	inst  *Instance
	state host.RunState
	err   error
	// ctx is the address of the program's context.
	ctx uintptr
}

// Run runs program prog (an index into the table's programs, which are
// the module's) on ctx through its entry in the metadata table, and then
// any program it tail-calls, as the runtime does.
func (inst *Instance) Run(prog int, ctx *host.Context) (uint64, error) {
	inst.mu.Lock()
	defer inst.mu.Unlock()
	r := &run{inst: inst, state: host.RunState{TailTarget: -1}, ctx: uintptr(ctx.R1())}
	h := cgo.NewHandle(r)
	defer h.Delete()
	for calls := 0; calls <= host.MaxTailCalls; calls++ {
		if prog < 0 || prog >= len(inst.t.Programs) {
			return 0, fmt.Errorf("petest: no program %d", prog)
		}
		fn := inst.t.Programs[prog].Function
		if !inst.d.in(fn, 1) {
			return 0, fmt.Errorf("petest: program %s at %#x, outside the image", inst.t.Programs[prog].Name, fn)
		}
		var aborted C.int
		r0 := C.petest_run(C.uintptr_t(fn), C.uintptr_t(ctx.R1()), C.uintptr_t(uintptr(inst.ctxs[prog])), C.uintptr_t(h), &aborted)
		if aborted != 0 {
			return 0, fmt.Errorf("petest: program %s: %w", inst.t.Programs[prog].Name, r.err)
		}
		if r.state.TailTarget < 0 {
			return uint64(r0), nil
		}
		prog, r.state.TailTarget = r.state.TailTarget, -1
	}
	return 0, fmt.Errorf("petest: more than %d tail calls", host.MaxTailCalls)
}

//export petestHelper
func petestHelper(handle C.uintptr_t, slot C.int, r1, r2, r3, r4, r5 C.uint64_t, ctx C.uintptr_t, abort *C.int) (r0 C.uint64_t) {
	r := cgo.Handle(handle).Value().(*run)
	defer func() {
		if p := recover(); p != nil {
			r.err = fmt.Errorf("helper panicked: %v", p)
			*abort, r0 = 1, 0
		}
	}()
	// bpf2c's code passes every helper the program's context, which
	// helpers with implicit context read.
	if uintptr(ctx) != r.ctx {
		r.err = fmt.Errorf("helper %d got context %#x as its sixth argument, not the program's %#x", r.inst.ids[slot], uintptr(ctx), r.ctx)
		*abort = 1
		return 0
	}
	c := host.Call{
		ID:   r.inst.ids[slot],
		Args: [5]uint64{uint64(r1), uint64(r2), uint64(r3), uint64(r4), uint64(r5)},
		Mem:  unchecked{},
		Run:  &r.state,
	}
	v, err := r.inst.rt.CallHelper(&c)
	if err != nil {
		r.err = err
		*abort = 1
		return 0
	}
	return C.uint64_t(v)
}

// unchecked is the host.Memory native code gives helpers (see loader).
type unchecked struct{}

// Bytes implements host.Memory.
func (unchecked) Bytes(addr, n uint64, write bool) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if addr < 4096 {
		return nil, fmt.Errorf("null pointer %#x (%d bytes)", addr, n)
	}
	if addr+n < addr || n > 1<<31 {
		return nil, fmt.Errorf("%d bytes at %#x wrap around or are implausibly large", n, addr)
	}
	p := *(*unsafe.Pointer)(unsafe.Pointer(&addr))
	return unsafe.Slice((*byte)(p), n), nil
}
