package verifier_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/verifier"
)

// TestResultRange checks r0 at exit against the verdicts each program
// type defines (platform.ProgramType.Results), on its low 32 bits read as
// a signed integer where the hook delivers 32.
func TestResultRange(t *testing.T) {
	for _, tc := range []struct {
		plat, typ, code, want string
	}{
		{platform.Windows, "xdp", "r0 = 2\nexit", ""},
		{platform.Windows, "xdp", "r0 = 0\nexit", "w0 at exit may be 0, outside [1, 3], the results a xdp program may return"},
		{platform.Windows, "xdp", "r0 = 4\nexit", "outside [1, 3]"},
		// The packet's first bit picks XDP_PASS or XDP_DROP.
		{platform.Windows, "xdp", "r0 = *(u32 *)(r1 + 24)\nr0 &= 1\nr0 += 1\nexit", ""},
		{platform.Windows, "xdp", "r0 = *(u32 *)(r1 + 24)\nr0 &= 3\nexit", "w0 at exit may be [0,3], outside [1, 3]"},
		// Only the low 32 bits are the verdict.
		{platform.Windows, "xdp", "r0 = 1\nr0 <<= 32\nr0 += 1\nexit", ""},
		{platform.Windows, "bind", "r0 = 3\nexit", ""},
		{platform.Windows, "bind", "r0 = 4\nexit", "outside [0, 3]"},
		{platform.Windows, "sock_addr", "r0 = 3\nexit", "outside [0, 2]"},
		{platform.Windows, "sample", "r0 = -7\nexit", ""},
		{platform.Linux, "xdp", "r0 = 0\nexit", ""},
		{platform.Linux, "xdp", "r0 = 5\nexit", "outside [0, 4]"},
		{platform.Linux, "sched_cls", "r0 = -1\nexit", ""},
		{platform.Linux, "sched_cls", "r0 = -2\nexit", "w0 at exit may be -2, outside [-1, 8]"},
		{platform.Linux, "socket_filter", "r0 = 12345\nexit", ""},
	} {
		t.Run(tc.plat+"/"+tc.typ+"/"+strings.ReplaceAll(tc.code, "\n", "; "), func(t *testing.T) {
			plat, err := platform.Get(tc.plat)
			if err != nil {
				t.Fatal(err)
			}
			mod := build(t, tc.code)
			pt := plat.ProgramType(tc.typ)
			if pt == nil {
				t.Fatalf("no program type %s", tc.typ)
			}
			res, err := verifier.Verify(mod, plat, verifier.Options{ProgramType: pt})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range res.Diagnostics() {
				got = append(got, d.Error())
			}
			all := strings.Join(got, "\n")
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("rejected:\n%s", all)
			case tc.want != "" && !strings.Contains(all, tc.want):
				t.Errorf("diagnostics:\n%s\nwant one containing %q", all, tc.want)
			}
		})
	}
}

// TestUnsafeObjects verifies the clang-built programs of
// ../testdata/unsafe, each of which breaks one rule, and checks the
// diagnostic that names the rule.
func TestUnsafeObjects(t *testing.T) {
	want := map[string]string{
		"oob_packet.o":          "invalid packet read",
		"pointer_leak.o":        "pointer leak",
		"readonly_ctx.o":        "write to read-only context field",
		"stack_overflow.o":      "stack depth 608 bytes across calls stack_overflow -> inner exceeds 512",
		"unbounded_loop.o":      "may not terminate",
		"unchecked_map_value.o": "possible null access",
		"uninit_stack.o":        "read of uninitialized stack",
		"wrong_helper_arg.o":    "must be a map",
	}
	objs, _ := filepath.Glob("../testdata/unsafe/*.o")
	if len(objs) == 0 {
		t.Skip("no objects in ../testdata/unsafe")
	}
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range objs {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			w, ok := want[name]
			if !ok {
				t.Fatalf("no expected diagnostic for %s", name)
			}
			mod, err := elf.LoadFile(path, plat)
			if err != nil {
				t.Fatal(err)
			}
			res, err := verifier.Verify(mod, plat, verifier.Options{CheckTermination: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range res.Diagnostics() {
				got = append(got, d.Error())
			}
			if all := strings.Join(got, "\n"); !strings.Contains(all, w) {
				t.Errorf("diagnostics:\n%s\nwant one containing %q", all, w)
			}
		})
	}
}
