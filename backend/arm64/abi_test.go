package arm64

import (
	"fmt"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/regalloc"
)

// TestWindowsABI checks that the Windows convention is registered and
// never lets code touch x18.
func TestWindowsABI(t *testing.T) {
	a, err := backend.LookupArch("arm64")
	if err != nil {
		t.Fatal(err)
	}
	if abi, err := a.ABI("windows"); err != nil || abi != Windows {
		t.Fatalf("ABI(windows) = %v, %v", abi, err)
	}
	if abi, _ := a.ABI(""); abi != AAPCS64 {
		t.Errorf("default ABI %s, want aapcs64", abi.Name)
	}
	if Windows.CallerSaved.Has(x18) || Windows.CalleeSaved.Has(x18) {
		t.Error("x18 is in a register set of the Windows ABI")
	}
	for _, r := range registerInfo(Windows).Allocatable {
		if r == x18 {
			t.Error("x18 is allocatable under the Windows ABI")
		}
	}
}

// TestGroupSaves checks how the prologue pairs callee-saved registers:
// two by two under AAPCS64, only consecutive ones under the Windows ABI.
func TestGroupSaves(t *testing.T) {
	for _, tt := range []struct {
		saves       []regalloc.Reg
		consecutive bool
		want        string
	}{
		{[]regalloc.Reg{x19, x20, x21}, false, "[x19,x20@16 x21@32]"},
		{[]regalloc.Reg{x19, x20, x21}, true, "[x19,x20@16 x21@32]"},
		{[]regalloc.Reg{x19, x21, x22, x24}, false, "[x19,x21@16 x22,x24@32]"},
		{[]regalloc.Reg{x19, x21, x22, x24}, true, "[x19@16 x21,x22@24 x24@40]"},
		{[]regalloc.Reg{x20, x21, x23, x24, x25}, true, "[x20,x21@16 x23,x24@32 x25@48]"},
		{nil, true, "[]"},
	} {
		var gs []string
		for _, g := range groupSaves(tt.saves, 16, tt.consecutive) {
			s := regName(g.r1)
			if g.r2 != regalloc.NoReg {
				s += "," + regName(g.r2)
			}
			gs = append(gs, fmt.Sprintf("%s@%d", s, g.off))
		}
		if got := fmt.Sprint(gs); got != tt.want {
			t.Errorf("groupSaves(%v, consecutive %v) = %s, want %s", tt.saves, tt.consecutive, got, tt.want)
		}
	}
}
