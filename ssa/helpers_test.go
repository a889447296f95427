package ssa

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/ir"
)

// program decodes bytecode into a single-program ir.Program.
func program(t testing.TB, code []byte) *ir.Program {
	t.Helper()
	insns, err := ir.Decode(code)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ir.NewProgram("test", insns, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// marshal encodes cilium/ebpf instructions, resolving labels.
func marshal(t testing.TB, insns ...asm.Instruction) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := asm.Instructions(insns).Marshal(&buf, binary.LittleEndian); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lift builds the SSA of a program given as instructions and checks it.
func lift(t testing.TB, insns ...asm.Instruction) []*Func {
	t.Helper()
	return liftCode(t, marshal(t, insns...))
}

func liftCode(t testing.TB, code []byte) []*Func {
	t.Helper()
	fs, err := Build(nil, program(t, code))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		if err := Check(f); err != nil {
			t.Fatalf("after Build: %v\n%s", err, f)
		}
	}
	return fs
}
