package interp

import (
	"errors"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/cilium/ebpf/asm"
)

type isaCase struct {
	name string
	src  string // conformance assembler syntax; exit is appended
	mem  []byte
	want uint64
}

// Expected values are worked out by hand from RFC 9669, never by running
// the interpreter.
var isaCases = []isaCase{
	// ALU64 and ALU, immediate and register forms.
	{"add imm sign-extends", "mov %r0, 5\nadd %r0, -7", nil, 0xfffffffffffffffe},
	{"add32 wraps", "mov32 %r0, 0xffffffff\nadd32 %r0, 2", nil, 1},
	{"add32 zero-extends", "lddw %r0, 0x100000001\nadd32 %r0, 0", nil, 1},
	{"add reg", "mov %r0, 40\nmov %r1, 2\nadd %r0, %r1", nil, 42},
	{"sub32 borrows", "mov %r0, 0\nsub32 %r0, 1", nil, 0xffffffff},
	{"sub reg", "mov %r0, 1\nmov %r1, 2\nsub %r0, %r1", nil, 0xffffffffffffffff},
	{"mul signed imm", "mov %r0, -3\nmul %r0, 5", nil, 0xfffffffffffffff1},
	{"mul32 truncates", "lddw %r0, 0x100000003\nmul32 %r0, 0x80000001", nil, 0x80000003},
	{"div", "mov %r0, 100\ndiv %r0, 7", nil, 14},
	{"div by zero reg", "mov %r0, 100\nmov %r1, 0\ndiv %r0, %r1", nil, 0},
	{"div by zero imm", "mov %r0, 100\ndiv %r0, 0", nil, 0},
	{"div imm sign-extended then unsigned", "mov %r0, -1\ndiv %r0, -1", nil, 1},
	{"div32 unsigned", "mov32 %r0, -1\ndiv32 %r0, 2", nil, 0x7fffffff},
	{"div32 low half of divisor", "lddw %r1, 0x100000000\nmov %r0, 10\ndiv32 %r0, %r1", nil, 0},
	{"mod", "mov %r0, 100\nmod %r0, 7", nil, 2},
	{"mod by zero keeps dividend", "lddw %r0, 0x100000005\nmov %r1, 0\nmod %r0, %r1", nil, 0x100000005},
	{"mod32 by zero truncates", "lddw %r0, 0x100000005\nmov %r1, 0\nmod32 %r0, %r1", nil, 5},
	{"mod32 of wide value", "lddw %r0, 0x100000003\nmod32 %r0, 3", nil, 0},
	{"sdiv", "mov %r0, -7\nsdiv %r0, 2", nil, 0xfffffffffffffffd},
	{"sdiv by zero", "mov %r0, -7\nsdiv %r0, 0", nil, 0},
	{"sdiv INT_MIN by -1", "lddw %r0, 0x8000000000000000\nsdiv %r0, -1", nil, 0x8000000000000000},
	{"sdiv32 INT_MIN by -1", "mov32 %r0, 0x80000000\nmov %r1, -1\nsdiv32 %r0, %r1", nil, 0x80000000},
	{"sdiv32 negative", "mov32 %r0, -9\nsdiv32 %r0, 2", nil, 0xfffffffc},
	{"smod sign of dividend", "mov %r0, -7\nsmod %r0, 2", nil, 0xffffffffffffffff},
	{"smod by negative", "mov %r0, 7\nsmod %r0, -2", nil, 1},
	{"smod INT_MIN by -1", "lddw %r0, 0x8000000000000000\nsmod %r0, -1", nil, 0},
	{"smod by zero keeps dividend", "mov %r0, -7\nsmod %r0, 0", nil, 0xfffffffffffffff9},
	{"smod32 by zero truncates", "mov %r0, -7\nmov %r1, 0\nsmod32 %r0, %r1", nil, 0xfffffff9},
	{"smod32 INT_MIN by -1", "mov32 %r0, 0x80000000\nsmod32 %r0, -1", nil, 0},
	{"or", "mov %r0, 0xf0\nor %r0, 0x0f", nil, 0xff},
	{"and imm sign-extends", "lddw %r0, 0x123456789abcdef0\nand %r0, -16", nil, 0x123456789abcdef0},
	{"and32", "mov %r0, -1\nand32 %r0, 0xff", nil, 0xff},
	{"xor reg", "mov %r0, 0xcc\nmov %r1, 0xff\nxor %r0, %r1", nil, 0x33},
	{"xor32 zero-extends", "mov %r0, -1\nxor32 %r0, 0", nil, 0xffffffff},
	{"lsh 63", "mov %r0, 1\nlsh %r0, 63", nil, 0x8000000000000000},
	{"lsh reg masked to 6 bits", "mov %r0, 1\nmov %r1, 65\nlsh %r0, %r1", nil, 2},
	{"lsh imm masked to 6 bits", "mov %r0, 1\nlsh %r0, 65", nil, 2},
	{"lsh32 reg masked to 5 bits", "mov %r0, 1\nmov %r1, 33\nlsh32 %r0, %r1", nil, 2},
	{"lsh32 drops high bits", "lddw %r0, 0x180000000\nlsh32 %r0, 1", nil, 0},
	{"rsh", "mov %r0, -1\nrsh %r0, 60", nil, 0xf},
	{"rsh32", "mov %r0, -1\nrsh32 %r0, 28", nil, 0xf},
	{"rsh32 negative count", "mov32 %r0, 0x80000000\nmov %r1, -1\nrsh32 %r0, %r1", nil, 1},
	{"arsh", "mov %r0, -16\narsh %r0, 2", nil, 0xfffffffffffffffc},
	{"arsh32", "mov32 %r0, 0x80000000\narsh32 %r0, 4", nil, 0xf8000000},
	{"arsh32 ignores high half", "lddw %r0, 0x17fffffff\narsh32 %r0, 4", nil, 0x07ffffff},
	{"neg", "mov %r0, 5\nneg %r0", nil, 0xfffffffffffffffb},
	{"neg32", "mov %r0, 5\nneg32 %r0", nil, 0xfffffffb},
	{"neg INT_MIN", "lddw %r0, 0x8000000000000000\nneg %r0", nil, 0x8000000000000000},
	{"mov imm sign-extends", "mov %r0, -1", nil, 0xffffffffffffffff},
	{"mov32 imm zero-extends", "mov32 %r0, -1", nil, 0xffffffff},
	{"mov32 reg zero-extends", "mov %r1, -1\nmov32 %r0, %r1", nil, 0xffffffff},
	{"movsx864", "mov %r1, 0x180\nmovsx864 %r0, %r1", nil, 0xffffffffffffff80},
	{"movsx832", "mov %r1, 0x80\nmovsx832 %r0, %r1", nil, 0xffffff80},
	{"movsx1664", "mov %r1, 0x8000\nmovsx1664 %r0, %r1", nil, 0xffffffffffff8000},
	{"movsx1632", "mov %r1, 0x8000\nmovsx1632 %r0, %r1", nil, 0xffff8000},
	{"movsx3264", "mov32 %r1, 0x80000000\nmovsx3264 %r0, %r1", nil, 0xffffffff80000000},
	{"movsx positive", "mov %r1, 0x7f\nmovsx864 %r0, %r1", nil, 0x7f},
	{"le16", "lddw %r0, 0x1122334455667788\nle16 %r0", nil, 0x7788},
	{"le32", "lddw %r0, 0x1122334455667788\nle32 %r0", nil, 0x55667788},
	{"le64", "lddw %r0, 0x1122334455667788\nle64 %r0", nil, 0x1122334455667788},
	{"be16", "lddw %r0, 0x1122334455667788\nbe16 %r0", nil, 0x8877},
	{"be32", "lddw %r0, 0x1122334455667788\nbe32 %r0", nil, 0x88776655},
	{"be64", "lddw %r0, 0x1122334455667788\nbe64 %r0", nil, 0x8877665544332211},
	{"bswap16", "lddw %r0, 0x1122334455667788\nbswap16 %r0", nil, 0x8877},
	{"bswap32", "lddw %r0, 0x1122334455667788\nbswap32 %r0", nil, 0x88776655},
	{"bswap64", "lddw %r0, 0x1122334455667788\nbswap64 %r0", nil, 0x8877665544332211},
	{"lddw", "lddw %r0, 0xfedcba9876543210", nil, 0xfedcba9876543210},

	// Loads and stores.
	{"stdw imm sign-extends", "stdw [%r10-8], -1\nldxdw %r0, [%r10-8]", nil, 0xffffffffffffffff},
	{"stw ldxh", "stw [%r10-8], 0x11223344\nldxh %r0, [%r10-6]", nil, 0x1122},
	{"stxb truncates", "mov %r1, 0x1ff\nstxb [%r10-1], %r1\nldxb %r0, [%r10-1]", nil, 0xff},
	{"ldxw from memory", "ldxw %r0, [%r1+1]", []byte{0, 0x11, 0x22, 0x33, 0x44}, 0x44332211},
	{"ldxsb", "ldxsb %r0, [%r1]", []byte{0x80}, 0xffffffffffffff80},
	{"ldxsh", "ldxsh %r0, [%r1]", []byte{0x01, 0x80}, 0xffffffffffff8001},
	{"ldxsw", "ldxsw %r0, [%r1]", []byte{1, 0, 0, 0x80}, 0xffffffff80000001},
	{"stxdw to memory", "lddw %r2, 0x0102030405060708\nstxdw [%r1], %r2\nldxb %r0, [%r1+7]", make([]byte, 8), 1},
	{"r2 is memory length", "mov %r0, %r2", make([]byte, 11), 11},

	// Atomics.
	{"lock add", "stdw [%r10-8], 10\nmov %r1, 5\nlock add [%r10-8], %r1\nldxdw %r0, [%r10-8]", nil, 15},
	{"lock fetch add", "stdw [%r10-8], 10\nmov %r1, 5\nlock fetch add [%r10-8], %r1\nmov %r0, %r1", nil, 10},
	{"lock fetch add32 zero-extends", "stw [%r10-8], -1\nmov %r1, 1\nlock fetch add32 [%r10-8], %r1\nmov %r0, %r1", nil, 0xffffffff},
	{"lock add32 wraps", "stw [%r10-8], -1\nmov %r1, 2\nlock add32 [%r10-8], %r1\nldxdw %r0, [%r10-8]", nil, 1},
	{"lock or", "stdw [%r10-8], 0xc\nmov %r1, 0xa\nlock or [%r10-8], %r1\nldxdw %r0, [%r10-8]", nil, 0xe},
	{"lock fetch and", "stdw [%r10-8], 0xc\nmov %r1, 0xa\nlock fetch and [%r10-8], %r1\nldxdw %r0, [%r10-8]\nmul %r1, 0x100\nadd %r0, %r1", nil, 0xc08},
	{"lock fetch xor32", "stw [%r10-8], 0xc\nmov %r1, 0xa\nlock fetch xor32 [%r10-8], %r1\nldxw %r0, [%r10-8]\nmul %r1, 0x100\nadd %r0, %r1", nil, 0xc06},
	{"lock xchg", "stdw [%r10-8], 7\nmov %r1, 9\nlock xchg [%r10-8], %r1\nldxdw %r0, [%r10-8]\nmul %r1, 100\nadd %r0, %r1", nil, 709},
	{"lock cmpxchg hit", "stdw [%r10-8], 7\nmov %r0, 7\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r2, [%r10-8]\nmul %r0, 100\nadd %r0, %r2", nil, 709},
	{"lock cmpxchg miss", "stdw [%r10-8], 7\nmov %r0, 8\nmov %r1, 9\nlock cmpxchg [%r10-8], %r1\nldxdw %r2, [%r10-8]\nmul %r0, 100\nadd %r0, %r2", nil, 707},
	{"lock cmpxchg32 compares low half", "stw [%r10-8], 7\nlddw %r0, 0x100000007\nmov %r1, 9\nlock cmpxchg32 [%r10-8], %r1\nldxw %r2, [%r10-8]\nmul %r0, 100\nadd %r0, %r2", nil, 709},

	// Jumps: r0 = 1 when taken.
	{"jeq taken", "mov %r0, 0\nmov %r1, 5\njeq %r1, 5, t\nexit\nt:\nmov %r0, 1", nil, 1},
	{"jeq imm sign-extends", "mov %r0, 0\nmov %r1, -1\njeq %r1, -1, t\nexit\nt:\nmov %r0, 1", nil, 1},
	{"jgt unsigned", "mov %r0, 0\nmov %r1, -1\njgt %r1, 1, t\nexit\nt:\nmov %r0, 1", nil, 1},
	{"jsgt signed", "mov %r0, 0\nmov %r1, -1\njsgt %r1, 1, t\nexit\nt:\nmov %r0, 1", nil, 0},
	{"jge equal", "mov %r0, 0\nmov %r1, 3\nmov %r2, 3\njge %r1, %r2, t\nexit\nt:\nmov %r0, 1", nil, 1},
	{"jsge", "mov %r0, 0\nmov %r1, -3\njsge %r1, -2, t\nexit\nt:\nmov %r0, 1", nil, 0},
	{"jset", "mov %r0, 0\nmov %r1, 6\njset %r1, 2, t\nexit\nt:\nmov %r0, 1", nil, 1},
	{"jset miss", "mov %r0, 0\nmov %r1, 4\njset %r1, 2, t\nexit\nt:\nmov %r0, 1", nil, 0},
	{"jne", "mov %r0, 0\nmov %r1, 4\njne %r1, 5, t\nexit\nt:\nmov %r0, 1", nil, 1},
	{"jlt unsigned", "mov %r0, 0\nmov %r1, 1\nmov %r2, -1\njlt %r1, %r2, t\nexit\nt:\nmov %r0, 1", nil, 1},
	{"jslt signed", "mov %r0, 0\nmov %r1, 1\nmov %r2, -1\njslt %r1, %r2, t\nexit\nt:\nmov %r0, 1", nil, 0},
	{"jle", "mov %r0, 0\nmov %r1, 5\njle %r1, 5, t\nexit\nt:\nmov %r0, 1", nil, 1},
	{"jsle", "mov %r0, 0\nmov %r1, -5\njsle %r1, -5, t\nexit\nt:\nmov %r0, 1", nil, 1},
	{"jeq32 ignores high half", "mov %r0, 0\nlddw %r1, 0x100000005\njeq32 %r1, 5, t\nexit\nt:\nmov %r0, 1", nil, 1},
	{"jeq64 sees high half", "mov %r0, 0\nlddw %r1, 0x100000005\njeq %r1, 5, t\nexit\nt:\nmov %r0, 1", nil, 0},
	{"jsgt32 negative", "mov %r0, 0\nmov32 %r1, 0x80000000\njsgt32 %r1, 0, t\nexit\nt:\nmov %r0, 1", nil, 0},
	{"jgt32 unsigned", "mov %r0, 0\nmov32 %r1, 0x80000000\njgt32 %r1, 0, t\nexit\nt:\nmov %r0, 1", nil, 1},
	{"jslt32 reg", "mov %r0, 0\nmov32 %r1, -1\nmov32 %r2, 0\njslt32 %r1, %r2, t\nexit\nt:\nmov %r0, 1", nil, 1},
	{"ja", "mov %r0, 1\nja t\nmov %r0, 2\nt:\nadd %r0, 10", nil, 11},
	{"ja32", "mov %r0, 1\nja32 t\nmov %r0, 2\nt:\nadd %r0, 10", nil, 11},
	{"loop", "mov %r0, 0\nmov %r1, 10\nl:\nadd %r0, %r1\nsub %r1, 1\njne %r1, 0, l", nil, 55},

	// Calls.
	{"helper 5 returns r1", "mov %r1, 77\ncall 5", nil, 77},
	{"callx", "mov %r2, 5\nmov %r1, 78\ncall %r2", nil, 78},
	{"local call preserves r6-r9", "mov %r6, 1\nmov %r7, 2\nmov %r8, 3\nmov %r9, 4\nmov %r1, 5\ncall local f\nadd %r0, %r6\nadd %r0, %r7\nadd %r0, %r8\nadd %r0, %r9\nexit\nf:\nmov %r6, 100\nmov %r7, 100\nmov %r8, 100\nmov %r9, 100\nmov %r0, %r1\nadd %r0, 10", nil, 25},
	{"local call own frame", "stdw [%r10-8], 3\ncall local f\nldxdw %r0, [%r10-8]\nexit\nf:\nstdw [%r10-8], 4\nmov %r0, 0", nil, 3},
	{"callee reads caller stack", "stdw [%r10-8], 3\nmov %r1, %r10\nadd %r1, -8\ncall local f\nexit\nf:\nldxdw %r0, [%r1]", nil, 3},
}

func TestISA(t *testing.T) {
	for _, tc := range isaCases {
		t.Run(tc.name, func(t *testing.T) {
			code := assemble(t, tc.src+"\nexit")
			got, err := RunBytecode(code, tc.mem)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("r0 = %#x, want %#x", got, tc.want)
			}
		})
	}
}

func TestLegacyPacketLoads(t *testing.T) {
	pkt := []byte{0x11, 0x22, 0x33, 0x44, 0x55, 0x66}
	for _, tc := range []struct {
		name string
		ins  asm.Instructions
		want uint64
	}{
		{"abs b", asm.Instructions{asm.LoadAbs(1, asm.Byte), asm.Return()}, 0x22},
		{"abs h big-endian", asm.Instructions{asm.LoadAbs(1, asm.Half), asm.Return()}, 0x2233},
		{"abs w big-endian", asm.Instructions{asm.LoadAbs(2, asm.Word), asm.Return()}, 0x33445566},
		{"abs out of bounds ends with 0", asm.Instructions{asm.LoadAbs(3, asm.Word), asm.Mov.Imm(asm.R0, 9), asm.Return()}, 0},
		{"ind", asm.Instructions{asm.Mov.Imm(asm.R3, 2), asm.LoadInd(asm.R0, asm.R3, 1, asm.Half), asm.Return()}, 0x4455},
		{"ind negative ends with 0", asm.Instructions{asm.Mov.Imm(asm.R3, -4), asm.LoadInd(asm.R0, asm.R3, 1, asm.Byte), asm.Mov.Imm(asm.R0, 9), asm.Return()}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mod := &ir.Module{Programs: []*ir.Program{program(t, "p", tc.ins)}}
			vm := newVM(t, mod, "", Options{})
			got, err := vm.Run(0, host.NewMemoryContext(pkt))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("r0 = %#x, want %#x", got, tc.want)
			}
		})
	}
}

// runErr runs bytecode that must fail and returns the error.
func runErr(t *testing.T, src string, mem []byte, opts Options) error {
	t.Helper()
	vm, ctx, err := NewBytecodeVM(assemble(t, src), mem, opts)
	if err != nil {
		return err
	}
	r0, err := vm.Run(0, ctx)
	if err == nil {
		t.Fatalf("program returned %#x, want an error", r0)
	}
	return err
}

func TestControlErrors(t *testing.T) {
	chain := func(n int) string {
		// main calls f1, f1 calls f2, ... f(n-1): n frames in all.
		var b strings.Builder
		for i := 1; i < n; i++ {
			b.WriteString("call local f" + itoa(i) + "\nexit\nf" + itoa(i) + ":\n")
		}
		b.WriteString("mov %r0, 7\nexit")
		return b.String()
	}
	if _, err := RunBytecode(assemble(t, chain(MaxFrames)), nil); err != nil {
		t.Errorf("%d frames: %v", MaxFrames, err)
	}
	if err := runErr(t, chain(MaxFrames+1), nil, Options{}); !errors.Is(err, ErrCallDepth) {
		t.Errorf("%d frames: got %v, want ErrCallDepth", MaxFrames+1, err)
	}
	if err := runErr(t, "f:\ncall local f\nexit", nil, Options{}); !errors.Is(err, ErrCallDepth) {
		t.Errorf("recursion: got %v, want ErrCallDepth", err)
	}
	if err := runErr(t, "l:\nja l\nexit", nil, Options{MaxInstructions: 1000}); !errors.Is(err, ErrBudget) {
		t.Errorf("endless loop: got %v, want ErrBudget", err)
	}
	if err := runErr(t, "mov %r0, 1", nil, Options{}); !errors.Is(err, ErrFellOff) {
		t.Errorf("no exit: got %v, want ErrFellOff", err)
	}
	if err := runErr(t, "call local f\nexit\nf:\nmov %r0, 1", nil, Options{}); !errors.Is(err, ErrFellOff) {
		t.Errorf("callee without exit: got %v, want ErrFellOff", err)
	}
	if err := runErr(t, "call 6\nexit", nil, Options{}); err == nil || !strings.Contains(err.Error(), "helper 6") {
		t.Errorf("unbound helper: got %v, want an error naming helper 6", err)
	}
	if err := runErr(t, "mov %r2, 99\ncall %r2\nexit", nil, Options{}); err == nil || !strings.Contains(err.Error(), "helper 99") {
		t.Errorf("callx to unbound helper: got %v, want an error naming helper 99", err)
	}
	if err := runErr(t, "mov %r10, 0\nexit", nil, Options{}); !errors.Is(err, ir.ErrMalformed) {
		t.Errorf("write to r10: got %v, want ErrMalformed", err)
	}
	// lddw src 3..6 pseudo forms are valid eBPF the interpreter refuses.
	code := []byte{0x18, 0x30, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0}
	if _, err := RunBytecode(code, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("lddw src 3: got %v, want ErrUnsupported", err)
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestBytecodeHelpers(t *testing.T) {
	double := Helper{ID: 7, Fn: func(c *host.Call) (uint64, error) { return c.Args[0] * 2, nil }}
	vm, ctx, err := NewBytecodeVM(assemble(t, "mov %r1, 21\ncall 7\nexit"), nil, Options{}, double)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := vm.Run(0, ctx); err != nil || got != 42 {
		t.Errorf("got %d, %v; want 42", got, err)
	}
	if _, _, err := NewBytecodeVM(assemble(t, "exit"), nil, Options{}, Helper{ID: -1}); err == nil {
		t.Error("negative helper id accepted")
	}
}
