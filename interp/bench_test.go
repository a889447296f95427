package interp

import (
	"encoding/binary"
	"hash/crc32"
	"testing"
	"time"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/cilium/ebpf/asm"
)

// fnvProgram hashes a 64-byte stack buffer with FNV-1a, reps times.
func fnvProgram(reps int32) asm.Instructions {
	return asm.Instructions{
		asm.LoadImm(asm.R5, 0x100000001b3, asm.DWord),
		asm.LoadImm(asm.R0, -0x340d631b7bdddcdb, asm.DWord), // 0xcbf29ce484222325
		asm.Mov.Imm(asm.R1, 0),
		asm.Mov.Imm(asm.R2, 0).WithSymbol("outer"),
		asm.Mov.Reg(asm.R3, asm.R10).WithSymbol("inner"),
		asm.Add.Reg(asm.R3, asm.R2),
		asm.LoadMem(asm.R4, asm.R3, -64, asm.Byte),
		asm.Xor.Reg(asm.R0, asm.R4),
		asm.Mul.Reg(asm.R0, asm.R5),
		asm.Add.Imm(asm.R2, 1),
		asm.JLT.Imm(asm.R2, 64, "inner"),
		asm.Add.Imm(asm.R1, 1),
		asm.JLT.Imm(asm.R1, reps, "outer"),
		asm.Return(),
	}
}

// crcProgram computes the CRC-32 of the memory r1/r2 point to, reps times,
// with the byte-wise table in a read-only global (map 0).
func crcProgram(reps int32) asm.Instructions {
	return asm.Instructions{
		asm.LoadMapValue(asm.R6, 0, 0),
		asm.Mov.Reg(asm.R7, asm.R1),
		asm.Mov.Reg(asm.R8, asm.R2),
		asm.Mov.Imm(asm.R9, 0),
		asm.Mov.Imm32(asm.R0, -1).WithSymbol("outer"),
		asm.Mov.Imm(asm.R2, 0),
		asm.Mov.Reg(asm.R3, asm.R7).WithSymbol("inner"),
		asm.Add.Reg(asm.R3, asm.R2),
		asm.LoadMem(asm.R4, asm.R3, 0, asm.Byte),
		asm.Mov.Reg(asm.R5, asm.R0),
		asm.Xor.Reg(asm.R5, asm.R4),
		asm.And.Imm(asm.R5, 0xff),
		asm.LSh.Imm(asm.R5, 2),
		asm.Add.Reg(asm.R5, asm.R6),
		asm.LoadMem(asm.R5, asm.R5, 0, asm.Word),
		asm.RSh.Imm32(asm.R0, 8),
		asm.Xor.Reg32(asm.R0, asm.R5),
		asm.Add.Imm(asm.R2, 1),
		asm.JLT.Reg(asm.R2, asm.R8, "inner"),
		asm.Add.Imm(asm.R9, 1),
		asm.JLT.Imm(asm.R9, reps, "outer"),
		asm.Xor.Imm32(asm.R0, -1),
		asm.Return(),
	}
}

// sortProgram fills 32 stack slots in descending order and bubble-sorts
// them, reps times; r0 is the smallest element, 1.
func sortProgram(reps int32) asm.Instructions {
	return asm.Instructions{
		asm.Mov.Imm(asm.R9, 0),
		asm.Mov.Imm(asm.R1, 0).WithSymbol("rep"),
		asm.Mov.Reg(asm.R2, asm.R10).WithSymbol("fill"),
		asm.Add.Imm(asm.R2, -256),
		asm.Mov.Reg(asm.R3, asm.R1),
		asm.LSh.Imm(asm.R3, 3),
		asm.Add.Reg(asm.R2, asm.R3),
		asm.Mov.Imm(asm.R4, 32),
		asm.Sub.Reg(asm.R4, asm.R1),
		asm.StoreMem(asm.R2, 0, asm.R4, asm.DWord),
		asm.Add.Imm(asm.R1, 1),
		asm.JLT.Imm(asm.R1, 32, "fill"),
		asm.Mov.Imm(asm.R1, 0),
		asm.Mov.Imm(asm.R2, 0).WithSymbol("outer"),
		asm.Mov.Imm(asm.R5, 31),
		asm.Sub.Reg(asm.R5, asm.R1),
		asm.Mov.Reg(asm.R3, asm.R10).WithSymbol("inner"),
		asm.Add.Imm(asm.R3, -256),
		asm.Mov.Reg(asm.R4, asm.R2),
		asm.LSh.Imm(asm.R4, 3),
		asm.Add.Reg(asm.R3, asm.R4),
		asm.LoadMem(asm.R6, asm.R3, 0, asm.DWord),
		asm.LoadMem(asm.R7, asm.R3, 8, asm.DWord),
		asm.JLE.Reg(asm.R6, asm.R7, "noswap"),
		asm.StoreMem(asm.R3, 0, asm.R7, asm.DWord),
		asm.StoreMem(asm.R3, 8, asm.R6, asm.DWord),
		asm.Add.Imm(asm.R2, 1).WithSymbol("noswap"),
		asm.JLT.Reg(asm.R2, asm.R5, "inner"),
		asm.Add.Imm(asm.R1, 1),
		asm.JLT.Imm(asm.R1, 31, "outer"),
		asm.Add.Imm(asm.R9, 1),
		asm.JLT.Imm(asm.R9, reps, "rep"),
		asm.LoadMem(asm.R0, asm.R10, -256, asm.DWord),
		asm.Return(),
	}
}

func crcTable() []byte {
	tab := crc32.MakeTable(crc32.IEEE)
	b := make([]byte, 0, 1024)
	for _, v := range tab {
		b = binary.LittleEndian.AppendUint32(b, v)
	}
	return b
}

func crcModule(t testing.TB) *ir.Module {
	return &ir.Module{
		Maps:     []*ir.Map{{Name: ".rodata", Kind: ir.MapArray, KeySize: 4, ValueSize: 1024, MaxEntries: 1, Section: ".rodata", ReadOnly: true, Init: crcTable()}},
		Programs: []*ir.Program{program(t, "crc", crcProgram(1))},
	}
}

// TestBenchmarkKernels checks the benchmark programs compute what they claim.
func TestBenchmarkKernels(t *testing.T) {
	data := make([]byte, 256)
	for i := range data {
		data[i] = byte(i * 7)
	}
	vm := newVM(t, crcModule(t), "", Options{})
	got, err := vm.Run(0, host.NewMemoryContext(data))
	if err != nil || got != uint64(crc32.ChecksumIEEE(data)) {
		t.Errorf("crc = %#x, %v; want %#x", got, err, crc32.ChecksumIEEE(data))
	}
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < 64; i++ {
		h *= 0x100000001b3 // bytes are zero: xor is a no-op
	}
	vm = newVM(t, &ir.Module{Programs: []*ir.Program{program(t, "fnv", fnvProgram(1))}}, "", Options{})
	if got, err := vm.Run(0, host.NewMemoryContext(nil)); err != nil || got != h {
		t.Errorf("fnv = %#x, %v; want %#x", got, err, h)
	}
	vm = newVM(t, &ir.Module{Programs: []*ir.Program{program(t, "sort", sortProgram(1))}}, "", Options{})
	if got, err := vm.Run(0, host.NewMemoryContext(nil)); err != nil || got != 1 {
		t.Errorf("sort = %d, %v; want 1", got, err)
	}
}

func benchmark(b *testing.B, mod *ir.Module, mem []byte) {
	vm := newVM(b, mod, "", Options{})
	ctx := host.NewMemoryContext(mem)
	var insns uint64
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := vm.Run(0, ctx); err != nil {
			b.Fatal(err)
		}
		insns += vm.Executed()
	}
	b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(insns), "ns/insn")
	b.ReportMetric(float64(insns)/float64(b.N), "insns/op")
}

func BenchmarkFNV(b *testing.B) {
	benchmark(b, &ir.Module{Programs: []*ir.Program{program(b, "fnv", fnvProgram(100))}}, nil)
}

func BenchmarkCRC32(b *testing.B) {
	mod := crcModule(b)
	mod.Programs[0] = program(b, "crc", crcProgram(20))
	benchmark(b, mod, make([]byte, 256))
}

func BenchmarkBubbleSort(b *testing.B) {
	benchmark(b, &ir.Module{Programs: []*ir.Program{program(b, "sort", sortProgram(10))}}, nil)
}
