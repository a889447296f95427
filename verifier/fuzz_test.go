package verifier_test

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/interp"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/verifier"
)

// fuzzCtxSize is the size of the memory context the fuzzed programs get.
const fuzzCtxSize = 64

// genProgram turns fuzz bytes into a valid program, four bytes per
// instruction: loads and stores through r1 (the context) and r10 at small
// offsets, ALU operations, forward conditional jumps; it always ends in
// "r0 = 0; exit". Random programs are mostly unsafe; the point is that the
// few the verifier accepts must run without a memory violation.
func genProgram(data []byte) []byte {
	var code []byte
	emit := func(op, dst, src byte, off int16, imm int32) {
		b := make([]byte, 8)
		b[0], b[1] = op, dst|src<<4
		binary.LittleEndian.PutUint16(b[2:], uint16(off))
		binary.LittleEndian.PutUint32(b[4:], uint32(imm))
		code = append(code, b...)
	}
	n := min(len(data)/4, 64)
	for k := 0; k < n; k++ {
		b := data[4*k : 4*k+4]
		dst, src := b[1]%10, (b[1]>>4)%11
		off, imm := int16(int8(b[2])), int32(int8(b[3]))
		sizes := []byte{0x18, 0x00, 0x08, 0x10}
		size := sizes[b[3]&3]
		base := []byte{1, 10}[b[2]&1]
		aluOps := []byte{0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xc0}
		switch b[0] % 9 {
		case 0:
			emit(0xb7, dst, 0, 0, imm)
		case 1:
			emit(0x0f|aluOps[b[2]%11], dst, src, 0, 0)
		case 2:
			emit(0x07|aluOps[b[2]%11], dst, 0, 0, imm)
		case 3:
			emit(0x61|size, dst, base, off, 0)
		case 4:
			emit(0x63|size, base, src, off, 0)
		case 5:
			emit(0x62|size, base, 0, off, imm)
		case 6:
			remaining := n - k // instructions left before "r0 = 0"
			jumps := []byte{0x15, 0x25, 0x35, 0x55, 0xa5, 0xb5, 0x65, 0xc5}
			emit(jumps[b[3]&7], dst, 0, int16(int(b[2])%remaining), imm>>3)
		case 7:
			emit(0xbf, dst, src, 0, 0)
		case 8:
			emit(0x04|aluOps[b[2]%11], dst, 0, 0, imm)
		}
	}
	emit(0xb7, 0, 0, 0, 0)
	emit(0x95, 0, 0, 0, 0)
	return code
}

// FuzzSoundness generates programs; every one the verifier accepts must
// run in the checked interpreter without touching memory it may not.
func FuzzSoundness(f *testing.F) {
	f.Add([]byte{0, 0x00, 0, 1}, []byte{})
	f.Add([]byte{3, 0x02, 8, 0, 3, 0x0a, 0xf8, 0}, []byte{1, 2, 3})
	f.Add([]byte{5, 0, 0xf9, 0, 3, 0x0a, 0xf8, 0, 6, 0x03, 2, 9}, []byte{})
	plat, err := platform.Get(platform.Linux)
	if err != nil {
		f.Fatal(err)
	}
	pt := &platform.ProgramType{Name: "memory", ResultBits: 64, Context: platform.Context{Size: fuzzCtxSize,
		Fields: []platform.Field{{Name: "mem", Offset: 0, Size: fuzzCtxSize, Kind: platform.FieldScalar, Writable: true}}}}
	f.Fuzz(func(t *testing.T, prog, mem []byte) {
		code := genProgram(prog)
		insns, err := ir.Decode(code)
		if err != nil {
			t.Fatalf("generator produced invalid code: %v", err)
		}
		p, err := ir.NewProgram("fuzz", insns, nil)
		if err != nil {
			t.Fatalf("generator produced invalid code: %v", err)
		}
		mod := &ir.Module{Programs: []*ir.Program{p}}
		res, err := verifier.Verify(mod, plat, verifier.Options{ProgramType: pt, CheckTermination: true,
			Limits: verifier.Limits{Iterations: 1 << 14, Time: 2 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK() {
			return
		}
		m := make([]byte, fuzzCtxSize)
		copy(m, mem)
		vm, ctx, err := interp.NewBytecodeVM(code, m, interp.Options{MaxInstructions: 1 << 20})
		if err != nil {
			t.Fatalf("interpreter refuses an accepted program: %v", err)
		}
		_, err = vm.Run(0, ctx)
		var access *host.AccessError
		if errors.As(err, &access) {
			t.Fatalf("accepted program violates memory: %v\nprogram:\n%v", err, p.Insns)
		}
	})
}
