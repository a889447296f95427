package verifier_test

import (
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/verifier/prevailtest"
)

// buildBlocks assembles labelled PREVAIL-syntax blocks ("label:" lines
// start a block) into the xdp program build makes.
func buildBlocks(t *testing.T, code string) *ir.Module {
	t.Helper()
	var blocks []prevailtest.Block
	for _, l := range strings.Split(strings.TrimSpace(code), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case strings.HasSuffix(l, ":"):
			blocks = append(blocks, prevailtest.Block{Label: strings.TrimSuffix(l, ":")})
		default:
			if len(blocks) == 0 {
				blocks = append(blocks, prevailtest.Block{Label: "start"})
			}
			blocks[len(blocks)-1].Lines = append(blocks[len(blocks)-1].Lines, l)
		}
	}
	p, err := prevailtest.Assemble("xdp_prog", blocks)
	if err != nil {
		t.Fatal(err)
	}
	p.Type, p.Section = "xdp", "xdp"
	return &ir.Module{Programs: []*ir.Program{p}, Maps: []*ir.Map{
		{Name: "m", Kind: ir.MapHash, Type: 1, KeySize: 4, ValueSize: 8, MaxEntries: 16}}}
}

// The relations the domain tracks, each with safe programs and unsafe
// variants that differ by one bound: the unsafe ones must be rejected with
// the diagnostic named.
var relationCases = []struct {
	name, code, want string // want: "" (accept) or a substring of a diagnostic
}{
	// A loop "for (i = 0; i != 16; i++) if (data + i + 1 > end) break;
	// sum += data[i]": the exit on "!=" bounds i (induction variable), the
	// check on data + i + 1 bounds data + i (its ID is i's).
	{"index loop", `
start:
r6 = *(u64 *)(r1 + 0)
r7 = *(u64 *)(r1 + 8)
r2 = 0
r0 = 0
loop:
r3 = r6
r3 += r2
r4 = r3
r4 += 1
if r4 > r7 goto <exit>
r5 = *(u8 *)(r3 + 0)
r0 += r5
r2 += 1
if r2 != 16 goto <loop>
exit:
exit`, ""},
	{"index loop checks one byte too few", `
start:
r6 = *(u64 *)(r1 + 0)
r7 = *(u64 *)(r1 + 8)
r2 = 0
r0 = 0
loop:
r3 = r6
r3 += r2
r4 = r3
r4 += 1
if r4 > r7 goto <exit>
r5 = *(u16 *)(r3 + 0)
r0 += r5
r2 += 1
if r2 != 16 goto <loop>
exit:
exit`, "invalid packet read of 2 bytes"},
	// A counter stepping by 12 ends on "!= 1536" only because it stays a
	// multiple of 12; one starting at 1 never equals 1536.
	{"stride 12 counter", `
start:
r2 = 0
loop:
r2 += 12
if r2 != 1536 goto <loop>
r0 = 0
exit`, ""},
	{"stride 12 counter that skips its bound", `
start:
r2 = 1
loop:
r2 += 12
if r2 != 1536 goto <loop>
r0 = 0
exit`, "may not terminate"},
	// Two induction variables: i counts 0..31, off = 4*i indexes a stack
	// array; off is bounded only through i.
	{"stack array indexed by a second counter", `
start:
r2 = 0
r3 = 0
loop:
r4 = r10
r4 += -128
r4 += r3
*(u32 *)(r4 + 0) = 0
r3 += 4
r2 += 1
if r2 != 32 goto <loop>
r0 = 0
exit`, ""},
	{"stack array one element too long", `
start:
r2 = 0
r3 = 0
loop:
r4 = r10
r4 += -128
r4 += r3
*(u32 *)(r4 + 0) = 0
r3 += 4
r2 += 1
if r2 != 33 goto <loop>
r0 = 0
exit`, "invalid stack write of 4 bytes"},
	// "i + 4 <= end - data": a check on the scalar, against the packet's
	// length, makes data + i readable for 4 bytes.
	{"index checked against the length", `
start:
r6 = *(u64 *)(r1 + 0)
r7 = *(u64 *)(r1 + 8)
r8 = r7
r8 -= r6
r2 = *(u32 *)(r1 + 24)
r2 &= 255
r3 = r2
r3 += 4
if r3 > r8 goto <exit>
r6 += r2
r0 = *(u32 *)(r6 + 0)
exit
exit:
r0 = 0
exit`, ""},
	{"index checked against the length, read too wide", `
start:
r6 = *(u64 *)(r1 + 0)
r7 = *(u64 *)(r1 + 8)
r8 = r7
r8 -= r6
r2 = *(u32 *)(r1 + 24)
r2 &= 255
r3 = r2
r3 += 4
if r3 > r8 goto <exit>
r6 += r2
r0 = *(u64 *)(r6 + 0)
exit
exit:
r0 = 0
exit`, "invalid packet read of 8 bytes"},
	{"index compared with the length the wrong way", `
start:
r6 = *(u64 *)(r1 + 0)
r7 = *(u64 *)(r1 + 8)
r8 = r7
r8 -= r6
r2 = *(u32 *)(r1 + 24)
r2 &= 255
r3 = r2
r3 += 4
if r3 < r8 goto <exit>
r6 += r2
r0 = *(u32 *)(r6 + 0)
exit
exit:
r0 = 0
exit`, "invalid packet read of 4 bytes"},
	// (u32)(end - data): the 32-bit difference is the length.
	{"32-bit packet length", `
start:
r6 = *(u64 *)(r1 + 0)
r7 = *(u64 *)(r1 + 8)
w0 = w7
w0 -= w6
exit`, ""},
	{"32-bit pointer truncation returned", `
start:
r7 = *(u64 *)(r1 + 8)
w0 = w7
exit`, "32-bit move of r7"},
	{"32-bit truncated pointer dereferenced", `
start:
r6 = *(u64 *)(r1 + 0)
r7 = *(u64 *)(r1 + 8)
w2 = w6
w3 = w7
w3 -= w2
r0 = *(u8 *)(r2 + 0)
exit`, "which has no single type"},
	// A 32-bit countdown "w2 = w3 - 1; if (w3 != 0) ..." terminates; one
	// stepping by 2 from an odd start wraps past 0 instead.
	{"32-bit countdown", `
start:
w2 = 7
loop:
w3 = w2
w2 = w3
w2 += -1
if w3 != 0 goto <loop>
r0 = 0
exit`, ""},
	{"32-bit countdown that wraps", `
start:
w2 = 7
loop:
w3 = w2
w2 = w3
w2 += -2
if w3 != 0 goto <loop>
r0 = 0
exit`, "may"},
	// "do x /= 10 while (x_old > 9)": division ranks the loop.
	{"division loop", `
start:
r4 = *(u32 *)(r1 + 24)
loop:
r5 = r4
r4 /= 10
if r5 > 9 goto <loop>
r0 = r4
exit`, ""},
	{"division by one loop", `
start:
r4 = *(u32 *)(r1 + 24)
loop:
r5 = r4
r4 /= 1
if r5 > 9 goto <loop>
r0 = r4
exit`, "may not terminate"},
	// A packet pointer walking the packet with its own check.
	{"pointer walk", `
start:
r6 = *(u64 *)(r1 + 0)
r7 = *(u64 *)(r1 + 8)
r6 += 4
r2 = 0
r0 = 0
loop:
if r6 > r7 goto <exit>
r5 = *(u32 *)(r6 - 4)
r0 += r5
r6 += 4
r2 += 1
if r2 != 100 goto <loop>
exit:
exit`, ""},
	{"pointer walk reading past its check", `
start:
r6 = *(u64 *)(r1 + 0)
r7 = *(u64 *)(r1 + 8)
r6 += 4
r2 = 0
r0 = 0
loop:
if r6 > r7 goto <exit>
r5 = *(u32 *)(r6 - 2)
r0 += r5
r6 += 4
r2 += 1
if r2 != 100 goto <loop>
exit:
exit`, "invalid packet read of 4 bytes"},
	// A spilled copy of a checked pointer is checked too; a copy taken
	// before the pointer moved is not.
	{"spilled packet pointer", `
start:
r6 = *(u64 *)(r1 + 0)
r7 = *(u64 *)(r1 + 8)
r2 = *(u32 *)(r1 + 24)
r2 &= 255
r6 += r2
*(u64 *)(r10 - 8) = r6
r6 += 8
if r6 > r7 goto <exit>
r3 = *(u64 *)(r10 - 8)
r0 = *(u64 *)(r3 + 0)
exit
exit:
r0 = 0
exit`, ""},
	{"spilled packet pointer moved after the spill", `
start:
r6 = *(u64 *)(r1 + 0)
r7 = *(u64 *)(r1 + 8)
r2 = *(u32 *)(r1 + 24)
r2 &= 255
r6 += r2
r6 += 4
*(u64 *)(r10 - 8) = r6
r6 += -4
r6 += 8
if r6 > r7 goto <exit>
r3 = *(u64 *)(r10 - 8)
r0 = *(u64 *)(r3 + 0)
exit
exit:
r0 = 0
exit`, "invalid packet read of 8 bytes"},
	// Array segments: a loop storing a[i] for i = 0, 1, ... initialises
	// the prefix its counter ends; reads within it are of numbers, one
	// element past it is uninitialised.
	{"loop-initialised array", `
start:
r2 = 0
loop:
r3 = r10
r3 += -64
r3 += r2
*(u32 *)(r3 + 0) = r2
r2 += 4
if r2 != 64 goto <loop>
r0 = *(u32 *)(r10 - 4)
exit`, ""},
	{"loop-initialised array read one element past", `
start:
r2 = 0
loop:
r3 = r10
r3 += -64
r3 += r2
*(u32 *)(r3 + 0) = r2
r2 += 4
if r2 != 60 goto <loop>
r0 = *(u32 *)(r10 - 4)
exit`, "read of uninitialized stack"},
	{"loop writing every other element", `
start:
r2 = 0
loop:
r3 = r10
r3 += -64
r3 += r2
*(u32 *)(r3 + 0) = r2
r2 += 8
if r2 != 64 goto <loop>
r0 = *(u32 *)(r10 - 4)
exit`, "read of uninitialized stack"},
	{"loop writing only on some iterations", `
start:
r6 = *(u32 *)(r1 + 24)
r2 = 0
loop:
r3 = r10
r3 += -64
r3 += r2
if r6 == 7 goto <skip>
*(u32 *)(r3 + 0) = r2
skip:
r2 += 4
if r2 != 64 goto <loop>
r0 = *(u32 *)(r10 - 4)
exit`, "read of uninitialized stack"},
	{"loop-initialised array overwritten with a pointer", `
start:
r2 = 0
loop:
r3 = r10
r3 += -64
r3 += r2
*(u32 *)(r3 + 0) = r2
*(u64 *)(r10 - 64) = r1
r2 += 4
if r2 != 64 goto <loop>
r0 = *(u32 *)(r10 - 64)
exit`, "only numbers may be returned"},
	// A loop of a variable count (it may stop early): a[i-1] is the last
	// element written, a[i] is not.
	{"variable-count array, last element", `
start:
r6 = *(u32 *)(r1 + 24)
r6 &= 15
r6 <<= 2
r2 = 0
loop:
if r2 >= r6 goto <done>
r3 = r10
r3 += -64
r3 += r2
*(u32 *)(r3 + 0) = r2
r2 += 4
if r2 != 60 goto <loop>
done:
if r2 == 0 goto <out>
r3 = r10
r3 += -68
r3 += r2
r0 = *(u32 *)(r3 + 0)
exit
out:
r0 = 0
exit`, ""},
	{"variable-count array, one element past", `
start:
r6 = *(u32 *)(r1 + 24)
r6 &= 15
r6 <<= 2
r2 = 0
loop:
if r2 >= r6 goto <done>
r3 = r10
r3 += -64
r3 += r2
*(u32 *)(r3 + 0) = r2
r2 += 4
if r2 != 60 goto <loop>
done:
if r2 == 0 goto <out>
r3 = r10
r3 += -64
r3 += r2
r0 = *(u32 *)(r3 + 0)
exit
out:
r0 = 0
exit`, "read of uninitialized stack"},
	// An inner loop whose counter and pointer start from the outer
	// loop's (for i in 1..32: p = &a[i]; j = i; do *--p = 0 while --j):
	// j ends the inner loop though it entered carrying the outer ghost,
	// and p = a + 4j holds across it (pair relation, iv.go), so the
	// stores stay in a[0..32) at the frame's bottom.
	{"inner loop from the outer counter", `
start:
r2 = 1
r5 = r10
r5 += -508
outer:
r7 = r5
r8 = r2
inner:
r8 += -1
r7 += -4
*(u32 *)(r7 + 0) = 0
if r8 != 0 goto <inner>
r2 += 1
r5 += 4
if r2 < 32 goto <outer>
r0 = 0
exit`, ""},
	{"inner loop from the outer counter, one element below", `
start:
r2 = 1
r5 = r10
r5 += -508
outer:
r7 = r5
r8 = r2
inner:
r8 += -1
r7 += -4
*(u32 *)(r7 - 4) = 0
if r8 != 0 goto <inner>
r2 += 1
r5 += 4
if r2 < 32 goto <outer>
r0 = 0
exit`, "stack+[-4,"},
	// The pointer steps twice as fast as the counter: no relation, so no
	// bound below (p reaches a - 4i + 4... below the frame for i > 1).
	{"inner loop pointer stepping faster than its counter", `
start:
r2 = 1
r5 = r10
r5 += -508
outer:
r7 = r5
r8 = r2
inner:
r8 += -1
r7 += -8
*(u32 *)(r7 + 4) = 0
if r8 != 0 goto <inner>
r2 += 1
r5 += 4
if r2 < 32 goto <outer>
r0 = 0
exit`, "outside the frame"},
	// Rotated loops (clang's shape): the block closing the cycle comes
	// before the head; a cycle entered twice has no single head.
	{"rotated loop", `
start:
r2 = 0
goto <check>
body:
r2 += 1
check:
if r2 != 10 goto <body>
r0 = 0
exit`, ""},
	{"irreducible loop", `
start:
r2 = *(u32 *)(r1 + 24)
r3 = 0
if r2 == 0 goto <b>
a:
r3 += 1
b:
r3 += 1
if r3 < 10 goto <a>
r0 = 0
exit`, "irreducible"},
}

func TestRelations(t *testing.T) {
	for _, tc := range relationCases {
		t.Run(tc.name, func(t *testing.T) {
			res := verify(t, buildBlocks(t, tc.code))
			var got []string
			for _, d := range res.Diagnostics {
				got = append(got, d.Error())
			}
			all := strings.Join(got, "\n")
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("safe program rejected:\n%s", all)
			case tc.want != "" && !strings.Contains(all, tc.want):
				t.Errorf("diagnostics:\n%s\nwant one containing %q", all, tc.want)
			}
		})
	}
}
