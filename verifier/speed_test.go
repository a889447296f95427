package verifier_test

import (
	"encoding/binary"
	"testing"

	"github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/verifier"
)

// largeProgram generates an xdp program of about n instructions: chunks
// of straight-line packet parsing (a bounds check, loads, arithmetic,
// spills) alternating with counted loops over the packet, the shapes
// real programs repeat.
func largeProgram(n int) []byte {
	var code []byte
	emit := func(op, dst, src byte, off int16, imm int32) {
		b := make([]byte, 8)
		b[0], b[1] = op, dst|src<<4
		binary.LittleEndian.PutUint16(b[2:], uint16(off))
		binary.LittleEndian.PutUint32(b[4:], uint32(imm))
		code = append(code, b...)
	}
	emit(0x79, 6, 1, 0, 0) // r6 = data
	emit(0x79, 7, 1, 8, 0) // r7 = data_end
	emit(0xb7, 0, 0, 0, 0) // r0 = 0
	for chunk := 0; len(code)/8 < n-2; chunk++ {
		if chunk%2 == 0 {
			// r2 = r6 + 64; if r2 > r7 skip the loads; 8 loads and sums.
			emit(0xbf, 2, 6, 0, 0)
			emit(0x07, 2, 0, 0, 64)
			emit(0x2d, 2, 7, 24, 0)
			for k := 0; k < 8; k++ {
				emit(0x61, 3, 6, int16(4*k), 0) // w3 = *(u32 *)(r6 + 4k)
				emit(0x0f, 0, 3, 0, 0)          // r0 += r3
				emit(0xa7, 0, 0, 0, 0x5bd1e995) // r0 ^= const
			}
			continue
		}
		// for (i = 0; i != 16; i++) { if (r6 + i + 1 > r7) break; r0 += r6[i]; }
		emit(0xb7, 4, 0, 0, 0)   // r4 = 0
		emit(0xbf, 3, 6, 0, 0)   // loop: r3 = r6
		emit(0x0f, 3, 4, 0, 0)   // r3 += r4
		emit(0xbf, 5, 3, 0, 0)   // r5 = r3
		emit(0x07, 5, 0, 0, 1)   // r5 += 1
		emit(0x2d, 5, 7, 4, 0)   // if r5 > r7 goto out
		emit(0x71, 5, 3, 0, 0)   // r5 = *(u8 *)(r3 + 0)
		emit(0x0f, 0, 5, 0, 0)   // r0 += r5
		emit(0x07, 4, 0, 0, 1)   // r4 += 1
		emit(0x55, 4, 0, -9, 16) // if r4 != 16 goto loop
	}
	emit(0x57, 0, 0, 0, 1) // r0 &= 1
	emit(0x07, 0, 0, 0, 1) // r0 += 1: XDP_PASS or XDP_DROP
	emit(0x95, 0, 0, 0, 0)
	return code
}

// BenchmarkVerify reports instructions per second and the work done on
// the largest testdata object and on a generated 100k-instruction program
// (go test ./verifier -run '^$' -bench Verify -benchtime 2s).
func BenchmarkVerify(b *testing.B) {
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		b.Fatal(err)
	}
	measure := func(b *testing.B, mod *ir.Module) {
		insns := 0
		for _, p := range mod.Programs {
			insns += len(p.Insns)
		}
		var res *verifier.Result
		for b.Loop() {
			res, err = verifier.Verify(mod, plat, verifier.Options{CheckTermination: true})
			if err != nil {
				b.Fatal(err)
			}
		}
		if !res.OK() {
			b.Fatalf("rejected: %v", res.Programs[0].Diagnostics)
		}
		var st verifier.Stats
		for _, p := range res.Programs {
			st.BlockEvaluations += p.Stats.BlockEvaluations
			st.States += p.Stats.States
			st.Rounds = max(st.Rounds, p.Stats.Rounds)
		}
		b.ReportMetric(float64(insns)*float64(b.N)/b.Elapsed().Seconds(), "insns/s")
		b.ReportMetric(float64(st.BlockEvaluations), "block-evals")
		b.ReportMetric(float64(st.States), "states")
		b.ReportMetric(float64(st.Rounds), "rounds")
	}
	b.Run("xdp_parse.o", func(b *testing.B) {
		mod, err := elf.LoadFile("../testdata/xdp_parse.o", plat)
		if err != nil {
			b.Fatal(err)
		}
		measure(b, mod)
	})
	b.Run("generated-100k", func(b *testing.B) {
		insns, err := ir.Decode(largeProgram(100000))
		if err != nil {
			b.Fatal(err)
		}
		p, err := ir.NewProgram("large", insns, nil)
		if err != nil {
			b.Fatal(err)
		}
		p.Type, p.Section = "xdp", "xdp"
		measure(b, &ir.Module{Programs: []*ir.Program{p}})
	})
}
