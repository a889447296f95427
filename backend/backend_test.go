package backend_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	_ "github.com/bpf2native/bpf2native/backend/amd64"
	"github.com/bpf2native/bpf2native/ir"
)

func TestRegistry(t *testing.T) {
	if !slices.Contains(backend.ArchNames(), "amd64") {
		t.Fatalf("amd64 not registered: %v", backend.ArchNames())
	}
	a, err := backend.LookupArch("amd64")
	if err != nil {
		t.Fatal(err)
	}
	if abi, err := a.ABI(""); err != nil || abi.Name != "sysv" {
		t.Errorf("default ABI %v, %v; want sysv", abi, err)
	}
	if abi, err := a.ABI("windows"); err != nil || abi.ShadowSpace != 32 || len(abi.IntArgs) != 4 {
		t.Errorf("windows ABI %+v, %v", abi, err)
	}
	if _, err := a.ABI("aapcs64"); err == nil {
		t.Error("amd64 accepted ABI aapcs64")
	}
	if _, err := backend.Compile(&ir.Module{}, backend.Target{Arch: "mips"}, backend.Options{}); err == nil || !strings.Contains(err.Error(), "unknown arch") {
		t.Errorf("Compile for mips: %v", err)
	}
}

func TestABIStackArgs(t *testing.T) {
	a, _ := backend.LookupArch("amd64")
	win, _ := a.ABI("windows")
	sysv, _ := a.ABI("sysv")
	if got := win.StackArgOffset(4); got != 32 {
		t.Errorf("windows fifth argument at %d, want 32 (above the shadow space)", got)
	}
	if got := win.OutgoingArea(5); got != 40 {
		t.Errorf("windows outgoing area for 5 arguments %d, want 40", got)
	}
	if got := sysv.OutgoingArea(5); got != 0 {
		t.Errorf("sysv outgoing area for 5 arguments %d, want 0", got)
	}
}
