package pe

import (
	"encoding/hex"
	"strings"
	"testing"
)

func TestVersionStores(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		want       *[3]uint32
	}{
		// The version function of cilium/ebpf's
		// testdata/windows/cgroup_sock_addr.sys, an MSVC debug build of
		// bpf2c 0.21.0's output: rcx spilled, reloaded before each store.
		{"msvc debug", "48894c2408 488b442408 c70000000000 488b442408 c7400415000000 488b442408 c7400800000000 c3", &[3]uint32{0, 21, 0}},
		// What Link writes.
		{"link", "c70101000000 c7410406000000 c7410800000000 c3", &[3]uint32{1, 6, 0}},
		// An optimizer's: major and minor in one 64-bit store.
		{"combined", "48b80100000006000000 488901 31c0 894108 c3", &[3]uint32{1, 6, 0}},
		{"revision missing", "c70101000000 c7410406000000 c3", nil},
		{"store elsewhere", "c70101000000 c7410406000000 c7420800000000 c3", nil},
		{"call", "e800000000 c3", nil},
		{"no ret", "c70101000000", nil},
	} {
		code, err := hex.DecodeString(strings.ReplaceAll(tc.code, " ", ""))
		if err != nil {
			t.Fatal(err)
		}
		const at = 0x1000
		fetch := func(va uint64) []byte {
			if va < at || va >= at+uint64(len(code)) {
				return nil
			}
			return code[va-at : min(va-at+15, uint64(len(code)))]
		}
		got := versionStores(fetch, at)
		if (got == nil) != (tc.want == nil) || got != nil && *got != *tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}
