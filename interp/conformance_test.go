package interp

import (
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/conformance"
)

const conformanceDir = "/work/shared/conformance/tests"

// TestConformance runs the whole external suite; every test must pass.
func TestConformance(t *testing.T) {
	var out strings.Builder
	passed, failed, err := conformance.Run(func(program, memory []byte) (uint64, error) {
		return RunBytecode(program, memory)
	}, []string{conformanceDir}, &out)
	if err != nil {
		t.Fatalf("conformance suite unavailable: %v", err)
	}
	t.Logf("%d passed, %d failed", passed, failed)
	if failed != 0 || passed != 313 {
		t.Errorf("%d passed, %d failed, want 313 passed:\n%s", passed, failed, out.String())
	}
}
