package pe

import (
	"fmt"
	"sort"

	"github.com/bpf2native/bpf2native/backend"
)

// x86-64 routines, Microsoft x64 convention (arguments in rcx, rdx, r8,
// r9, then the stack above 32 bytes of shadow space). Each instruction's
// bytes are written next to its mnemonic; encodings are from the Intel
// SDM, volume 2 (REX prefixes in 2.2.1, ModRM/SIB in 2.1.5, RIP-relative
// addressing in 2.2.1.6). RIP-relative operands are written as fixups so
// the image builder fills in the displacement once sections have RVAs.
// Unwind information is UNWIND_INFO version 1 ("x64 exception handling")
// with 12-byte RUNTIME_FUNCTION entries.

type x64 struct {
	im   *image
	text secID
	fns  []x64Func
}

// x64Func is a function and its prologue, for unwind information.
type x64Func struct {
	at     sym
	size   int
	prolog int
	codes  []unwindCode
}

func newX64(im *image, text secID) *x64 { return &x64{im: im, text: text} }

func (*x64) machine() uint16 { return machineX64 }

func (*x64) fill() byte { return 0xcc } // int3

func (x *x64) code(obj *backend.Object) error {
	for _, f := range obj.Funcs {
		codes, prolog, err := backendUnwind(f)
		if err != nil {
			return err
		}
		x.fns = append(x.fns, x64Func{sym{x.text, f.Offset}, f.Size, prolog, codes})
	}
	return nil
}

// backendUnwind turns a backend function's prologue description into
// UNWIND_CODEs.
func backendUnwind(f backend.Func) ([]unwindCode, int, error) {
	var codes []unwindCode
	prolog := 0
	for _, u := range f.Unwind {
		if u.Offset < 0 || u.Offset > 255 {
			return nil, 0, fmt.Errorf("%w: function %s: prologue step at %d (unwind info holds 0-255)", ErrInvalidObject, f.Name, u.Offset)
		}
		switch u.Op {
		case "push":
			if u.Reg < 0 || u.Reg > 15 {
				return nil, 0, fmt.Errorf("%w: function %s: push of register %d", ErrInvalidObject, f.Name, u.Reg)
			}
			codes = append(codes, unwindCode{offset: u.Offset, op: uwopPushNonvol, info: uint8(u.Reg)})
		case "alloc":
			switch {
			case u.Size <= 0 || u.Size%8 != 0:
				return nil, 0, fmt.Errorf("%w: function %s: allocation of %d bytes", ErrInvalidObject, f.Name, u.Size)
			case u.Size <= 128:
				codes = append(codes, unwindCode{offset: u.Offset, op: uwopAllocSmall, info: uint8((u.Size - 8) / 8)})
			case u.Size <= 512*1024-8:
				codes = append(codes, unwindCode{offset: u.Offset, op: uwopAllocLarge, info: 0, extra: []uint16{uint16(u.Size / 8)}})
			default:
				codes = append(codes, unwindCode{offset: u.Offset, op: uwopAllocLarge, info: 1, extra: []uint16{uint16(u.Size), uint16(u.Size >> 16)}})
			}
		default:
			return nil, 0, fmt.Errorf("%w: function %s: unwind step %q in amd64 code", ErrInvalidObject, f.Name, u.Op)
		}
		prolog = max(prolog, u.Offset)
	}
	return codes, prolog, nil
}

// add finishes a routine and records it for unwind information.
func (x *x64) add(a *asm) sym {
	at, size := a.finish()
	x.fns = append(x.fns, x64Func{at, size, a.prolog, a.codes})
	return at
}

func (x *x64) thunk(sec secID, copies []thunkCopy, entry sym) (sym, error) {
	a := newAsm(x.im, sec)
	field := -1
	for _, c := range copies {
		if c.field != field {
			a.b(0x48, 0x8b, 0x42, byte(c.field)) // mov rax, [rdx+field]
			field = c.field
		}
		a.b(0x4c, 0x8b, 0x80).b(a.imm32(uint32(c.src))...) // mov r8, [rax+disp32]
		a.rip(c.dst, 0, []byte{0x4c, 0x89, 0x05})          // mov [rip+slot], r8
	}
	a.rip(entry, 0, []byte{0xe9}) // jmp program
	return x.add(a), nil
}

func (x *x64) getter(target sym, ok bool, count uint32) sym {
	a := newAsm(x.im, x.text)
	if ok {
		a.rip(target, 0, []byte{0x48, 0x8d, 0x05}) // lea rax, [rip+target]
	} else {
		a.b(0x31, 0xc0) // xor eax, eax
	}
	a.b(0x48, 0x89, 0x01)                      // mov [rcx], rax
	a.b(0x48, 0xc7, 0x02).b(a.imm32(count)...) // mov qword [rdx], imm32
	a.b(0xc3)                                  // ret
	return x.add(a)
}

func (x *x64) version() sym {
	a := newAsm(x.im, x.text)
	a.b(0xc7, 0x01).b(a.imm32(Version[0])...)       // mov dword [rcx], major
	a.b(0xc7, 0x41, 0x04).b(a.imm32(Version[1])...) // mov dword [rcx+4], minor
	a.b(0xc7, 0x41, 0x08).b(a.imm32(Version[2])...) // mov dword [rcx+8], revision
	a.b(0xc3)                                       // ret
	return x.add(a)
}

// attach(binding rcx, client_context rdx, provider_registration r8).
func (x *x64) attach(provider, table, nmrAttach sym) sym {
	a := newAsm(x.im, x.text)
	a.pushProlog(regRBX).subRSP(0x40)
	a.b(0x48, 0x89, 0xcb)                              // mov rbx, rcx
	a.b(0xb8).b(a.imm32(statusInvalidParameter)...)    // mov eax, STATUS_INVALID_PARAMETER
	a.rip(provider, 0, []byte{0x48, 0x83, 0x3d}, 0x00) // cmp qword [rip+provider], 0
	a.jcc8(0x75, "done")                               // jne done
	a.rip(table, 0, []byte{0x4c, 0x8d, 0x05})          // lea r8, [rip+metadata_table]
	a.b(0x4c, 0x8d, 0x4c, 0x24, 0x30)                  // lea r9, [rsp+0x30]
	a.b(0x48, 0x8d, 0x44, 0x24, 0x38)                  // lea rax, [rsp+0x38]
	a.b(0x48, 0x89, 0x44, 0x24, 0x20)                  // mov [rsp+0x20], rax
	a.rip(nmrAttach, 0, []byte{0xff, 0x15})            // call [rip+__imp_NmrClientAttachProvider]
	a.b(0x85, 0xc0)                                    // test eax, eax
	a.jcc8(0x75, "done")                               // jne done
	a.rip(provider, 0, []byte{0x48, 0x89, 0x1d})       // mov [rip+provider], rbx
	a.label("done")
	a.b(0x48, 0x83, 0xc4, 0x40) // add rsp, 0x40
	a.b(0x5b)                   // pop rbx
	a.b(0xc3)                   // ret
	return x.add(a)
}

// detach(client_binding_context rcx).
func (x *x64) detach(provider sym) sym {
	a := newAsm(x.im, x.text)
	a.rip(provider, 0, []byte{0x48, 0xc7, 0x05}, 0, 0, 0, 0) // mov qword [rip+provider], 0
	a.b(0x31, 0xc0)                                          // xor eax, eax
	a.b(0xc3)                                                // ret
	return x.add(a)
}

// queryRoutine(value_name rcx, value_type edx, value_data r8,
// value_length r9d, ...).
func (x *x64) queryRoutine(guid sym) sym {
	a := newAsm(x.im, x.text)
	a.b(0xb8).b(a.imm32(statusInvalidParameter)...) // mov eax, STATUS_INVALID_PARAMETER
	a.b(0x83, 0xfa, regBinary)                      // cmp edx, REG_BINARY
	a.jcc8(0x75, "ret")                             // jne ret
	a.b(0x41, 0x83, 0xf9, 0x10)                     // cmp r9d, 16
	a.jcc8(0x75, "ret")                             // jne ret
	a.b(0x49, 0x8b, 0x00)                           // mov rax, [r8]
	a.rip(guid, 0, []byte{0x48, 0x89, 0x05})        // mov [rip+guid], rax
	a.b(0x49, 0x8b, 0x40, 0x08)                     // mov rax, [r8+8]
	a.rip(guid, 8, []byte{0x48, 0x89, 0x05})        // mov [rip+guid+8], rax
	a.b(0x31, 0xc0)                                 // xor eax, eax
	a.label("ret")
	a.b(0xc3) // ret
	return x.add(a)
}

// unload(driver_object rcx).
func (x *x64) unload(client, deregister, wait sym) sym {
	a := newAsm(x.im, x.text)
	a.subRSP(0x28)
	a.rip(client, 0, []byte{0x48, 0x8b, 0x0d}) // mov rcx, [rip+client_handle]
	a.rip(deregister, 0, []byte{0xff, 0x15})   // call [rip+__imp_NmrDeregisterClient]
	a.b(0x3d).b(a.imm32(statusPending)...)     // cmp eax, STATUS_PENDING
	a.jcc8(0x75, "done")                       // jne done
	a.rip(client, 0, []byte{0x48, 0x8b, 0x0d}) // mov rcx, [rip+client_handle]
	a.rip(wait, 0, []byte{0xff, 0x15})         // call [rip+__imp_NmrWaitForClientDeregisterComplete]
	a.label("done")
	a.b(0x48, 0x83, 0xc4, 0x28) // add rsp, 0x28
	a.b(0xc3)                   // ret
	return x.add(a)
}

// driverEntry(driver_object rcx, registry_path rdx).
func (x *x64) driverEntry(sec secID, queryTable, chars, client, unload, rtlQuery, nmrRegister sym) sym {
	a := newAsm(x.im, sec)
	a.pushProlog(regRBX).subRSP(0x30)
	a.b(0x48, 0x89, 0xcb)                          // mov rbx, rcx
	a.b(0x48, 0x8b, 0x52, offUnicodeStringBuffer)  // mov rdx, [rdx+Buffer]
	a.b(0x31, 0xc9)                                // xor ecx, ecx (RTL_REGISTRY_ABSOLUTE)
	a.rip(queryTable, 0, []byte{0x4c, 0x8d, 0x05}) // lea r8, [rip+query_table]
	a.b(0x45, 0x31, 0xc9)                          // xor r9d, r9d
	a.b(0x48, 0xc7, 0x44, 0x24, 0x20, 0, 0, 0, 0)  // mov qword [rsp+0x20], 0
	a.rip(rtlQuery, 0, []byte{0xff, 0x15})         // call [rip+__imp_RtlQueryRegistryValues]
	a.b(0x85, 0xc0)                                // test eax, eax
	a.jcc8(0x78, "exit")                           // js exit
	a.rip(chars, 0, []byte{0x48, 0x8d, 0x0d})      // lea rcx, [rip+characteristics]
	a.b(0x31, 0xd2)                                // xor edx, edx
	a.rip(client, 0, []byte{0x4c, 0x8d, 0x05})     // lea r8, [rip+client_handle]
	a.rip(nmrRegister, 0, []byte{0xff, 0x15})      // call [rip+__imp_NmrRegisterClient]
	a.b(0x85, 0xc0)                                // test eax, eax
	a.jcc8(0x78, "exit")                           // js exit
	a.rip(unload, 0, []byte{0x48, 0x8d, 0x0d})     // lea rcx, [rip+DriverUnload]
	a.b(0x48, 0x89, 0x4b, offDriverUnload)         // mov [rbx+DriverUnload], rcx
	a.label("exit")
	a.b(0x48, 0x83, 0xc4, 0x30) // add rsp, 0x30
	a.b(0x5b)                   // pop rbx
	a.b(0xc3)                   // ret
	return x.add(a)
}

// unwind writes one UNWIND_INFO per function and a RUNTIME_FUNCTION
// {begin, end, unwind info} for each.
func (x *x64) unwind(rdata, pdata secID) error {
	sortByAddress(x.fns, func(f x64Func) sym { return f.at })
	for _, f := range x.fns {
		x.im.align(rdata, 4)
		ui := x.im.bytes(rdata, unwindInfo(f.prolog, f.codes))
		rf := x.im.zeros(pdata, 12)
		x.im.ref(pdata, rf.off, fixRVA32, f.at, 0)
		x.im.ref(pdata, rf.off+4, fixRVA32, f.at, int64(f.size))
		x.im.ref(pdata, rf.off+8, fixRVA32, ui, 0)
	}
	return nil
}

// sortByAddress sorts functions by address: sections are laid out in
// order, so section index then offset is address order.
func sortByAddress[F any](fns []F, at func(F) sym) {
	sort.SliceStable(fns, func(i, j int) bool {
		a, b := at(fns[i]), at(fns[j])
		if a.sec != b.sec {
			return a.sec < b.sec
		}
		return a.off < b.off
	})
}

// asm accumulates one x86-64 routine.
type asm struct {
	im   *image
	sec  secID
	code []byte
	// fix are fixups relative to the routine's start.
	fix []fixup
	// labels and their uses (rel8 jumps) within the routine.
	labels map[string]int
	jumps  []jump
	// unwind: prologue size and codes, in prologue order.
	prolog int
	codes  []unwindCode
}

type jump struct {
	at    int // offset of the rel8 byte
	label string
}

type unwindCode struct {
	offset int // code offset just past the instruction
	op     uint8
	info   uint8
	extra  []uint16
}

// UNWIND_CODE operations (x64 exception handling, "struct UNWIND_CODE").
const (
	uwopPushNonvol = 0
	uwopAllocLarge = 1
	uwopAllocSmall = 2
)

func newAsm(im *image, sec secID) *asm {
	return &asm{im: im, sec: sec, labels: map[string]int{}}
}

// b emits raw instruction bytes.
func (a *asm) b(bs ...byte) *asm { a.code = append(a.code, bs...); return a }

// rip emits an instruction whose disp32 is RIP-relative to target: pre are
// the bytes before the displacement, post the bytes after it (an
// immediate), which count towards the end of the instruction.
func (a *asm) rip(target sym, add int64, pre []byte, post ...byte) *asm {
	a.code = append(a.code, pre...)
	a.fix = append(a.fix, fixup{off: len(a.code), to: target, add: add - 4 - int64(len(post)), kind: fixRel32})
	a.code = append(a.code, 0, 0, 0, 0)
	a.code = append(a.code, post...)
	return a
}

func (a *asm) imm32(v uint32) []byte {
	return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)}
}

func (a *asm) label(name string) *asm { a.labels[name] = len(a.code); return a }

// jcc8 emits a short conditional or unconditional jump (opcode op, rel8).
func (a *asm) jcc8(op byte, label string) *asm {
	a.code = append(a.code, op, 0)
	a.jumps = append(a.jumps, jump{at: len(a.code) - 1, label: label})
	return a
}

// pushProlog records "push reg" as a prologue step.
func (a *asm) pushProlog(reg uint8) *asm {
	if reg >= 8 {
		a.b(0x41)
	}
	a.b(0x50 + reg&7)
	a.codes = append(a.codes, unwindCode{offset: len(a.code), op: uwopPushNonvol, info: reg})
	a.prolog = len(a.code)
	return a
}

// subRSP records "sub rsp, n" (8 <= n <= 128, n%8 == 0) as a prologue step:
// 48 83 EC ib.
func (a *asm) subRSP(n int) *asm {
	a.b(0x48, 0x83, 0xec, byte(n))
	a.codes = append(a.codes, unwindCode{offset: len(a.code), op: uwopAllocSmall, info: uint8((n - 8) / 8)})
	a.prolog = len(a.code)
	return a
}

// finish appends the routine to its section (16-byte aligned) and returns
// the routine's symbol and size.
func (a *asm) finish() (sym, int) {
	for _, j := range a.jumps {
		to, ok := a.labels[j.label]
		if !ok {
			panic("BUG: pe: undefined label " + j.label)
		}
		d := to - (j.at + 1)
		if d < -128 || d > 127 {
			panic("BUG: pe: short jump out of range")
		}
		a.code[j.at] = byte(int8(d))
	}
	a.im.align(a.sec, 16)
	at := a.im.bytes(a.sec, a.code)
	for _, f := range a.fix {
		a.im.ref(a.sec, at.off+f.off, f.kind, f.to, f.add)
	}
	return at, len(a.code)
}

// unwindInfo encodes an UNWIND_INFO (version 1, no handler, no frame
// register) with codes in the reverse of prologue order, as the format
// requires.
func unwindInfo(prolog int, codes []unwindCode) []byte {
	var slots []uint16
	for k := len(codes) - 1; k >= 0; k-- {
		c := codes[k]
		slots = append(slots, uint16(c.offset)|uint16(c.op)<<8|uint16(c.info)<<12)
		slots = append(slots, c.extra...)
	}
	out := []byte{1, byte(prolog), byte(len(slots)), 0}
	for _, s := range slots {
		out = append(out, byte(s), byte(s>>8))
	}
	if len(slots)%2 == 1 {
		out = append(out, 0, 0)
	}
	return out
}

// regRBX is rbx's x86 encoding number (also UNWIND_CODE's).
const regRBX = 3
