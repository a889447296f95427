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

// genPacketProgram turns fuzz bytes into an xdp program that works on the
// packet the way parsers do, four bytes per step: r6 = data and r7 =
// data_end are loaded first; steps are plain instructions (arithmetic on
// r0-r5, 32-bit pointer differences, spills and fills, loads through any
// register) or templates real programs use, with one of their constants
// sometimes off by one: a checked access "p = r6 + i; q = p + c; if q >
// r7 skip; load w bytes at p + o" (c, o, w chosen so that about half the
// accesses are in bounds), a check through the length "len = r7 - r6; if
// i + c > len skip; load at r6 + i", and a counted loop around a checked
// access ("for (i = 0; i != N; i += s)", N sometimes not a multiple of s).
// It ends in "r0 = 0; exit".
func genPacketProgram(data []byte) []byte {
	var code []byte
	emit := func(op, dst, src byte, off int16, imm int32) {
		b := make([]byte, 8)
		b[0], b[1] = op, dst|src<<4
		binary.LittleEndian.PutUint16(b[2:], uint16(off))
		binary.LittleEndian.PutUint32(b[4:], uint32(imm))
		code = append(code, b...)
	}
	here := func() int { return len(code) / 8 }
	// patch sets the offset of the jump at j to reach the current end.
	patch := func(j int) {
		binary.LittleEndian.PutUint16(code[8*j+2:], uint16(here()-j-1))
	}
	sizes := []byte{0x18, 0x00, 0x08, 0x10} // dw, w, h, b
	widths := []int32{8, 4, 2, 1}
	// checked emits "r4 = r6 + idx; r5 = r4 + c; if r5 > r7 skip; load".
	checked := func(idx byte, b []byte) {
		sz := b[3] & 3
		w := widths[sz]
		c := w + int32(b[2]%3) - 1 // w-1, w or w+1
		o := int16(b[2]>>2) % 3    // 0, 1, 2
		emit(0xbf, 4, 6, 0, 0)
		if idx < 10 {
			emit(0x0f, 4, idx, 0, 0)
		}
		emit(0xbf, 5, 4, 0, 0)
		emit(0x07, 5, 0, 0, c+int32(o))
		j := here()
		emit(0x2d, 5, 7, 0, 0)
		emit(0x61|sizes[sz], 3, 4, o, 0)
		emit(0x0f, 0, 3, 0, 0)
		patch(j)
	}
	emit(0x79, 6, 1, 0, 0) // r6 = *(u64 *)(r1 + 0)
	emit(0x79, 7, 1, 8, 0) // r7 = *(u64 *)(r1 + 8)
	emit(0xb7, 0, 0, 0, 0)
	emit(0xb7, 2, 0, 0, 0)
	n := min(len(data)/4, 24)
	for k := 0; k < n; k++ {
		b := data[4*k : 4*k+4]
		dst, src := b[1]%4, (b[1]>>4)%8 // r0-r3 written; r0-r7 read
		small := int32(b[2] % 32)
		switch b[0] % 10 {
		case 0:
			emit(0xb7, dst, 0, 0, small)
		case 1:
			ops := []byte{0x07, 0x57, 0x77} // add, and, rsh
			emit(ops[b[3]%3], dst, 0, 0, small)
		case 2:
			ops := []byte{0x0f, 0x1f, 0xbf, 0x0c, 0x1c, 0xbc} // add, sub, mov; w add, w sub, w mov
			emit(ops[b[2]%6], dst, src, 0, 0)
		case 3:
			// a load through any register (mostly rejected)
			emit(0x61|sizes[b[3]&3], dst, src, int16(int8(b[2])%8), 0)
		case 4:
			off := -8 * int16(1+b[2]%4)
			if b[3]&1 == 0 {
				emit(0x7b, 10, src, off, 0)
			} else {
				emit(0x79, dst, 10, off, 0)
			}
		case 5:
			// a checked access at a constant or a masked index
			if b[1]&1 == 0 {
				checked(10, b)
			} else {
				emit(0x57, 2, 0, 0, 0x3f) // r2 &= 63
				checked(2, b)
			}
		case 6:
			// len = end - data (64 or 32 bits); if i + c > len skip;
			// load w bytes at data + i
			sz := b[3] & 3
			w := widths[sz]
			emit(0x57, 2, 0, 0, 0xff)
			if b[1]&1 == 0 {
				emit(0xbf, 3, 7, 0, 0)
				emit(0x1f, 3, 6, 0, 0)
			} else {
				emit(0xbc, 3, 7, 0, 0)
				emit(0x1c, 3, 6, 0, 0)
			}
			emit(0xbf, 5, 2, 0, 0)
			emit(0x07, 5, 0, 0, w+int32(b[2]%3)-1)
			j := here()
			emit(0x2d, 5, 3, 0, 0)
			emit(0xbf, 4, 6, 0, 0)
			emit(0x0f, 4, 2, 0, 0)
			emit(0x61|sizes[sz], 3, 4, 0, 0)
			emit(0x0f, 0, 3, 0, 0)
			patch(j)
		case 7:
			// for (r2 = 0; r2 != N; r2 += s) checked access at r6 + r2
			step := int32(1 + b[3]%4)
			bound := step * int32(1+b[2]%12)
			if b[1]&1 == 1 {
				bound += int32(b[1]>>1) % 3 // sometimes skipped over
			}
			emit(0xb7, 2, 0, 0, 0)
			loop := here()
			checked(2, b)
			emit(0x07, 2, 0, 0, step)
			emit(0x55, 2, 0, int16(loop-here()-1), bound)
		case 8:
			// a forward comparison of a register with data_end
			remaining := n - k
			jumps := []byte{0x2d, 0x3d, 0xad, 0xbd}
			emit(jumps[b[3]&3], dst, 7, int16(int(b[2])%remaining), 0)
		case 9:
			// a pointer walk: r3 = r6 + i, then a checked access through r3
			emit(0xbf, 3, 6, 0, 0)
			emit(0x0f, 3, 2, 0, 0)
			emit(0xbf, 5, 3, 0, 0)
			emit(0x07, 5, 0, 0, int32(1+b[2]%4))
			j := here()
			emit(0x2d, 5, 7, 0, 0)
			emit(0x71, 4, 3, int16(b[3]%4), 0)
			emit(0x0f, 0, 4, 0, 0)
			patch(j)
		}
	}
	emit(0xb7, 0, 0, 0, 0)
	emit(0x95, 0, 0, 0, 0)
	return code
}

// FuzzPacketSoundness generates packet programs; every one the verifier
// accepts must run in the checked interpreter over packets of several
// lengths without touching memory it may not.
func FuzzPacketSoundness(f *testing.F) {
	f.Add([]byte{1, 0x20, 0, 0, 5, 0x00, 3, 0, 7, 0x00, 0, 0}, []byte{1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{10, 0, 0, 0, 1, 0x90, 0, 0, 2, 0, 4, 0, 5, 0, 4, 0, 7, 0x01, 0, 1, 11, 0, 0, 0}, []byte{9, 9, 9})
	f.Add([]byte{4, 0x76, 1, 0, 3, 0x10, 0, 0, 6, 0x01, 5, 1, 7, 0x10, 0, 2}, []byte{})
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		f.Fatal(err)
	}
	xdp := plat.ProgramType("xdp")
	if xdp == nil {
		f.Fatal("no xdp program type")
	}
	// The generated programs return arbitrary numbers; what is fuzzed
	// here is memory safety, not xdp's verdict range.
	pt := *xdp
	pt.Results = nil
	f.Fuzz(func(t *testing.T, prog, packet []byte) {
		code := genPacketProgram(prog)
		insns, err := ir.Decode(code)
		if err != nil {
			t.Fatalf("generator produced invalid code: %v", err)
		}
		p, err := ir.NewProgram("fuzz", insns, nil)
		if err != nil {
			t.Fatalf("generator produced invalid code: %v", err)
		}
		p.Type, p.Section = "xdp", "xdp"
		mod := &ir.Module{Programs: []*ir.Program{p}}
		res, err := verifier.Verify(mod, plat, verifier.Options{CheckTermination: true, ProgramType: &pt,
			Limits: verifier.Limits{Iterations: 1 << 15, Time: 2 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		if !res.OK() {
			return
		}
		rt, err := host.New(mod, plat)
		if err != nil {
			t.Fatal(err)
		}
		vm, err := interp.NewVM(rt, interp.Options{MaxInstructions: 1 << 20})
		if err != nil {
			t.Fatalf("interpreter refuses an accepted program: %v", err)
		}
		for _, l := range []int{0, 1, 3, 4, 7, 8, 15, 16, 31, 64, len(packet)} {
			pkt := make([]byte, l)
			copy(pkt, packet)
			ctx, err := host.NewContext(&pt, pkt, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, err = vm.Run(0, ctx)
			var access *host.AccessError
			if errors.As(err, &access) {
				t.Fatalf("accepted program violates memory on a %d-byte packet: %v\nprogram:\n%v", l, err, p.Insns)
			}
		}
	})
}
