//go:build linux && (amd64 || arm64) && cgo

package loader

/*
#include "native.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/cgo"
	"sync"
	"syscall"
	"unsafe"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
)

// ErrUnsupported is returned for code this host cannot run.
var ErrUnsupported = errors.New("loader: code for another machine")

// ErrClosed is returned by Run after Close.
var ErrClosed = errors.New("loader: image is closed")

// hostTarget is the only Arch/ABI this build can call.
var hostTarget = map[string]string{"amd64": "sysv", "arm64": "aapcs64"}

// Image is an object loaded into this process and bound to a runtime. Like
// host.Runtime, it runs one program at a time.
type Image struct {
	mod *ir.Module
	rt  *host.Runtime

	mu  sync.Mutex
	mem []byte // the whole mapping; nil once closed
	// entries holds each program's address, by ir.Module program index;
	// 0 for a program the object does not contain.
	entries []uintptr
	// helperIDs holds the helper id of each helper-table slot.
	helperIDs []int32
}

// Load maps obj's code and tables, binds them to rt (the runtime of mod),
// and makes the code executable.
func Load(obj *backend.Object, mod *ir.Module, rt *host.Runtime) (*Image, error) {
	img, err := load(obj, mod, rt)
	if err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	return img, nil
}

func load(obj *backend.Object, mod *ir.Module, rt *host.Runtime) (*Image, error) {
	if obj == nil || mod == nil || rt == nil {
		return nil, errors.New("nil object, module or runtime")
	}
	if obj.Arch != runtime.GOARCH || obj.ABI != hostTarget[runtime.GOARCH] {
		return nil, fmt.Errorf("%w: %s/%s code on a %s host (needs %s)", ErrUnsupported, obj.Arch, obj.ABI, runtime.GOARCH, hostTarget[runtime.GOARCH])
	}
	if len(rt.Maps) != len(mod.Maps) {
		return nil, fmt.Errorf("runtime has %d maps, module %d: not the module's runtime", len(rt.Maps), len(mod.Maps))
	}
	if len(obj.Helpers) > C.BPF2NATIVE_TRAMPOLINES {
		return nil, fmt.Errorf("%d helper slots, at most %d", len(obj.Helpers), C.BPF2NATIVE_TRAMPOLINES)
	}
	img := &Image{mod: mod, rt: rt, helperIDs: append([]int32(nil), obj.Helpers...), entries: make([]uintptr, len(mod.Programs))}

	if obj.HelperIDSlots < 0 || obj.HelperIDSlots > 1<<16 {
		return nil, fmt.Errorf("helper-id table of %d slots", obj.HelperIDSlots)
	}
	// Fill the tables first, so nothing is mapped if a slot is unusable.
	nh, nm, nid := len(obj.Helpers), len(obj.Maps), obj.HelperIDSlots
	tables := make([]uint64, nh+2*nm+nid)
	for i := range obj.Helpers {
		tables[i] = uint64(uintptr(C.bpf2native_trampolines[i]))
	}
	for i, m := range obj.Maps {
		if m < 0 || m >= len(rt.Maps) {
			return nil, fmt.Errorf("map slot %d: map %d does not exist (the module has %d)", i, m, len(rt.Maps))
		}
		tables[nh+i] = rt.Maps[m].Handle()
		// Only array maps and globals have a fixed first value; code
		// never reads the slot of other kinds.
		if v, err := rt.MapValueAddr(m); err == nil {
			tables[nh+nm+i] = v
		}
	}
	// The helper-id table: the by-id trampoline for every id the runtime
	// has a helper for, the trap elsewhere and in slot 0.
	for id := 0; id < nid; id++ {
		fn := uintptr(C.bpf2native_callx_trap)
		if _, ok := rt.Helper(int32(id)); ok && id > 0 {
			fn = uintptr(C.bpf2native_callx_helper)
		}
		tables[nh+2*nm+id] = uint64(fn)
	}

	page := syscall.Getpagesize()
	codeSize := roundUp(max(len(obj.Text), 1), page)
	tableSize := roundUp(8*len(tables), page)
	mem, err := syscall.Mmap(-1, 0, codeSize+tableSize, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return nil, fmt.Errorf("mmap %d bytes: %w", codeSize+tableSize, err)
	}
	ok := false
	defer func() {
		if !ok {
			syscall.Munmap(mem)
		}
	}()
	base := uint64(uintptr(unsafe.Pointer(unsafe.SliceData(mem))))
	code := mem[:codeSize:codeSize]
	copy(code, obj.Text)
	tableMem := mem[codeSize:]
	for i, v := range tables {
		*(*uint64)(unsafe.Pointer(&tableMem[8*i])) = v
	}
	tableBase := [...]uint64{
		backend.HelperTable:   base + uint64(codeSize),
		backend.MapTable:      base + uint64(codeSize) + 8*uint64(nh),
		backend.MapValueTable: base + uint64(codeSize) + 8*uint64(nh+nm),
		backend.HelperIDTable: base + uint64(codeSize) + 8*uint64(nh+2*nm),
	}
	tableLen := [...]int{nh, nm, nm, nid}
	for _, r := range obj.Relocs {
		if r.Table < 0 || int(r.Table) >= len(tableBase) {
			return nil, fmt.Errorf("relocation at %#x: unknown table %d", r.Offset, r.Table)
		}
		if r.Slot < 0 || r.Slot >= tableLen[r.Table] {
			return nil, fmt.Errorf("relocation at %#x: slot %d outside the %d-slot %s table", r.Offset, r.Slot, tableLen[r.Table], r.Table)
		}
		if err := relocate(code[:len(obj.Text)], base, r, tableBase[r.Table]+8*uint64(r.Slot)); err != nil {
			return nil, err
		}
	}
	for _, f := range obj.Funcs {
		if f.Offset < 0 || f.Size < 0 || f.Offset > len(obj.Text) || f.Size > len(obj.Text)-f.Offset {
			return nil, fmt.Errorf("function %s: [%d, +%d) is outside the %d-byte text", f.Name, f.Offset, f.Size, len(obj.Text))
		}
		if f.Program < 0 {
			continue
		}
		if f.Program >= len(img.entries) {
			return nil, fmt.Errorf("function %s: program %d does not exist (the module has %d)", f.Name, f.Program, len(img.entries))
		}
		img.entries[f.Program] = uintptr(base) + uintptr(f.Offset)
	}

	// W^X: from here on the code is never writable again, and the
	// tables, filled, are never written again either.
	if err := syscall.Mprotect(code, syscall.PROT_READ|syscall.PROT_EXEC); err != nil {
		return nil, fmt.Errorf("mprotect code read+execute: %w", err)
	}
	if tableSize > 0 {
		if err := syscall.Mprotect(tableMem, syscall.PROT_READ); err != nil {
			return nil, fmt.Errorf("mprotect tables read-only: %w", err)
		}
	}
	C.bpf2native_flush(C.uintptr_t(base), C.uintptr_t(base+uint64(codeSize)))
	img.mem = mem
	ok = true
	return img, nil
}

func roundUp(n, to int) int { return (n + to - 1) / to * to }

// CodeAddr returns the address of the code mapping, for tests and
// diagnostics (it is what /proc/self/maps lists); 0 once closed.
func (img *Image) CodeAddr() uintptr {
	img.mu.Lock()
	defer img.mu.Unlock()
	if img.mem == nil {
		return 0
	}
	return uintptr(unsafe.Pointer(unsafe.SliceData(img.mem)))
}

// Entry returns the address of program prog's native function, or 0.
func (img *Image) Entry(prog int) uintptr {
	if prog < 0 || prog >= len(img.entries) {
		return 0
	}
	return img.entries[prog]
}

// Close unmaps the image. Run fails afterwards.
func (img *Image) Close() error {
	img.mu.Lock()
	defer img.mu.Unlock()
	if img.mem == nil {
		return nil
	}
	err := syscall.Munmap(img.mem)
	img.mem = nil
	if err != nil {
		return fmt.Errorf("loader: munmap: %w", err)
	}
	return nil
}

// run is the state of one Run that helpers called from native code reach
// through a cgo.Handle.
type run struct {
	img   *Image
	state host.RunState
	err   error
}

// Run calls program prog (an index into the module's programs) with ctx
// and returns r0 at its final exit, after any tail calls.
func (img *Image) Run(prog int, ctx *host.Context) (uint64, error) {
	// The lock keeps Close from unmapping code that is running, and runs
	// one program at a time, as the runtime requires.
	img.mu.Lock()
	defer img.mu.Unlock()
	if img.mem == nil {
		return 0, ErrClosed
	}
	if prog < 0 || prog >= len(img.entries) {
		return 0, fmt.Errorf("loader: no program %d (the module has %d)", prog, len(img.entries))
	}
	if ctx == nil {
		return 0, fmt.Errorf("loader: program %s: no context", img.mod.Programs[prog].Name)
	}
	r := &run{img: img, state: host.RunState{TailTarget: -1}}
	h := cgo.NewHandle(r)
	defer h.Delete()
	// One call, then one per tail call; the helper refuses tail calls
	// beyond host.MaxTailCalls, the bound here only guards against a
	// helper that does not.
	for calls := 0; calls <= host.MaxTailCalls; calls++ {
		entry := img.entries[prog]
		if entry == 0 {
			return 0, fmt.Errorf("loader: program %s is not in the object", img.mod.Programs[prog].Name)
		}
		var aborted C.int
		r0 := C.bpf2native_call(C.uintptr_t(entry), C.uintptr_t(ctx.R1()), C.uint64_t(ctx.R2()), C.uintptr_t(h), &aborted)
		// ctx's memory is what the code addressed; it must outlive the
		// call even though only its address crossed into C.
		runtime.KeepAlive(ctx)
		if aborted != 0 {
			return 0, fmt.Errorf("loader: program %s: %w", img.mod.Programs[prog].Name, r.err)
		}
		if r.state.TailTarget < 0 {
			return uint64(r0), nil
		}
		prog, r.state.TailTarget = r.state.TailTarget, -1
		if prog >= len(img.entries) {
			return 0, fmt.Errorf("loader: tail call to program %d, the module has %d", prog, len(img.entries))
		}
	}
	return 0, fmt.Errorf("loader: more than %d tail calls", host.MaxTailCalls)
}

//export bpf2nativeHelper
func bpf2nativeHelper(handle C.uintptr_t, slot C.int, r1, r2, r3, r4, r5 C.uint64_t, abort *C.int) (r0 C.uint64_t) {
	r := cgo.Handle(handle).Value().(*run)
	// A panic must not unwind into C frames (it would crash the process
	// with no context): turn it into an aborted run.
	defer func() {
		if p := recover(); p != nil {
			r.err = fmt.Errorf("helper slot %d panicked: %v", slot, p)
			*abort, r0 = 1, 0
		}
	}()
	c := host.Call{
		ID:   r.img.helperIDs[slot],
		Args: [5]uint64{uint64(r1), uint64(r2), uint64(r3), uint64(r4), uint64(r5)},
		Mem:  unchecked{},
		Run:  &r.state,
	}
	v, err := r.img.rt.CallHelper(&c)
	if err != nil {
		r.err = err
		*abort = 1
		return 0
	}
	return C.uint64_t(v)
}

//export bpf2nativeHelperByID
func bpf2nativeHelperByID(handle C.uintptr_t, id, r1, r2, r3, r4, r5 C.uint64_t, abort *C.int) (r0 C.uint64_t) {
	r := cgo.Handle(handle).Value().(*run)
	defer func() {
		if p := recover(); p != nil {
			r.err = fmt.Errorf("helper %d (callx) panicked: %v", uint64(id), p)
			*abort, r0 = 1, 0
		}
	}()
	if uint64(id) > math.MaxInt32 {
		// The table sends such ids to the trap; this is a second guard.
		r.err = noHelper(uint64(id))
		*abort = 1
		return 0
	}
	c := host.Call{
		ID:   int32(id),
		Args: [5]uint64{uint64(r1), uint64(r2), uint64(r3), uint64(r4), uint64(r5)},
		Mem:  unchecked{},
		Run:  &r.state,
	}
	v, err := r.img.rt.CallHelper(&c)
	if err != nil {
		r.err = err
		*abort = 1
		return 0
	}
	return C.uint64_t(v)
}

//export bpf2nativeNoHelper
func bpf2nativeNoHelper(handle C.uintptr_t, id C.uint64_t) {
	cgo.Handle(handle).Value().(*run).err = noHelper(uint64(id))
}

// noHelper is the error of a callx whose id names no helper.
func noHelper(id uint64) error {
	if id > math.MaxInt32 {
		return fmt.Errorf("callx: no helper with id %#x", id)
	}
	return fmt.Errorf("callx: no helper with id %d", id)
}

// unchecked is the host.Memory native code gives helpers: the addresses are
// the program's real pointers, which the verifier has already vouched for.
// It refuses only what would crash the process outright.
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
	// Reinterpreting the integer's storage, not converting a uintptr,
	// because the address is not a Go pointer the compiler can track.
	p := *(*unsafe.Pointer)(unsafe.Pointer(&addr))
	return unsafe.Slice((*byte)(p), n), nil
}
