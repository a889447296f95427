// Package elftest provides hand-assembled native objects for testing the
// linkers and the loader without the code generator: a small module with
// maps, a global section and eight programs, and its x86-64 code written
// byte by byte from the Intel SDM encodings.
package elftest

import (
	"encoding/binary"
	"fmt"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/ir"
)

// Program indices in Module().Programs.
const (
	RetConst     = iota // returns 42 through a local call
	PacketByte          // returns packet[2]
	Prandom             // returns bpf_get_prandom_u32()
	Lookup              // returns *bpf_map_lookup_elem(&values, &1), or 0xdead
	Global              // returns the .data global if the values handle is set
	TailDispatch        // tail-calls jump[packet[0]]; 300 if that fails
	TailTarget          // returns 200 + packet[0]
	TailLoop            // increments the .data global, tail-calls itself (jump[2]); 7 once refused
)

// Names of the programs, by index.
var Names = []string{"ret_const", "packet_byte", "prandom", "lookup", "global", "tail_dispatch", "tail_target", "tail_loop"}

// Map indices in Module().Maps: the maps in name order, then the globals.
const (
	MapJump   = 0 // prog_array: [0] = tail_target, [2] = tail_loop
	MapValues = 1 // array of 4 u64
	MapData   = 2 // .data: one u64
)

// DataInit is the initial value of the .data global.
const DataInit = 0x1122334455667788

// Helper ids (windows platform) in helper-table order, and the map table's
// order of ir.Module.Maps indices; both differ from the natural order on
// purpose, so slot mix-ups show.
var (
	Helpers = []int32{1, 5, 6} // bpf_map_lookup_elem, bpf_tail_call, bpf_get_prandom_u32
	MapSlot = []int{MapValues, MapJump, MapData}
)

const (
	slotLookup, slotTailCall, slotPrandom = 0, 1, 2
	slotValues, slotJump, slotData        = 0, 1, 2
)

// Module returns the module the object implements: windows platform, every
// program of type xdp (ctx->data at offset 0, data_end at 8).
func Module() *ir.Module {
	mod := &ir.Module{Source: "elftest.o", Platform: "windows", License: "MIT"}
	for i, n := range Names {
		p := &ir.Program{Name: n, Section: "xdp/" + n, Type: "xdp"}
		switch i {
		case Prandom:
			p.Helpers = []int32{6}
		case Lookup:
			p.Helpers, p.MapRefs = []int32{1}, []int{MapValues}
		case Global:
			p.MapRefs = []int{MapValues, MapData}
		case TailDispatch:
			p.Helpers, p.MapRefs = []int32{5}, []int{MapJump}
		case TailLoop:
			p.Helpers, p.MapRefs = []int32{5}, []int{MapJump, MapData}
		}
		mod.Programs = append(mod.Programs, p)
	}
	init := binary.LittleEndian.AppendUint64(nil, DataInit)
	mod.Maps = []*ir.Map{
		{Name: "jump", Kind: ir.MapProgArray, Type: 3, KeySize: 4, ValueSize: 4, MaxEntries: 4,
			Entries: []ir.MapEntry{{Key: 0, Value: "tail_target"}, {Key: 2, Value: "tail_loop"}}},
		{Name: "values", Kind: ir.MapArray, Type: 2, KeySize: 4, ValueSize: 8, MaxEntries: 4},
		{Name: ".data", Kind: ir.MapArray, Type: 2, KeySize: 4, ValueSize: 8, MaxEntries: 1, Section: ".data", Init: init},
	}
	return mod
}

// asm accumulates one function's bytes and its table references.
type asm struct {
	code   []byte
	relocs []backend.Reloc // offsets relative to the function
}

func (a *asm) b(bs ...byte) *asm { a.code = append(a.code, bs...); return a }

// rel32 appends a RIP-relative displacement to table slot: the field ends
// the instruction, so the addend is -4.
func (a *asm) rel32(t backend.Table, slot int) *asm {
	a.relocs = append(a.relocs, backend.Reloc{Offset: len(a.code), Form: backend.PCRel32, Table: t, Slot: slot, Addend: -4})
	return a.b(0, 0, 0, 0)
}

// abs64 appends the absolute address of table slot.
func (a *asm) abs64(t backend.Table, slot int) *asm {
	a.relocs = append(a.relocs, backend.Reloc{Offset: len(a.code), Form: backend.Abs64, Table: t, Slot: slot})
	return a.b(0, 0, 0, 0, 0, 0, 0, 0)
}

// function is one function of the object; call, if set, names the function
// a `call rel32` at callAt (offset of the rel32) enters.
type function struct {
	name    string
	program int
	asm     *asm
	callAt  int
	call    string
}

// Object returns the x86-64 System V code of Module, every program an
// entry, plus one sub-program, add_one, that ret_const calls.
func Object() *backend.Object {
	var fs []function

	// (a) ret_const: a local call, already resolved (no relocation).
	a := (&asm{}).
		b(0xb8, 41, 0, 0, 0). // mov eax, 41
		b(0xe8, 0, 0, 0, 0).  // call add_one (rel32 patched below)
		b(0xc3)               // ret
	fs = append(fs, function{name: "ret_const", program: RetConst, asm: a, callAt: 6, call: "add_one"})
	fs = append(fs, function{name: "add_one", program: -1, asm: (&asm{}).
		b(0xff, 0xc0). // inc eax
		b(0xc3)})      // ret

	// (b) packet_byte: ctx->data is at [rdi].
	fs = append(fs, function{name: "packet_byte", program: PacketByte, asm: (&asm{}).
		b(0x48, 0x8b, 0x07).       // mov rax, [rdi]
		b(0x0f, 0xb6, 0x40, 0x02). // movzx eax, byte [rax+2]
		b(0xc3)})                  // ret

	// (c) prandom: the stack is 8 off 16-byte alignment on entry; realign
	// for the call as the System V ABI requires.
	fs = append(fs, function{name: "prandom", program: Prandom, asm: (&asm{}).
		b(0x48, 0x83, 0xec, 0x08).                             // sub rsp, 8
		b(0xff, 0x15).rel32(backend.HelperTable, slotPrandom). // call [rip+helpers+16]
		b(0x48, 0x83, 0xc4, 0x08).                             // add rsp, 8
		b(0xc3)})                                              // ret

	// (c') lookup: key 1 on the stack, the map handle from the map table.
	fs = append(fs, function{name: "lookup", program: Lookup, asm: (&asm{}).
		b(0x48, 0x83, 0xec, 0x18).                               // sub rsp, 24
		b(0xc7, 0x04, 0x24, 0x01, 0x00, 0x00, 0x00).             // mov dword [rsp], 1
		b(0x48, 0x8b, 0x3d).rel32(backend.MapTable, slotValues). // mov rdi, [rip+maps+0]
		b(0x48, 0x89, 0xe6).                                     // mov rsi, rsp
		b(0xff, 0x15).rel32(backend.HelperTable, slotLookup).    // call [rip+helpers+0]
		b(0x48, 0x85, 0xc0).                                     // test rax, rax
		b(0x74, 0x05).                                           // je null
		b(0x48, 0x8b, 0x00).                                     // mov rax, [rax]
		b(0xeb, 0x05).                                           // jmp done
		b(0xb8, 0xad, 0xde, 0x00, 0x00).                         // null: mov eax, 0xdead
		b(0x48, 0x83, 0xc4, 0x18).                               // done: add rsp, 24
		b(0xc3)})                                                // ret

	// (d) global: the value address through an absolute reference, the
	// handle through a RIP-relative one.
	fs = append(fs, function{name: "global", program: Global, asm: (&asm{}).
		b(0x48, 0xb8).abs64(backend.MapValueTable, slotData).    // movabs rax, map_values+16
		b(0x48, 0x8b, 0x00).                                     // mov rax, [rax] (value address)
		b(0x48, 0x8b, 0x00).                                     // mov rax, [rax] (the global)
		b(0x48, 0x8b, 0x0d).rel32(backend.MapTable, slotValues). // mov rcx, [rip+maps+0]
		b(0x48, 0x85, 0xc9).                                     // test rcx, rcx
		b(0x75, 0x02).                                           // jne done
		b(0x31, 0xc0).                                           // xor eax, eax
		b(0xc3)})                                                // done: ret

	// (e) tail_dispatch: bpf_tail_call(ctx, &jump, packet[0]); rdi is
	// still ctx. A successful tail call returns at once; the runtime
	// runs the target.
	fs = append(fs, function{name: "tail_dispatch", program: TailDispatch, asm: (&asm{}).
		b(0x48, 0x83, 0xec, 0x08).                              // sub rsp, 8
		b(0x48, 0x8b, 0x07).                                    // mov rax, [rdi]
		b(0x0f, 0xb6, 0x10).                                    // movzx edx, byte [rax]
		b(0x48, 0x8b, 0x35).rel32(backend.MapTable, slotJump).  // mov rsi, [rip+maps+8]
		b(0xff, 0x15).rel32(backend.HelperTable, slotTailCall). // call [rip+helpers+8]
		b(0xb8, 0x2c, 0x01, 0x00, 0x00).                        // mov eax, 300
		b(0x48, 0x83, 0xc4, 0x08).                              // add rsp, 8
		b(0xc3)})                                               // ret
	fs = append(fs, function{name: "tail_target", program: TailTarget, asm: (&asm{}).
		b(0x48, 0x8b, 0x07).             // mov rax, [rdi]
		b(0x0f, 0xb6, 0x00).             // movzx eax, byte [rax]
		b(0x05, 0xc8, 0x00, 0x00, 0x00). // add eax, 200
		b(0xc3)})                        // ret
	fs = append(fs, function{name: "tail_loop", program: TailLoop, asm: (&asm{}).
		b(0x48, 0x83, 0xec, 0x08).                                  // sub rsp, 8
		b(0x48, 0x8b, 0x05).rel32(backend.MapValueTable, slotData). // mov rax, [rip+map_values+16]
		b(0xf0, 0x48, 0xff, 0x00).                                  // lock inc qword [rax]
		b(0x48, 0x8b, 0x35).rel32(backend.MapTable, slotJump).      // mov rsi, [rip+maps+8]
		b(0xba, 0x02, 0x00, 0x00, 0x00).                            // mov edx, 2
		b(0xff, 0x15).rel32(backend.HelperTable, slotTailCall).     // call [rip+helpers+8]
		b(0xb8, 0x07, 0x00, 0x00, 0x00).                            // mov eax, 7
		b(0x48, 0x83, 0xc4, 0x08).                                  // add rsp, 8
		b(0xc3)})                                                   // ret

	obj := &backend.Object{Arch: "amd64", ABI: "sysv", Helpers: append([]int32(nil), Helpers...), Maps: append([]int(nil), MapSlot...)}
	offsets := map[string]int{}
	for _, f := range fs {
		for len(obj.Text)%backend.TextAlign != 0 {
			obj.Text = append(obj.Text, 0xcc) // int3 padding
		}
		off := len(obj.Text)
		offsets[f.name] = off
		obj.Text = append(obj.Text, f.asm.code...)
		obj.Funcs = append(obj.Funcs, backend.Func{Name: f.name, Offset: off, Size: len(f.asm.code), Program: f.program, FrameSize: 8})
		for _, r := range f.asm.relocs {
			r.Offset += off
			obj.Relocs = append(obj.Relocs, r)
		}
	}
	for _, f := range fs {
		if f.call == "" {
			continue
		}
		at := offsets[f.name] + f.callAt
		target, ok := offsets[f.call]
		if !ok {
			panic(fmt.Sprintf("BUG: %s calls unknown %s", f.name, f.call))
		}
		binary.LittleEndian.PutUint32(obj.Text[at:], uint32(int32(target-(at+4))))
	}
	return obj
}

// Packet is the packet the tests run programs on: packet[0] selects the
// tail call slot, packet[2] is what packet_byte returns.
var Packet = []byte{0, 0x11, 0x5a, 0x33, 0x44, 0x55, 0x66, 0x77}

// Arm64Object returns a small AArch64 (AAPCS64) object exercising every
// AArch64 relocation form, for the linker and the relocation tests (it is
// not run: this host cannot). Its one program, ret_const, loads the value
// address of map slot 0 and returns the value.
func Arm64Object() *backend.Object {
	le := binary.LittleEndian
	var text []byte
	w := func(ins uint32) { text = le.AppendUint32(text, ins) }
	var relocs []backend.Reloc
	rel := func(form backend.RelocForm, t backend.Table, slot int) {
		relocs = append(relocs, backend.Reloc{Offset: len(text), Form: form, Table: t, Slot: slot})
	}
	rel(backend.AArch64Page21, backend.MapValueTable, 0)
	w(0x90000000) // adrp x0, map_values
	rel(backend.AArch64Lo12Ldst64, backend.MapValueTable, 0)
	w(0xf9400000) // ldr x0, [x0, :lo12:map_values]
	rel(backend.AArch64Page21, backend.HelperTable, 0)
	w(0x90000001) // adrp x1, helpers
	rel(backend.AArch64Lo12Add, backend.HelperTable, 0)
	w(0x91000021) // add x1, x1, :lo12:helpers
	w(0xf9400000) // ldr x0, [x0]
	w(0xd65f03c0) // ret
	return &backend.Object{Arch: "arm64", ABI: "aapcs64", Text: text, Relocs: relocs,
		Funcs:   []backend.Func{{Name: "ret_const", Offset: 0, Size: len(text), Program: 0}},
		Helpers: []int32{6}, Maps: []int{MapData}}
}
