package disasm_test

import (
	"path/filepath"
	"reflect"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	_ "github.com/bpf2native/bpf2native/backend/amd64"
	"github.com/bpf2native/bpf2native/backend/disasm"
	"github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/platform"
)

func TestAMD64(t *testing.T) {
	code := []byte{
		0x53,                                     // push rbx
		0x48, 0x81, 0xec, 0x00, 0x02, 0x00, 0x00, // sub rsp, 0x200
		0xf0, 0x48, 0x0f, 0xc1, 0x07, // lock xadd [rdi], rax
		0xff, 0x15, 0x00, 0x00, 0x00, 0x00, // call [rip+0]
		0x75, 0xee, // jne back to the sub
		0x06, // not an instruction in 64-bit mode
		0xc3, // ret
	}
	got, err := disasm.Disassemble("amd64", code, 0x1000)
	if err != nil {
		t.Fatal(err)
	}
	want := []disasm.Inst{
		{Addr: 0x1000, Len: 1, Text: "push rbx", GNU: "push %rbx"},
		{Addr: 0x1001, Len: 7, Text: "sub rsp, 0x200", GNU: "sub $0x200,%rsp"},
		{Addr: 0x1008, Len: 5, Text: "lock xadd qword ptr [rdi], rax", GNU: "lock xadd %rax,(%rdi)"},
		{Addr: 0x100d, Len: 6, Text: "call qword ptr [rip]", GNU: "callq *(%rip)"},
		{Addr: 0x1013, Len: 2, Text: "jnz 0x1003", GNU: "jne 0x1003"},
		{Addr: 0x1015, Len: 1, Text: "(bad)", GNU: "(bad)", Bad: true},
		{Addr: 0x1016, Len: 1, Text: "ret", GNU: "retq"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestARM64(t *testing.T) {
	code := []byte{
		0xfd, 0x7b, 0xbf, 0xa9, // stp x29, x30, [sp, #-16]!
		0x00, 0x04, 0x00, 0x91, // add x0, x0, #1
		0xc0, 0x03, 0x5f, 0xd6, // ret
		0x00, 0x00, // truncated
	}
	got, err := disasm.Disassemble("arm64", code, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []disasm.Inst{
		{Addr: 0, Len: 4, Text: "STP X29, X30, [SP,#-16]!", GNU: "stp x29, x30, [sp,#-16]!"},
		{Addr: 4, Len: 4, Text: "ADD X0, X0, #0x1", GNU: "add x0, x0, #0x1"},
		{Addr: 8, Len: 4, Text: "RET X30", GNU: "ret"},
		{Addr: 12, Len: 2, Text: "(bad)", GNU: "(bad)", Bad: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestUnknownArch(t *testing.T) {
	if _, err := disasm.Disassemble("mips", []byte{0}, 0); err == nil {
		t.Error("no error for an unknown arch")
	}
}

// TestCompiledTestdata disassembles the whole text of every test object as
// the amd64 backend compiles it, for both ABIs: every byte must decode,
// function code and int3 padding alike, and the instructions must tile the
// text exactly.
func TestCompiledTestdata(t *testing.T) {
	objs, err := filepath.Glob("../../testdata/*.o")
	if err != nil || len(objs) == 0 {
		t.Fatal("no objects in ../../testdata")
	}
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range objs {
		mod, err := elf.LoadFile(path, plat)
		if err != nil {
			t.Fatal(err)
		}
		for _, abi := range []string{"sysv", "windows"} {
			obj, err := backend.Compile(mod, backend.Target{Arch: "amd64", ABI: abi}, backend.Options{})
			if err != nil {
				t.Fatalf("%s/%s: %v", path, abi, err)
			}
			insts, err := disasm.Disassemble("amd64", obj.Text, 0)
			if err != nil {
				t.Fatal(err)
			}
			next := uint64(0)
			for _, in := range insts {
				if in.Addr != next {
					t.Fatalf("%s/%s: instruction at %#x, want %#x", filepath.Base(path), abi, in.Addr, next)
				}
				if in.Bad || in.Text == "" || in.GNU == "" {
					t.Errorf("%s/%s: %#x: %+v does not decode", filepath.Base(path), abi, in.Addr, in)
				}
				next += uint64(in.Len)
			}
			if next != uint64(len(obj.Text)) {
				t.Errorf("%s/%s: instructions cover %d of %d bytes", filepath.Base(path), abi, next, len(obj.Text))
			}
		}
	}
}
