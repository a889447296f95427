package pe

// The driver's own routines (DriverEntry, DriverUnload, the NMR callbacks,
// the metadata table's functions and each program's entry thunk) are
// hand-assembled x86-64, Microsoft x64 convention. Each instruction's bytes
// are written next to its mnemonic; encodings are from the Intel SDM,
// volume 2 (REX prefixes in 2.2.1, ModRM/SIB in 2.1.5, RIP-relative
// addressing in 2.2.1.6). RIP-relative operands are written as fixups so
// the image builder fills in the displacement once sections have RVAs.

// asm accumulates one routine.
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

// push records "push reg" as a prologue step.
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

// Registers, by their x86 encoding number (also UNWIND_CODE's).
const (
	regRAX = 0
	regRCX = 1
	regRDX = 2
	regRBX = 3
)

// NTSTATUS values.
const (
	statusSuccess          = 0
	statusPending          = 0x103
	statusInvalidParameter = 0xC000000D
)

// Windows structure offsets (x64), from wdm.h / netioddk.h.
const (
	offDriverUnload          = 0x68 // DRIVER_OBJECT.DriverUnload
	offUnicodeStringBuffer   = 8    // UNICODE_STRING.Buffer
	offNpiModuleIDGuid       = 8    // NPI_MODULEID.Guid
	sizeNpiModuleID          = 24
	sizeNpiRegistration      = 40 // NPI_REGISTRATION_INSTANCE
	sizeNpiClientChars       = 72 // NPI_CLIENT_CHARACTERISTICS
	sizeQueryRegistryTable   = 56 // RTL_QUERY_REGISTRY_TABLE
	rtlQueryRegistrySubkey   = 0x1
	rtlQueryRegistryRequired = 0x4
	rtlRegistryAbsolute      = 0
	regBinary                = 3
	mitGUID                  = 1 // NPI_MODULEID_TYPE
)
