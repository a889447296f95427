package ssa

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/interp"
)

// TestRandomProgramsMatchInterpreter compares the optimized SSA with the
// reference interpreter on the generated programs: the SSA's meaning of
// each eBPF operation is checked against an independent implementation,
// not only against itself before optimization.
func TestRandomProgramsMatchInterpreter(t *testing.T) {
	helper := interp.Helper{ID: int32(1), Fn: func(c *host.Call) (uint64, error) {
		b, err := c.Mem.Bytes(c.Args[0], 8, true)
		if err != nil {
			return 0, err
		}
		binary.LittleEndian.PutUint64(b, c.Args[1]*0x9e3779b97f4a7c15+uint64(c.ID))
		return c.Args[1] ^ 0x5555, nil
	}}
	n := 1000
	if testing.Short() {
		n = 100
	}
	for seed := 0; seed < n; seed++ {
		g := &progGen{rng: rand.New(rand.NewSource(int64(seed)))}
		code := marshal(t, g.program(5+seed%40)...)
		init := make([]byte, genMem)
		g.rng.Read(init)

		vm, ctx, err := interp.NewBytecodeVM(code, init, interp.Options{}, helper)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		want, err := vm.Run(0, ctx)
		if err != nil {
			t.Fatalf("seed %d: interpreter: %v", seed, err)
		}

		fs := liftCode(t, code)
		for _, f := range fs {
			if err := Compile(f, Options{Check: true}); err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
		}
		mem := append([]byte(nil), init...)
		got, err := evalGenerated(fs, mem)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if got.R0 != want || !bytes.Equal(mem, ctx.Packet()) {
			t.Fatalf("seed %d: r0 %#x, interpreter %#x; memory %x, interpreter %x\n%s", seed, got.R0, want, mem, ctx.Packet(), fs[0])
		}
	}
}
