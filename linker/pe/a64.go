package pe

import (
	"encoding/binary"
	"fmt"

	"github.com/bpf2native/bpf2native/backend"
)

// AArch64 routines, Windows ARM64 convention: arguments in x0-x7, the
// result in x0, x19-x28 callee-saved, x29/x30 the frame record; x18 is the
// platform register (the KPCR in the kernel) and is never touched. x9-x11
// are the routines' temporaries, x16 (IP0) holds import addresses.
// Encodings are from the Arm Architecture Reference Manual for A-profile
// (DDI 0487), chapter C6, "A64 Base Instruction Descriptions"; each
// encoder below gives its instruction class's fixed bits and fields, and
// every routine has each instruction's mnemonic beside it. Addresses in the
// image are reached PC-relatively (adrp, then add or a load/store of the
// low 12 bits), as fixups the image builder resolves, so no routine needs
// a base relocation. Unwind information is in a64unwind.go.

// A64 registers, by their encoding number. 31 is sp or xzr, by
// instruction.
const (
	x0  = 0
	x1  = 1
	x2  = 2
	x3  = 3
	x4  = 4
	x9  = 9
	x10 = 10
	x11 = 11
	x16 = 16
	x19 = 19
	x29 = 29
	x30 = 30
	sp  = 31
	xzr = 31
)

// a64RET is "ret" (through x30).
const a64RET = 0xd65f03c0

// condNE is the condition field of B.cond for "not equal" (0b0001).
const condNE = 0x1

// addImm encodes ADD (immediate), 64-bit: 1 0 0 100010 sh imm12 Rn Rd
// ("add xd, xn|sp, #imm"; "mov xd, sp" is "add xd, sp, #0"). imm is a
// 12-bit value, or one shifted left by 12 (sh = 1).
func addImm(rd, rn, imm int) uint32 { return 0x91000000 | imm12sh(imm) | uint32(rn)<<5 | uint32(rd) }

// subImm encodes SUB (immediate), 64-bit: 1 1 0 100010 sh imm12 Rn Rd.
func subImm(rd, rn, imm int) uint32 { return 0xd1000000 | imm12sh(imm) | uint32(rn)<<5 | uint32(rd) }

func imm12sh(imm int) uint32 {
	switch {
	case imm >= 0 && imm < 1<<12:
		return uint32(imm) << 10
	case imm&0xfff == 0 && imm >= 0 && imm < 1<<24:
		return 1<<22 | uint32(imm>>12)<<10
	}
	panic(fmt.Sprintf("BUG: pe: add/sub immediate %#x", imm))
}

// cmpImmW encodes CMP (immediate), 32-bit, an alias of SUBS wzr:
// 0 1 1 100010 0 imm12 Rn 11111 ("cmp wn, #imm").
func cmpImmW(rn, imm int) uint32 { return 0x7100001f | scaled(imm, 1, 12)<<10 | uint32(rn)<<5 }

// ldrImm, strImm, strImmW encode LDR/STR (immediate, unsigned offset):
// size 111 0 01 opc imm12 Rn Rt, imm12 being the offset divided by the
// access size ("ldr xt, [xn|sp, #off]"; size 11 opc 01: 0xf9400000, size
// 11 opc 00: 0xf9000000, size 10 opc 00: 0xb9000000).
func ldrImm(rt, rn, off int) uint32 {
	return 0xf9400000 | scaled(off, 8, 12)<<10 | uint32(rn)<<5 | uint32(rt)
}
func strImm(rt, rn, off int) uint32 {
	return 0xf9000000 | scaled(off, 8, 12)<<10 | uint32(rn)<<5 | uint32(rt)
}
func strImmW(rt, rn, off int) uint32 {
	return 0xb9000000 | scaled(off, 4, 12)<<10 | uint32(rn)<<5 | uint32(rt)
}

// scaled returns off/scale as an unsigned field of bits bits.
func scaled(off, scale, bits int) uint32 {
	if off < 0 || off%scale != 0 || off/scale >= 1<<bits {
		panic(fmt.Sprintf("BUG: pe: offset %d does not scale by %d into %d bits", off, scale, bits))
	}
	return uint32(off / scale)
}

// Load/store pair, 64-bit: 10 101 0 mode L imm7 Rt2 Rn Rt, imm7 the
// signed offset divided by 8; mode 010 signed offset, 011 pre-index, 001
// post-index; L 1 for ldp.
const (
	pairOffset = 0xa9000000 // stp xt, xt2, [xn|sp, #off]
	pairPre    = 0xa9800000 // stp xt, xt2, [xn|sp, #off]!
	pairPost   = 0xa8800000 // stp xt, xt2, [xn|sp], #off
	pairLoad   = 1 << 22    // ldp
)

func pair(mode uint32, rt, rt2, rn, off int) uint32 {
	if off%8 != 0 || off < -512 || off > 504 {
		panic(fmt.Sprintf("BUG: pe: pair offset %d", off))
	}
	return mode | uint32(off/8)&0x7f<<15 | uint32(rt2)<<10 | uint32(rn)<<5 | uint32(rt)
}

// movz, movk encode the move-wide immediates: sf opc 100101 hw imm16 Rd,
// opc 10 movz, 11 movk ("movz xd, #imm16, lsl #hw*16": 0xd2800000; movk
// 0xf2800000; the W forms, sf 0: 0x52800000 and 0x72800000).
func movz(rd int, imm uint16, hw int, wide bool) uint32 {
	return moveWide(0x52800000, rd, imm, hw, wide)
}
func movk(rd int, imm uint16, hw int, wide bool) uint32 {
	return moveWide(0x72800000, rd, imm, hw, wide)
}

func moveWide(base uint32, rd int, imm uint16, hw int, wide bool) uint32 {
	if wide {
		base |= 1 << 31
	}
	return base | uint32(hw)<<21 | uint32(imm)<<5 | uint32(rd)
}

// movReg encodes MOV (register), an alias of ORR (shifted register):
// 1 01 01010 00 0 Rm 000000 11111 Rd ("mov xd, xm").
func movReg(rd, rm int) uint32 { return 0xaa0003e0 | uint32(rm)<<16 | uint32(rd) }

// adrp encodes ADRP: 1 immlo 10000 immhi Rd, the page delta left for a
// fixA64Page21 fixup ("adrp xd, sym").
func adrp(rd int) uint32 { return 0x90000000 | uint32(rd) }

// blr encodes BLR: 1101011 0001 11111 000000 Rn 00000 ("blr xn").
func blr(rn int) uint32 { return 0xd63f0000 | uint32(rn)<<5 }

// Branches, their offsets left for the label or fixup that fills them:
// B.cond 0101010 0 imm19 0 cond; CBZ/CBNZ sf 011010 op imm19 Rt; TBNZ b5
// 011011 1 b40 imm14 Rt; B 000101 imm26.
func bcond(cond uint32) uint32 { return 0x54000000 | cond }
func cbz(rt int) uint32        { return 0xb4000000 | uint32(rt) }
func cbnzW(rt int) uint32      { return 0x35000000 | uint32(rt) }
func tbnzW(rt, bit int) uint32 { return 0x37000000 | uint32(bit)<<19 | uint32(rt) }
func branch() uint32           { return 0x14000000 }

// branchBits is the width of a branch word's offset field: 26 bits at bit
// 0 for B, 14 (TBZ/TBNZ) or 19 (B.cond, CBZ/CBNZ) at bit 5.
func branchBits(w uint32) int {
	switch {
	case w&0xfc000000 == 0x14000000:
		return 26
	case w&0x7e000000 == 0x36000000:
		return 14
	}
	return 19
}

// a64 writes the AArch64 routines and their unwind information.
type a64 struct {
	im   *image
	text secID
	fns  []a64Func
}

func newA64(im *image, text secID) *a64 { return &a64{im: im, text: text} }

func (*a64) machine() uint16 { return machineA64 }

func (*a64) fill() byte { return 0 } // udf #0 in every word

func (m *a64) code(obj *backend.Object) error {
	for _, f := range obj.Funcs {
		if f.Offset%4 != 0 || f.Size%4 != 0 {
			return fmt.Errorf("%w: function %s is not word-aligned", ErrInvalidObject, f.Name)
		}
		steps, err := backendSteps(f)
		if err != nil {
			return err
		}
		words := make([]uint32, f.Size/4)
		for k := range words {
			words[k] = binary.LittleEndian.Uint32(obj.Text[f.Offset+4*k:])
		}
		m.fns = append(m.fns, a64Func{name: f.Name, at: sym{m.text, f.Offset}, words: words, steps: steps})
	}
	return nil
}

// a64asm accumulates one routine.
type a64asm struct {
	m     *a64
	name  string
	sec   secID
	words []uint32
	// fix are fixups at byte offsets from the routine's start.
	fix []fixup
	// labels (word indices) and the branches to them.
	labels   map[string]int
	branches []a64Branch
	steps    []a64Step
}

type a64Branch struct {
	at    int // word index
	label string
}

func (m *a64) newAsm(sec secID, name string) *a64asm {
	return &a64asm{m: m, sec: sec, name: name, labels: map[string]int{}}
}

// w emits instruction words.
func (a *a64asm) w(words ...uint32) { a.words = append(a.words, words...) }

// ref emits word with a fixup of its immediate field to target.
func (a *a64asm) ref(word uint32, kind fixKind, target sym) {
	a.fix = append(a.fix, fixup{off: 4 * len(a.words), to: target, kind: kind})
	a.w(word)
}

// adr emits "adrp rd, target; add rd, rd, :lo12:target": rd = &target.
func (a *a64asm) adr(rd int, target sym) {
	a.ref(adrp(rd), fixA64Page21, target)
	a.ref(addImm(rd, rd, 0), fixA64Lo12Add, target)
}

// load emits "adrp base, target; ldr rt, [base, :lo12:target]".
func (a *a64asm) load(rt, base int, target sym) {
	a.ref(adrp(base), fixA64Page21, target)
	a.ref(ldrImm(rt, base, 0), fixA64Lo12Ldst64, target)
}

// store emits "adrp base, target; str rt, [base, :lo12:target]".
func (a *a64asm) store(rt, base int, target sym) {
	a.ref(adrp(base), fixA64Page21, target)
	a.ref(strImm(rt, base, 0), fixA64Lo12Ldst64, target)
}

// call emits a call through an IAT slot: "adrp x16, slot; ldr x16, [x16,
// :lo12:slot]; blr x16".
func (a *a64asm) call(slot sym) {
	a.load(x16, x16, slot)
	a.w(blr(x16))
}

// mov32 emits "movz wd, #lo16" and, when needed, "movk wd, #hi16, lsl #16".
func (a *a64asm) mov32(rd int, v uint32) {
	a.w(movz(rd, uint16(v), 0, false))
	if v>>16 != 0 {
		a.w(movk(rd, uint16(v>>16), 1, false))
	}
}

// jump emits a branch word to a label of the routine.
func (a *a64asm) jump(word uint32, label string) {
	a.branches = append(a.branches, a64Branch{at: len(a.words), label: label})
	a.w(word)
}

func (a *a64asm) label(name string) { a.labels[name] = len(a.words) }

// prolog emits the prologue instructions of steps and records them.
func (a *a64asm) prolog(steps ...a64Step) {
	if len(a.steps) != len(a.words) {
		panic("BUG: pe: prologue after the body began")
	}
	for _, s := range steps {
		a.w(s.insn)
	}
	a.steps = append(a.steps, steps...)
}

// ret emits the epilogue, the prologue's restores in reverse, and ret.
func (a *a64asm) ret() {
	for k := len(a.steps) - 1; k >= 0; k-- {
		if s := a.steps[k]; s.restore != 0 {
			a.w(s.restore)
		}
	}
	a.w(a64RET)
}

// finish appends the routine to its section (16-byte aligned), records it
// for unwind information and returns its symbol.
func (a *a64asm) finish() sym {
	for _, b := range a.branches {
		to, ok := a.labels[b.label]
		if !ok {
			panic("BUG: pe: undefined label " + b.label)
		}
		d := to - b.at
		bits := branchBits(a.words[b.at])
		if d < -(1<<(bits-1)) || d >= 1<<(bits-1) {
			panic("BUG: pe: branch out of range")
		}
		if bits == 26 {
			a.words[b.at] |= uint32(d) & (1<<26 - 1)
		} else {
			a.words[b.at] |= uint32(d) & (1<<bits - 1) << 5
		}
	}
	a.m.im.align(a.sec, 16)
	b := make([]byte, 4*len(a.words))
	for k, w := range a.words {
		binary.LittleEndian.PutUint32(b[4*k:], w)
	}
	at := a.m.im.bytes(a.sec, b)
	for _, f := range a.fix {
		a.m.im.ref(a.sec, at.off+f.off, f.kind, f.to, f.add)
	}
	a.m.fns = append(a.m.fns, a64Func{name: a.name, at: at, words: a.words, steps: a.steps})
	return at
}

// thunk(ctx x0, runtime_context x1): x0 passes through to the program.
func (m *a64) thunk(sec secID, copies []thunkCopy, entry sym) (sym, error) {
	a := m.newAsm(sec, "thunk")
	field := -1
	for _, c := range copies {
		if c.src%8 != 0 || c.src >= 8<<12 {
			return sym{}, fmt.Errorf("%w: runtime context entry at offset %d, beyond ldr's reach", ErrUnsupported, c.src)
		}
		if c.field != field {
			a.w(ldrImm(x9, x1, c.field)) // ldr x9, [x1, #field]
			field = c.field
		}
		a.w(ldrImm(x10, x9, c.src)) // ldr x10, [x9, #src]
		a.store(x10, x11, c.dst)    // adrp x11, slot; str x10, [x11, :lo12:slot]
	}
	a.ref(branch(), fixA64Branch26, entry) // b program
	return a.finish(), nil
}

// getter(void **p x0, size_t *n x1).
func (m *a64) getter(target sym, ok bool, count uint32) sym {
	a := m.newAsm(m.text, "getter")
	if ok {
		a.adr(x9, target)      // adrp x9, target; add x9, x9, :lo12:target
		a.w(strImm(x9, x0, 0)) // str x9, [x0]
	} else {
		a.w(strImm(xzr, x0, 0)) // str xzr, [x0]
	}
	a.mov32(x9, count)     // movz w9, #count (zero-extends to x9)
	a.w(strImm(x9, x1, 0)) // str x9, [x1]
	a.w(a64RET)            // ret
	return a.finish()
}

// version(bpf2c_version_t *v x0).
func (m *a64) version() sym {
	a := m.newAsm(m.text, "version")
	for k, v := range Version {
		a.mov32(x9, v)            // movz w9, #v
		a.w(strImmW(x9, x0, 4*k)) // str w9, [x0, #4*k]
	}
	a.w(a64RET) // ret
	return a.finish()
}

// attach(binding x0, client_context x1, provider_registration x2).
func (m *a64) attach(provider, table, nmrAttach sym) sym {
	a := m.newAsm(m.text, "attach")
	a.prolog(must(saveFPLRx(48)), must(saveReg(x19, 16)), setFP()) // stp x29, x30, [sp, #-48]!; str x19, [sp, #16]; mov x29, sp
	a.w(movReg(x19, x0))                                           // mov x19, x0
	a.load(x9, x9, provider)                                       // adrp x9, provider; ldr x9, [x9, :lo12:provider]
	a.jump(cbz(x9), "free")                                        // cbz x9, free
	a.mov32(x0, statusInvalidParameter)                            // movz w0, #0xd; movk w0, #0xc000, lsl #16
	a.jump(branch(), "done")                                       // b done
	a.label("free")
	a.adr(x2, table)           // adrp x2, metadata_table; add x2, x2, :lo12:metadata_table
	a.w(addImm(x3, sp, 32))    // add x3, sp, #32 (&provider_binding_context)
	a.w(addImm(x4, sp, 40))    // add x4, sp, #40 (&provider_dispatch)
	a.call(nmrAttach)          // adrp x16, __imp_NmrClientAttachProvider; ldr x16, [x16, :lo12:...]; blr x16
	a.jump(cbnzW(x0), "done")  // cbnz w0, done
	a.store(x19, x9, provider) // adrp x9, provider; str x19, [x9, :lo12:provider]
	a.label("done")
	a.ret() // ldr x19, [sp, #16]; ldp x29, x30, [sp], #48; ret
	return a.finish()
}

// detach(client_binding_context x0).
func (m *a64) detach(provider sym) sym {
	a := m.newAsm(m.text, "detach")
	a.store(xzr, x9, provider) // adrp x9, provider; str xzr, [x9, :lo12:provider]
	a.mov32(x0, 0)             // movz w0, #0
	a.w(a64RET)                // ret
	return a.finish()
}

// queryRoutine(value_name x0, value_type w1, value_data x2, value_length
// w3, ...).
func (m *a64) queryRoutine(guid sym) sym {
	a := m.newAsm(m.text, "query routine")
	a.mov32(x0, statusInvalidParameter)        // movz w0, #0xd; movk w0, #0xc000, lsl #16
	a.w(cmpImmW(x1, regBinary))                // cmp w1, #REG_BINARY
	a.jump(bcond(condNE), "ret")               // b.ne ret
	a.w(cmpImmW(x3, 16))                       // cmp w3, #16
	a.jump(bcond(condNE), "ret")               // b.ne ret
	a.w(ldrImm(x9, x2, 0), ldrImm(x10, x2, 8)) // ldr x9, [x2]; ldr x10, [x2, #8]
	a.adr(x11, guid)                           // adrp x11, guid; add x11, x11, :lo12:guid
	a.w(pair(pairOffset, x9, x10, x11, 0))     // stp x9, x10, [x11]
	a.mov32(x0, 0)                             // movz w0, #0
	a.label("ret")
	a.w(a64RET) // ret
	return a.finish()
}

// unload(driver_object x0).
func (m *a64) unload(client, deregister, wait sym) sym {
	a := m.newAsm(m.text, "DriverUnload")
	a.prolog(must(saveFPLRx(16)), setFP()) // stp x29, x30, [sp, #-16]!; mov x29, sp
	a.load(x0, x9, client)                 // adrp x9, client_handle; ldr x0, [x9, :lo12:client_handle]
	a.call(deregister)                     // ... blr __imp_NmrDeregisterClient
	a.w(cmpImmW(x0, statusPending))        // cmp w0, #STATUS_PENDING
	a.jump(bcond(condNE), "done")          // b.ne done
	a.load(x0, x9, client)                 // adrp x9, client_handle; ldr x0, [x9, :lo12:client_handle]
	a.call(wait)                           // ... blr __imp_NmrWaitForClientDeregisterComplete
	a.label("done")
	a.ret() // ldp x29, x30, [sp], #16; ret
	return a.finish()
}

// driverEntry(driver_object x0, registry_path x1).
func (m *a64) driverEntry(sec secID, queryTable, chars, client, unload, rtlQuery, nmrRegister sym) sym {
	a := m.newAsm(sec, "DriverEntry")
	a.prolog(must(saveFPLRx(32)), must(saveReg(x19, 16)), setFP()) // stp x29, x30, [sp, #-32]!; str x19, [sp, #16]; mov x29, sp
	a.w(movReg(x19, x0))                                           // mov x19, x0
	a.w(ldrImm(x1, x1, offUnicodeStringBuffer))                    // ldr x1, [x1, #Buffer]
	a.mov32(x0, 0)                                                 // movz w0, #0 (RTL_REGISTRY_ABSOLUTE)
	a.adr(x2, queryTable)                                          // adrp x2, query_table; add x2, x2, :lo12:query_table
	a.w(movz(x3, 0, 0, true), movz(x4, 0, 0, true))                // movz x3, #0; movz x4, #0
	a.call(rtlQuery)                                               // ... blr __imp_RtlQueryRegistryValues
	a.jump(tbnzW(x0, 31), "exit")                                  // tbnz w0, #31, exit
	a.adr(x0, chars)                                               // adrp x0, characteristics; add x0, x0, :lo12:characteristics
	a.w(movz(x1, 0, 0, true))                                      // movz x1, #0
	a.adr(x2, client)                                              // adrp x2, client_handle; add x2, x2, :lo12:client_handle
	a.call(nmrRegister)                                            // ... blr __imp_NmrRegisterClient
	a.jump(tbnzW(x0, 31), "exit")                                  // tbnz w0, #31, exit
	a.adr(x9, unload)                                              // adrp x9, DriverUnload; add x9, x9, :lo12:DriverUnload
	a.w(strImm(x9, x19, offDriverUnload))                          // str x9, [x19, #DriverUnload]
	a.label("exit")
	a.ret() // ldr x19, [sp, #16]; ldp x29, x30, [sp], #32; ret
	return a.finish()
}
