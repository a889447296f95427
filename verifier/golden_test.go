package verifier_test

import (
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/verifier"
	"github.com/bpf2native/bpf2native/verifier/prevailtest"
)

// build assembles PREVAIL-syntax lines (one block) into an xdp program of
// the windows platform, with one hash map (key 4, value 8) at index 0.
func build(t *testing.T, lines string) *ir.Module {
	t.Helper()
	var ls []string
	for _, l := range strings.Split(strings.TrimSpace(lines), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			ls = append(ls, l)
		}
	}
	p, err := prevailtest.Assemble("xdp_prog", []prevailtest.Block{{Label: "start", Lines: ls}})
	if err != nil {
		t.Fatal(err)
	}
	p.Type, p.Section = "xdp", "xdp"
	for i := range p.Insns {
		p.Insns[i].Pos = ir.Position{File: "xdp.c", Line: uint32(10 + p.Insns[i].Slot), Col: 3}
	}
	return &ir.Module{Programs: []*ir.Program{p}, Maps: []*ir.Map{
		{Name: "m", Kind: ir.MapHash, Type: 1, KeySize: 4, ValueSize: 8, MaxEntries: 16}}}
}

func verify(t *testing.T, mod *ir.Module) *verifier.ProgramResult {
	t.Helper()
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	// The test programs return whatever number is convenient (the
	// assembler's sink returns 0), not one of xdp's verdicts: they test
	// everything but the result's range (TestResultRange does that).
	pt := *plat.ProgramType(mod.Programs[0].Type)
	pt.Results = nil
	res, err := verifier.Verify(mod, plat, verifier.Options{CheckTermination: true, ProgramType: &pt})
	if err != nil {
		t.Fatal(err)
	}
	return res.Programs[0]
}

// A safe packet parser: read the Ethernet type after checking 14 bytes.
const safeParse = `
r2 = *(u64 *)(r1 + 0)
r3 = *(u64 *)(r1 + 8)
r4 = r2
r4 += 14
if r4 > r3 goto <out>
r0 = *(u16 *)(r2 + 12)
exit
`

// The golden cases: a safe program and unsafe variants of it or of common
// idioms, each with the one diagnostic expected (as Error formats it).
var golden = []struct {
	name, code, want string
}{
	{"safe parse", safeParse + "r0 = 1\nexit", ""},
	{"read past the checked bytes", `
r2 = *(u64 *)(r1 + 0)
r3 = *(u64 *)(r1 + 8)
r4 = r2
r4 += 14
if r4 > r3 goto <out>
r0 = *(u32 *)(r2 + 12)
exit
r0 = 1
exit`, "xdp.c:15:3: program xdp_prog: instruction 5: invalid packet read of 4 bytes at packet+12: only packet+[0,14) is checked against data_end"},
	{"no bounds check", `
r2 = *(u64 *)(r1 + 0)
r0 = *(u8 *)(r2 + 0)
exit`, "xdp.c:11:3: program xdp_prog: instruction 1: invalid packet read of 1 bytes at packet+0: no packet bytes are checked against data_end"},
	{"map value without null check", `
r2 = r10
r2 += -4
*(u32 *)(r2 + 0) = 0
r1 = map_fd 0
call 1
r0 = *(u64 *)(r0 + 0)
exit`, "xdp.c:16:3: program xdp_prog: instruction 6: possible null access: r0 (shared+0 size 8 or null) may be null; compare it with 0 first"},
	{"map value read out of bounds", `
r2 = r10
r2 += -4
*(u32 *)(r2 + 0) = 0
r1 = map_fd 0
call 1
if r0 == 0 goto <out>
r0 = *(u64 *)(r0 + 4)
exit
r0 = 0
exit`, "xdp.c:17:3: program xdp_prog: instruction 7: invalid read of 8 bytes at shared+4: the region is 8 bytes"},
	{"uninitialized key", `
r2 = r10
r2 += -4
r1 = map_fd 0
call 1
r0 = 0
exit`, "xdp.c:14:3: program xdp_prog: instruction 4: argument 2 (r2) of bpf_map_lookup_elem: helper reads up to 4 bytes at stack+508 but stack+508 may be uninitialized"},
	{"pointer leak into a map value", `
r2 = r10
r2 += -4
*(u32 *)(r2 + 0) = 0
r1 = map_fd 0
call 1
if r0 == 0 goto <out>
*(u64 *)(r0 + 0) = r10
r0 = 0
exit`, "xdp.c:17:3: program xdp_prog: instruction 7: stack+512 stored into shared memory (a map value): only numbers can be stored to externally visible memory (pointer leak)"},
	{"returning a pointer", `
r0 = r1
exit`, "xdp.c:11:3: program xdp_prog: instruction 1: program returns ctx+0 in r0: only numbers may be returned (pointer leak)"},
	{"uninitialized register", `
r0 = 0
r0 += r3
exit`, "xdp.c:11:3: program xdp_prog: instruction 1: r3 is used uninitialized"},
	{"stack out of bounds", `
*(u64 *)(r10 + 0) = 0
r0 = 0
exit`, "xdp.c:10:3: program xdp_prog: instruction 0: invalid stack write of 8 bytes at stack+512: outside the frame's [0,512)"},
	{"write to a read-only context field", `
*(u32 *)(r1 + 24) = 0
r0 = 0
exit`, "xdp.c:10:3: program xdp_prog: instruction 0: write to read-only context field ingress_ifindex (ctx+24)"},
	{"infinite loop", `
r0 = 0
if r0 == 0 goto <start>
exit`, "xdp.c:10:3: program xdp_prog: instruction 0: loop at instruction 0 may not terminate: no register or stack slot moves monotonically toward a bound on every iteration"},
	{"unknown helper", `
call 999
r0 = 0
exit`, "xdp.c:10:3: program xdp_prog: instruction 0: invalid helper function id 999: platform windows has no such helper"},
}

func TestGoldenDiagnostics(t *testing.T) {
	for _, tc := range golden {
		t.Run(tc.name, func(t *testing.T) {
			code := strings.ReplaceAll(tc.code, "<out>", "<end>")
			mod := build(t, code)
			// <end> is the assembler's sink (r0 = 0; exit) of the function.
			res := verify(t, mod)
			var got []string
			for _, d := range res.Diagnostics {
				got = append(got, d.Error())
			}
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("safe program rejected:\n%s", strings.Join(got, "\n"))
			case tc.want != "" && (len(got) != 1 || got[0] != tc.want):
				t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), tc.want)
			}
		})
	}
}
