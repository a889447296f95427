package interp

import (
	"math/rand"
	"path/filepath"
	"strings"
	"testing"
	"time"

	elffront "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/platform"
)

// kernelBenchmarks are the compute kernels `go run ./bench` times against
// gcc -O2, here without the C side so that benchstat and pprof can be used.
var kernelBenchmarks = []struct{ file, entry string }{
	{"hash.c", "sample_fnv1a"},
	{"hash.c", "sample_murmur3"},
	{"hash.c", "sample_jhash"},
	{"crc32.c", "sample_crc32"},
	{"xdp_parse.c", "sample_classify"},
	{"sort.c", "sample_sort"},
	{"bits.c", "sample_bits"},
	{"subprogs.c", "sample_subprogs"},
	{"loops.c", "sample_loops"},
}

// kernelPacket is bench's packet: a 1500-byte IPv4/TCP frame with a
// pseudo-random payload.
func kernelPacket() []byte {
	p := make([]byte, 1500)
	rand.New(rand.NewSource(42)).Read(p)
	copy(p, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		0x45, 0, 0x05, 0xce, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0x20, 0, 0, 0, 0, 0})
	return p
}

func BenchmarkKernels(b *testing.B) {
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range kernelBenchmarks {
		b.Run(strings.TrimPrefix(k.entry, "sample_"), func(b *testing.B) {
			obj := filepath.Join("..", "testdata", strings.TrimSuffix(k.file, ".c")+".o")
			mod, err := elffront.LoadFile(obj, plat)
			if err != nil {
				b.Fatal(err)
			}
			rt, err := host.New(mod, plat)
			if err != nil {
				b.Fatal(err)
			}
			vm, err := NewVM(rt, Options{})
			if err != nil {
				b.Fatal(err)
			}
			prog := vm.Program(k.entry)
			if prog < 0 {
				b.Fatalf("%s: no program %s", obj, k.entry)
			}
			ctx, err := host.NewContext(plat.ProgramType(mod.Programs[prog].Type), kernelPacket(), nil)
			if err != nil {
				b.Fatal(err)
			}
			var insns uint64
			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				if _, err := vm.Run(prog, ctx); err != nil {
					b.Fatal(err)
				}
				insns += vm.Executed()
			}
			b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(insns), "ns/insn")
		})
	}
}
