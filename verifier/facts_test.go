package verifier_test

import "testing"

// TestFacts checks the facts ssa consumes: a divisor proven non-zero, a
// value proven to fit 32 bits, a map value proven non-null after its check.
func TestFacts(t *testing.T) {
	mod := build(t, `
r6 = *(u32 *)(r1 + 24)
r6 &= 7
r6 += 1
r0 = 100
r0 /= r6
r2 = r10
r2 += -4
*(u32 *)(r2 + 0) = 0
r1 = map_fd 0
call 1
if r0 == 0 goto <end>
r0 = *(u64 *)(r0 + 0)
exit`)
	res := verify(t, mod)
	if len(res.Diagnostics) > 0 {
		t.Fatalf("rejected: %v", res.Diagnostics)
	}
	f := res.Facts
	// Instruction 4 is "r0 /= r6".
	if !f.NonZero(4, 6) || !f.Fits32(4, 6) {
		t.Errorf("divisor r6 at 4: non-zero %v, fits32 %v", f.NonZero(4, 6), f.Fits32(4, 6))
	}
	if r, ok := f.Range(4, 6); !ok || r.UMin != 1 || r.UMax != 8 {
		t.Errorf("r6 at 4: %v %v, want [1,8]", r, ok)
	}
	// Instruction 9 is the lookup; 10 the null check; 11 the load.
	if f.NonNull(10, 0) || !f.NonNull(11, 0) {
		t.Errorf("r0 non-null: before check %v, after %v", f.NonNull(10, 0), f.NonNull(11, 0))
	}
	if f.Reached(len(mod.Programs[0].Insns) + 5) {
		t.Error("an instruction past the end is reached")
	}
}
