package pe

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/metadata"
)

// Version is the bpf2c version the driver reports through its metadata
// table's version function: the ebpf-for-windows release whose bpf2c.h
// layout Link writes (see docs/PE.md).
var Version = [3]uint32{1, 6, 0}

// ErrInvalidObject is wrapped by Link's errors about input it cannot link.
var ErrInvalidObject = errors.New("invalid object")

// ErrUnsupported is wrapped for targets Link does not write yet.
var ErrUnsupported = errors.New("unsupported target")

// Options are the inputs of Link beyond the object and its metadata.
type Options struct {
	// Name is the module's name, as bpf2c uses its C file's name: a global
	// section's map is named its first 7 characters followed by the
	// section name (libbpf's rule). Default "bpf2native".
	Name string
	// ProgramInfoHashes holds, by program name, the program-info hash the
	// runtime compares with its own (SHA-256 over the program type's
	// descriptor and the helpers' prototypes, as bpf2c's
	// get_program_info_type_hash computes it). Programs without one get
	// none (the runtime then refuses to load them).
	ProgramInfoHashes map[string][]byte
	// InstructionCounts holds each program's eBPF instruction count, by
	// index into Metadata.Programs; missing entries are 0.
	InstructionCounts []int
}

// Section names the runtime's user-mode parser looks for.
const (
	ProgramsSection         = "programs"
	MapsSection             = "maps"
	GlobalVariablesSection  = "global_variables"
	MapInitialValuesSection = "map_initial_values"
	HashSection             = "hash"
	InitSection             = "INIT"
)

// Sizes of bpf2c.h's structures on a 64-bit target, and their headers'
// "size" (up to and including the last field) and "total_size".
const (
	headerSize = 24 // ebpf_native_module_header_t: u16 version, size_t size, size_t total_size

	helperEntrySize   = 40 // helper_function_entry_t
	mapEntrySize      = 80 // map_entry_t
	programEntrySize  = 154
	programEntryTotal = 160 // program_entry_t
	globalInfoSize    = 48  // global_variable_section_info_t
	mapInitValuesSize = 48  // map_initial_values_t
	metadataTableSize = 56  // metadata_table_t
	helperDataTotal   = 40  // helper_function_data_t
	mapDataTotal      = 40  // map_data_t (v2, with array_data)
	globalDataTotal   = 32  // global_variable_section_data_t
	hashTypeSHA256    = "SHA256"
	rcHelperData      = 24 // program_runtime_context_t.helper_data
	rcMapData         = 32 // .map_data
	rcGlobalData      = 40 // .global_variable_section_data
	helperDataAddress = 24 // helper_function_data_t.address
	mapDataAddress    = 24 // map_data_t.address
	mapDataArrayData  = 32 // map_data_t.array_data
	globalDataAddress = 24 // global_variable_section_data_t.address_of_map_value
)

// imports are the kernel routines the driver calls, by exporting module.
var imports = []struct {
	dll   string
	names []string
}{
	{"NETIO.SYS", []string{"NmrClientAttachProvider", "NmrDeregisterClient", "NmrRegisterClient", "NmrWaitForClientDeregisterComplete"}},
	{"ntoskrnl.exe", []string{"RtlQueryRegistryValues"}},
}

// Link writes obj as a Windows kernel driver (.sys, PE32+) that registers
// with the ebpf-for-windows runtime as a bpf2c-generated driver does and
// describes meta in bpf2c.h's layout. The output depends on nothing but its
// inputs. It is not signed; see package sign.
func Link(obj *backend.Object, meta *metadata.Metadata, opts Options) ([]byte, error) {
	out, err := link(obj, meta, opts)
	if err != nil {
		return nil, fmt.Errorf("linker/pe: %w", err)
	}
	return out, nil
}

func header(version uint16, size, total uint64) []byte {
	b := make([]byte, headerSize)
	binary.LittleEndian.PutUint16(b[0:], version)
	binary.LittleEndian.PutUint64(b[8:], size)
	binary.LittleEndian.PutUint64(b[16:], total)
	return b
}

func check(obj *backend.Object, meta *metadata.Metadata) error {
	if obj == nil || meta == nil {
		return fmt.Errorf("%w: nil object or metadata", ErrInvalidObject)
	}
	// The relocation forms each arch's code uses, and the bytes each
	// patches.
	var forms map[backend.RelocForm]int
	switch {
	case obj.Arch == "amd64" && obj.ABI == "windows":
		forms = map[backend.RelocForm]int{backend.PCRel32: 4, backend.Abs64: 8}
	case obj.Arch == "arm64" && obj.ABI == "windows":
		forms = map[backend.RelocForm]int{backend.AArch64Page21: 4, backend.AArch64Lo12Add: 4, backend.AArch64Lo12Ldst64: 4}
	default:
		return fmt.Errorf("%w: %s/%s code; a driver needs amd64 or arm64 code for the windows ABI", ErrInvalidObject, obj.Arch, obj.ABI)
	}
	if err := meta.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidObject, err)
	}
	if obj.HelperIDSlots > 0 || meta.HelperIDSlots > 0 {
		// ebpf-for-windows resolves helpers per program by id at load
		// time and has no table of every helper by id.
		return fmt.Errorf("%w: callx (a call through a register holding a helper id): ebpf-for-windows drivers cannot call helpers by id", ErrUnsupported)
	}
	if len(meta.Slots) != len(obj.Maps) || len(meta.Helpers) != len(obj.Helpers) {
		return fmt.Errorf("%w: metadata has %d map slots and %d helper slots, the object %d and %d",
			ErrInvalidObject, len(meta.Slots), len(meta.Helpers), len(obj.Maps), len(obj.Helpers))
	}
	for _, f := range obj.Funcs {
		if f.Offset < 0 || f.Size < 0 || f.Offset+f.Size > len(obj.Text) {
			return fmt.Errorf("%w: function %s outside the text", ErrInvalidObject, f.Name)
		}
	}
	tables := [3]int{len(obj.Helpers), len(obj.Maps), len(obj.Maps)}
	for _, r := range obj.Relocs {
		if r.Table < 0 || int(r.Table) >= len(tables) || r.Slot < 0 || r.Slot >= tables[r.Table] {
			return fmt.Errorf("%w: relocation at %#x: slot %d of table %v", ErrInvalidObject, r.Offset, r.Slot, r.Table)
		}
		size, ok := forms[r.Form]
		if !ok {
			return fmt.Errorf("%w: relocation at %#x: form %d in %s code", ErrInvalidObject, r.Offset, r.Form, obj.Arch)
		}
		if r.Offset < 0 || r.Offset+size > len(obj.Text) {
			return fmt.Errorf("%w: relocation at %#x outside the text", ErrInvalidObject, r.Offset)
		}
	}
	// Program thunks copy the runtime's per-program helper addresses into
	// one module-wide table, so a helper id must mean the same function
	// for every program: program-type-specific helpers (ids from 65536)
	// may be shared only by programs of one type.
	owner := map[int32]string{}
	for _, p := range meta.Programs {
		for _, id := range p.Helpers {
			if id < 65536 {
				continue
			}
			if t, ok := owner[id]; ok && t != p.Type {
				return fmt.Errorf("%w: helper %d is called by %s and %s programs; its address may differ", ErrUnsupported, id, t, p.Type)
			}
			owner[id] = p.Type
		}
	}
	return nil
}

// peSectionNames gives each program the PE section its entry lives in, as
// bpf2c's set_pe_section_name does: the ELF section's name when it fits in
// 8 bytes, otherwise a prefix, "~" and a counter.
func peSectionNames(progs []metadata.Program) []string {
	names := make([]string, len(progs))
	long := map[string]string{}
	counter := 0
	for i, p := range progs {
		if len(p.Section) <= 8 && p.Section != "" {
			names[i] = p.Section
			continue
		}
		if n, ok := long[p.Section]; ok {
			names[i] = n
			continue
		}
		counter++
		suffix := fmt.Sprintf("~%d", counter)
		prefix := p.Section
		if len(prefix) > 8-len(suffix) {
			prefix = prefix[:8-len(suffix)]
		}
		names[i] = prefix + suffix
		long[p.Section] = names[i]
	}
	return names
}

// mapList is the driver's map table: bpf2c's _maps, in index order.
type mapList struct {
	defs []mapDef
	// globalBase is the index of the first global section's map.
	globalBase int
}

type mapDef struct {
	name                             string
	typ, key, value, max, inner, pin uint32
}

const bpfMapTypeArray = 2

func buildMaps(meta *metadata.Metadata, module string) mapList {
	var l mapList
	byName := map[string]int{}
	for i, m := range meta.Maps {
		l.defs = append(l.defs, mapDef{name: m.Name, typ: m.Type, key: m.KeySize, value: m.ValueSize, max: m.MaxEntries, pin: m.Pinning})
		byName[m.Name] = i
	}
	l.globalBase = len(l.defs)
	prefix := module
	if len(prefix) > 7 {
		prefix = prefix[:7]
	}
	for _, g := range meta.Globals {
		l.defs = append(l.defs, mapDef{name: prefix + g.Name, typ: bpfMapTypeArray, key: 4, value: g.Size, max: 1})
	}
	// Inner templates: the map of that name when the object has one,
	// otherwise an extra definition after everything else.
	for i, m := range meta.Maps {
		if m.Inner == nil {
			continue
		}
		j, ok := byName[m.Inner.Name]
		if !ok || m.Inner.Name == "" {
			in := m.Inner
			j = len(l.defs)
			name := in.Name
			if name == "" {
				name = m.Name + ".inner"
			}
			l.defs = append(l.defs, mapDef{name: name, typ: in.Type, key: in.KeySize, value: in.ValueSize, max: in.MaxEntries, pin: in.Pinning})
		}
		l.defs[i].inner = uint32(j)
	}
	return l
}

func link(obj *backend.Object, meta *metadata.Metadata, opts Options) ([]byte, error) {
	if err := check(obj, meta); err != nil {
		return nil, err
	}
	module := opts.Name
	if module == "" {
		module = "bpf2native"
	}
	im := &image{}
	// Section order matters to the runtime's user-mode parser: it
	// resolves names in "maps" through .rdata, which must come first.
	text := im.add(".text", charCode)
	var mc isa
	if obj.Arch == "arm64" {
		mc = newA64(im, text)
	} else {
		mc = newX64(im, text)
	}
	im.codeFill = mc.fill()
	peNames := peSectionNames(meta.Programs)
	progSec := map[string]secID{}
	for i, n := range peNames {
		switch n {
		case ".rdata", ".data", MapsSection, ProgramsSection, GlobalVariablesSection, MapInitialValuesSection,
			HashSection, ".pdata", InitSection, ".reloc":
			return nil, fmt.Errorf("%w: program %s: section %q collides with a section of the driver", ErrUnsupported, meta.Programs[i].Name, n)
		}
		if _, ok := progSec[n]; !ok && n != ".text" {
			progSec[n] = im.add(n, charCode)
		}
	}
	progSec[".text"] = text
	rdata := im.add(".rdata", charRData)
	data := im.add(".data", charData)
	mapsSec := im.add(MapsSection, charData)
	programs := im.add(ProgramsSection, charData)
	globals := im.add(GlobalVariablesSection, charData)
	initVals := im.add(MapInitialValuesSection, charData)
	hash := im.add(HashSection, charRData)
	pdata := im.add(".pdata", charPData)
	initSec := im.add(InitSection, charInit)
	reloc := im.add(".reloc", charReloc)

	abs := func(sec secID, off int, to sym) { im.ref(sec, off, fixAbs64, to, 0) }

	// --- .rdata: the import address table first, as MSVC lays it out.
	iat := map[string]sym{}
	iatStart := im.here(rdata)
	type iatSlot struct {
		at   sym
		name string
	}
	var iatSlots [][]iatSlot
	for _, d := range imports {
		var slots []iatSlot
		for _, n := range d.names {
			at := im.zeros(rdata, 8)
			iat[n] = at
			slots = append(slots, iatSlot{at, n})
		}
		im.zeros(rdata, 8)
		iatSlots = append(iatSlots, slots)
	}
	iatSize := len(im.sec(rdata).data) - iatStart.off

	// Strings.
	strs := map[string]sym{}
	str := func(s string) sym {
		if at, ok := strs[s]; ok {
			return at
		}
		at := im.cstring(rdata, s)
		strs[s] = at
		return at
	}

	// --- .data: the module tables the code addresses.
	im.align(data, 16)
	nh, nm := len(obj.Helpers), len(obj.Maps)
	tables := [3]sym{}
	tables[backend.HelperTable] = im.zeros(data, 8*nh)
	tables[backend.MapTable] = im.zeros(data, 8*nm)
	tables[backend.MapValueTable] = im.zeros(data, 8*nm)

	// --- .text: the generated code and its table references.
	im.bytes(text, obj.Text)
	for _, r := range obj.Relocs {
		to := sym{tables[r.Table].sec, tables[r.Table].off + 8*r.Slot}
		im.ref(text, r.Offset, relocFix[r.Form], to, r.Addend)
	}
	if err := mc.code(obj); err != nil {
		return nil, err
	}

	// --- NMR state and registration data in .data.
	im.align(data, 8)
	npi := im.bytes(data, NativeModuleNPI[:])
	moduleID := im.zeros(data, sizeNpiModuleID)
	im.put16(data, moduleID.off, sizeNpiModuleID)
	im.put32(data, moduleID.off+4, mitGUID)
	clientHandle := im.zeros(data, 8)
	providerHandle := im.zeros(data, 8)

	// --- metadata_table_t and the functions it points to.
	hashAt := im.bytes(hash, meta.SourceSHA256[:])

	// Global sections: initial data in .rdata, infos in global_variables.
	var globalsAt sym
	for gi, g := range meta.Globals {
		im.align(rdata, 8)
		initAt := im.bytes(rdata, g.Init)
		name := str(buildMapsName(module, g.Name))
		at := im.bytes(globals, header(1, globalInfoSize, globalInfoSize))
		if gi == 0 {
			globalsAt = at
		}
		e := im.zeros(globals, globalInfoSize-headerSize)
		abs(globals, e.off, name)
		im.put64(globals, e.off+8, uint64(g.Size))
		abs(globals, e.off+16, initAt)
	}

	maps := buildMaps(meta, module)
	var mapsAt sym
	for i, d := range maps.defs {
		at := im.zeros(mapsSec, 16) // zero_marker
		if i == 0 {
			mapsAt = at
		}
		im.bytes(mapsSec, header(1, mapEntrySize, mapEntrySize))
		var def [32]byte
		for k, v := range []uint32{d.typ, d.key, d.value, d.max, d.inner, d.pin, 0, 0} {
			binary.LittleEndian.PutUint32(def[4*k:], v)
		}
		im.bytes(mapsSec, def[:])
		nameAt := im.zeros(mapsSec, 8)
		abs(mapsSec, nameAt.off, str(d.name))
	}

	// Initial values of program arrays and maps of maps: names.
	type initVal struct {
		name   string
		values []string
	}
	var ivs []initVal
	for _, m := range meta.Maps {
		var named []metadata.Entry
		for _, e := range m.Entries {
			if e.Value != "" {
				named = append(named, e)
			}
		}
		if len(named) == 0 {
			continue
		}
		n := uint32(0)
		for _, e := range named {
			n = max(n, e.Key+1)
		}
		if n > 1<<20 {
			return nil, fmt.Errorf("%w: map %s: initial value at key %d", ErrInvalidObject, m.Name, n-1)
		}
		vals := make([]string, n)
		for _, e := range named {
			vals[e.Key] = e.Value
		}
		ivs = append(ivs, initVal{m.Name, vals})
	}
	var ivAt sym
	if len(ivs) > 0 {
		// The string tables first, then the map_initial_values_t array
		// (bpf2c emits both into the section in that order).
		tablesAt := make([]sym, len(ivs))
		for i, iv := range ivs {
			im.align(initVals, 8)
			tablesAt[i] = im.zeros(initVals, 8*len(iv.values))
			for k, v := range iv.values {
				if v != "" {
					abs(initVals, tablesAt[i].off+8*k, str(v))
				}
			}
		}
		im.align(initVals, 16)
		for i, iv := range ivs {
			at := im.bytes(initVals, header(1, mapInitValuesSize, mapInitValuesSize))
			if i == 0 {
				ivAt = at
			}
			e := im.zeros(initVals, mapInitValuesSize-headerSize)
			abs(initVals, e.off, str(iv.name))
			im.put64(initVals, e.off+8, uint64(len(iv.values)))
			abs(initVals, e.off+16, tablesAt[i])
		}
	}

	// Programs: per-program GUIDs, helper lists and map index lists in
	// .data, program_entry_t in "programs", thunks in the program's PE
	// section.
	var progsAt sym
	entries := map[string]sym{}
	for _, f := range obj.Funcs {
		if f.Program >= 0 {
			entries[f.Name] = sym{text, f.Offset}
		}
	}
	for pi, p := range meta.Programs {
		entry, ok := entries[p.Entry]
		if !ok {
			return nil, fmt.Errorf("%w: program %s: no function %q", ErrInvalidObject, p.Name, p.Entry)
		}
		im.align(data, 8)
		pt := ProgramTypeGUID(p.Type)
		ptAt := im.bytes(data, pt[:])
		at := AttachTypeGUID(p.Section)
		atAt := im.bytes(data, at[:])

		uses := map[int32]bool{}
		for _, id := range p.Helpers {
			uses[id] = true
		}
		// The helper list is the module's helper table, with unused
		// slots as sentinels (id 0, name ""), so helper_data[i] is the
		// module's slot i for every program.
		var helpersAt sym
		if nh > 0 {
			im.align(data, 8)
			helpersAt = im.here(data)
			for _, h := range meta.Helpers {
				im.bytes(data, header(1, helperEntrySize, helperEntrySize))
				e := im.zeros(data, helperEntrySize-headerSize)
				name := ""
				if uses[h.ID] {
					im.put32(data, e.off, uint32(h.ID))
					name = h.Name
					if name == "" {
						name = fmt.Sprintf("helper_id_%d", h.ID)
					}
				}
				abs(data, e.off+8, str(name))
			}
		}
		var mapIdx []uint16
		for _, m := range p.Maps {
			mapIdx = append(mapIdx, uint16(m))
		}
		for _, g := range p.Globals {
			mapIdx = append(mapIdx, uint16(maps.globalBase+g))
		}
		sort.Slice(mapIdx, func(i, j int) bool { return mapIdx[i] < mapIdx[j] })
		var mapIdxAt sym
		if len(mapIdx) > 0 {
			im.align(data, 8)
			mapIdxAt = im.here(data)
			for _, x := range mapIdx {
				im.bytes(data, binary.LittleEndian.AppendUint16(nil, x))
			}
		}
		var infoHashAt sym
		infoHash := opts.ProgramInfoHashes[p.Name]
		if len(infoHash) > 0 {
			im.align(rdata, 8)
			infoHashAt = im.bytes(rdata, infoHash)
		}

		// The thunk: copy what the runtime resolved for this program
		// into the module tables, then jump to the program.
		var copies []thunkCopy
		for i, h := range meta.Helpers {
			if uses[h.ID] {
				copies = append(copies, thunkCopy{rcHelperData, helperDataTotal*i + helperDataAddress, sym{data, tables[backend.HelperTable].off + 8*i}})
			}
		}
		refMap := map[int]bool{}
		for _, m := range p.Maps {
			refMap[m] = true
		}
		refGlobal := map[int]bool{}
		for _, g := range p.Globals {
			refGlobal[g] = true
		}
		for s, sl := range meta.Slots {
			if sl.Kind == metadata.SlotMap && refMap[sl.Index] {
				copies = append(copies,
					thunkCopy{rcMapData, mapDataTotal*sl.Index + mapDataAddress, sym{data, tables[backend.MapTable].off + 8*s}},
					thunkCopy{rcMapData, mapDataTotal*sl.Index + mapDataArrayData, sym{data, tables[backend.MapValueTable].off + 8*s}})
			}
		}
		for s, sl := range meta.Slots {
			if sl.Kind == metadata.SlotGlobal && refGlobal[sl.Index] {
				copies = append(copies, thunkCopy{rcMapData, mapDataTotal*(maps.globalBase+sl.Index) + mapDataAddress, sym{data, tables[backend.MapTable].off + 8*s}})
			}
		}
		for s, sl := range meta.Slots {
			if sl.Kind == metadata.SlotGlobal && refGlobal[sl.Index] {
				copies = append(copies, thunkCopy{rcGlobalData, globalDataTotal*sl.Index + globalDataAddress, sym{data, tables[backend.MapValueTable].off + 8*s}})
			}
		}
		thunk, err := mc.thunk(progSec[peNames[pi]], copies, entry)
		if err != nil {
			return nil, fmt.Errorf("program %s: %w", p.Name, err)
		}

		// program_entry_t.
		im.align(programs, 16)
		pe := im.zeros(programs, programEntryTotal)
		if pi == 0 {
			progsAt = pe
		}
		copy(im.sec(programs).data[pe.off+8:], header(1, programEntrySize, programEntryTotal))
		o := pe.off
		abs(programs, o+32, thunk)
		abs(programs, o+40, str(peNames[pi]))
		abs(programs, o+48, str(p.Section))
		abs(programs, o+56, str(p.Name))
		if len(mapIdx) > 0 {
			abs(programs, o+64, mapIdxAt)
		}
		im.put16(programs, o+72, uint16(len(mapIdx)))
		if nh > 0 {
			abs(programs, o+80, helpersAt)
		}
		im.put16(programs, o+88, uint16(nh))
		if pi < len(opts.InstructionCounts) {
			im.put64(programs, o+96, uint64(opts.InstructionCounts[pi]))
		}
		abs(programs, o+104, ptAt)
		abs(programs, o+112, atAt)
		if len(infoHash) > 0 {
			abs(programs, o+120, infoHashAt)
			im.put64(programs, o+128, uint64(len(infoHash)))
			abs(programs, o+136, str(hashTypeSHA256))
		}
	}

	// The metadata table's functions: each stores a pointer and a count.
	getPrograms := mc.getter(progsAt, len(meta.Programs) > 0, uint32(len(meta.Programs)))
	getMaps := mc.getter(mapsAt, len(maps.defs) > 0, uint32(len(maps.defs)))
	getHash := mc.getter(hashAt, true, uint32(len(meta.SourceSHA256)))
	getInitVals := mc.getter(ivAt, len(ivs) > 0, uint32(len(ivs)))
	getGlobals := mc.getter(globalsAt, len(meta.Globals) > 0, uint32(len(meta.Globals)))
	getVersion := mc.version()

	im.align(data, 16)
	table := im.zeros(data, metadataTableSize)
	im.put64(data, table.off, metadataTableSize)
	for k, f := range []sym{getPrograms, getMaps, getHash, getVersion, getInitVals, getGlobals} {
		abs(data, table.off+8+8*k, f)
	}

	// NMR client callbacks, the registry callback and DriverUnload.
	guid := sym{moduleID.sec, moduleID.off + offNpiModuleIDGuid}
	attach := mc.attach(providerHandle, table, iat["NmrClientAttachProvider"])
	detach := mc.detach(providerHandle)
	queryRoutine := mc.queryRoutine(guid)
	unload := mc.unload(clientHandle, iat["NmrDeregisterClient"], iat["NmrWaitForClientDeregisterComplete"])

	// NPI_CLIENT_CHARACTERISTICS {0, sizeof, attach, detach, NULL,
	// {0, sizeof(NPI_REGISTRATION_INSTANCE), &npi_id, &module_id, 0, NULL}}.
	im.align(data, 8)
	chars := im.zeros(data, sizeNpiClientChars)
	im.put16(data, chars.off+2, sizeNpiClientChars)
	abs(data, chars.off+8, attach)
	abs(data, chars.off+16, detach)
	im.put16(data, chars.off+32+2, sizeNpiRegistration)
	abs(data, chars.off+32+8, npi)
	abs(data, chars.off+32+16, moduleID)

	// RTL_QUERY_REGISTRY_TABLE: the Parameters subkey, then the required
	// NpiModuleId value, then the terminating zero entry.
	qt := im.zeros(data, 3*sizeQueryRegistryTable)
	im.put32(data, qt.off+8, rtlQueryRegistrySubkey)
	abs(data, qt.off+16, im.wstring(rdata, "Parameters"))
	q1 := qt.off + sizeQueryRegistryTable
	abs(data, q1, queryRoutine)
	im.put32(data, q1+8, rtlQueryRegistryRequired)
	abs(data, q1+16, im.wstring(rdata, "NpiModuleId"))

	// DriverEntry, alone in INIT.
	driverEntry := mc.driverEntry(initSec, qt, chars, clientHandle, unload, iat["RtlQueryRegistryValues"], iat["NmrRegisterClient"])

	// --- Import directory (descriptors, lookup tables, names) in .rdata.
	im.align(rdata, 8)
	var ilts [][]sym
	for _, slots := range iatSlots {
		var ilt []sym
		for range slots {
			ilt = append(ilt, im.zeros(rdata, 8))
		}
		im.zeros(rdata, 8)
		ilts = append(ilts, ilt)
	}
	im.align(rdata, 4)
	descs := im.zeros(rdata, 20*(len(imports)+1))
	for di, d := range imports {
		o := descs.off + 20*di
		im.ref(rdata, o, fixRVA32, ilts[di][0], 0)
		dllName := im.cstring(rdata, d.dll)
		im.ref(rdata, o+12, fixRVA32, dllName, 0)
		im.ref(rdata, o+16, fixRVA32, iatSlots[di][0].at, 0)
	}
	for di, slots := range iatSlots {
		for k, s := range slots {
			im.align(rdata, 2)
			hint := im.zeros(rdata, 2)
			im.cstring(rdata, s.name)
			im.ref(rdata, s.at.off, fixRVA32, hint, 0)
			im.ref(rdata, ilts[di][k].off, fixRVA32, hint, 0)
		}
	}

	// --- Unwind information: .pdata sorted by address, unwind records in
	// .rdata.
	if err := mc.unwind(rdata, pdata); err != nil {
		return nil, err
	}

	// --- Base relocations: lay out with a placeholder .reloc of the final
	// size (it depends only on the fixups), then fill it.
	// The size of .reloc depends on how the pointers fall into pages, so
	// lay out twice: once to learn the RVAs, then with .reloc filled.
	im.bytes(reloc, make([]byte, 8)) // keep .reloc non-empty for the first layout
	headers := im.layout()
	relocs, err := im.resolve()
	if err != nil {
		return nil, err
	}
	im.sec(reloc).data = baseRelocs(relocs)
	if len(im.sec(reloc).data) == 0 {
		// An image with no pointers still gets a (padding-only) block,
		// so it stays relocatable.
		im.sec(reloc).data = []byte{0, 0, 0, 0, 8, 0, 0, 0}
	}
	// .reloc is last, so its size does not move anything else.
	headers2 := im.layout()
	if headers2 != headers {
		return nil, errors.New("BUG: headers changed size between layouts")
	}
	if _, err := im.resolve(); err != nil {
		return nil, err
	}

	relocSize := len(im.sec(reloc).data)
	pdataSize := len(im.sec(pdata).data)
	dirs := map[int]dataDir{
		dirImport:    {descs, func() uint32 { return uint32(20 * (len(imports) + 1)) }},
		dirException: {sym{pdata, 0}, func() uint32 { return uint32(pdataSize) }},
		dirBaseReloc: {sym{reloc, 0}, func() uint32 { return uint32(relocSize) }},
		dirIAT:       {iatStart, func() uint32 { return uint32(iatSize) }},
	}
	return im.write(headers, writeOptions{machine: mc.machine(), entry: driverEntry, dirs: dirs}), nil
}

func buildMapsName(module, section string) string {
	if len(module) > 7 {
		module = module[:7]
	}
	return module + section
}
