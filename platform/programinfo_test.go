package platform

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestProgramInfoHashGolden reproduces program_info_hash bytes that bpf2c
// wrote into real drivers. ebpf-for-windows' own expected bpf2c outputs
// (tests/bpf2c_tests/expected) are generated with --hash none and carry no
// hash; these drivers are committed in cilium/ebpf (MIT licensed) and were
// built by ebpf-for-windows' bpf2c, whose hash algorithm and the inputs
// below are the same at 1.6.0.
func TestProgramInfoHashGolden(t *testing.T) {
	win, err := Get(Windows)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		source  string
		typ     string
		helpers []int32
		want    string
	}{
		{
			// cilium/ebpf testdata/windows/cgroup_sock_addr.sys (blob
			// ec9524df, commit d664b453: "Use .sys from commit 2465eef6" of
			// ebpf-for-windows); programs authorize_connect4/6 and
			// authorize_recv_accept4/6 list helpers 26, 2, 1. The file's
			// first version (commit 37f0fd5e) carries the same hash.
			source:  "cilium/ebpf testdata/windows/cgroup_sock_addr.sys",
			typ:     "sock_addr",
			helpers: []int32{26, 2, 1},
			want:    "448044b02fbf5cba01f0537675fbb8192399e8f80a85f49a115ce721f772ebf0",
		},
		{
			// cilium/ebpf testdata/printk.sys (commit de00a251); program
			// func, section bind, lists helpers 12, 19, 13, 14, 15.
			source:  "cilium/ebpf testdata/printk.sys",
			typ:     "bind",
			helpers: []int32{12, 19, 13, 14, 15},
			want:    "b4b2eb49ffb7c1cc1dc3f8264540ee2278084c4b35f505a86fa070dc3aa4827f",
		},
	} {
		got, err := win.ProgramInfoHash(win.ProgramType(tc.typ), tc.helpers)
		if err != nil {
			t.Fatalf("%s: %v", tc.source, err)
		}
		if hex.EncodeToString(got) != tc.want {
			t.Errorf("%s: hash %x, want %s", tc.source, got, tc.want)
		}
	}
}

func TestProgramInfoHashInputs(t *testing.T) {
	win, _ := Get(Windows)
	sockAddr := win.ProgramType("sock_addr")
	hash := func(t *testing.T, p *Platform, typ *ProgramType, helpers ...int32) []byte {
		t.Helper()
		h, err := p.ProgramInfoHash(typ, helpers)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := hash(t, win, sockAddr, 1, 2, 26)
	if !bytes.Equal(base, hash(t, win, sockAddr, 26, 1, 2, 1)) {
		t.Error("the hash depends on the order or repetition of helper ids")
	}
	if bytes.Equal(base, hash(t, win, sockAddr, 1, 2)) {
		t.Error("the hash ignores a helper")
	}
	if bytes.Equal(hash(t, win, sockAddr), hash(t, win, win.ProgramType("bind"))) {
		t.Error("the hash ignores the program type")
	}

	// reallocate_packet is hashed only when set.
	dir := t.TempDir()
	ext := func(name, body string) *Platform {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Extend(win, path)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	const typ = `{"program_types": [{"name": "hook", "sections": ["hook"], "result_bits": 32,
		"program_info": {"name": "hook", "guid": "01234567-89ab-cdef-0123-456789abcdef", "bpf_prog_type": 77},
		"context": {"size": 8}}], "helpers": [{"id": 65537, "name": "hook_helper",
		"program_info": {"ret": "integer", "args": ["ptr_to_ctx"]%s}}]}`
	plain := ext("plain.json", strings.Replace(typ, "%s", "", 1))
	flagged := ext("flagged.json", strings.Replace(typ, "%s", `, "reallocate_packet": true`, 1))
	unset := ext("unset.json", strings.Replace(typ, "%s", `, "reallocate_packet": false`, 1))
	h1 := hash(t, plain, plain.ProgramType("hook"), 65537)
	if bytes.Equal(h1, hash(t, flagged, flagged.ProgramType("hook"), 65537)) {
		t.Error("reallocate_packet is not hashed")
	}
	if !bytes.Equal(h1, hash(t, unset, unset.ProgramType("hook"), 65537)) {
		t.Error("an unset reallocate_packet changes the hash")
	}

	if _, err := win.ProgramInfoHash(sockAddr, []int32{65537}); err == nil {
		t.Error("a helper the platform lacks was hashed")
	}
	bare := ext("bare.json", `{"program_types": [{"name": "bare", "sections": ["bare"], "result_bits": 32, "context": {"size": 8}}],
		"helpers": [{"id": 70000, "name": "undescribed", "ret": "scalar"}]}`)
	if _, err := bare.ProgramInfoHash(bare.ProgramType("bare"), nil); err == nil {
		t.Error("a program type without program_info was hashed")
	}
	if _, err := bare.ProgramInfoHash(sockAddr, []int32{70000}); err == nil {
		t.Error("a helper without program_info was hashed")
	}
}

func TestProgramInfoData(t *testing.T) {
	win, _ := Get(Windows)
	for _, pt := range win.ProgramTypes {
		if pt.ProgramInfo == nil {
			t.Errorf("windows %s has no program_info", pt.Name)
		}
	}
	for id, h := range win.Helpers {
		if h.ProgramInfo == nil {
			t.Errorf("windows helper %d (%s) has no program_info", id, h.Name)
		}
	}
	if g := win.ProgramType("sock_ops").ProgramInfo; g.Name != "sockops" || g.GUID.String() != "43fb224d-68f8-46d6-aa3f-c856518cbb32" {
		t.Errorf("sock_ops descriptor %q %s", g.Name, g.GUID)
	}
	for typ, want := range map[string]bool{"sock_addr": true, "sock_ops": true, "bind": false, "sample": false, "xdp": false} {
		if got := slices.Contains(win.ProgramType(typ).ProgramInfo.ImplicitContextHelpers, 19); got != want {
			t.Errorf("%s: bpf_get_current_pid_tgid implicit context %v, want %v", typ, got, want)
		}
	}
	lin, _ := Get(Linux)
	if lin.ProgramType("xdp").ProgramInfo != nil {
		t.Error("linux xdp has ebpf-for-windows program information")
	}

	dir := t.TempDir()
	for name, body := range map[string]string{
		"guid.json":     `{"program_types": [{"name": "t", "sections": ["t"], "result_bits": 32, "context": {"size": 8}, "program_info": {"name": "t", "guid": "0123"}}]}`,
		"noname.json":   `{"program_types": [{"name": "t", "sections": ["t"], "result_bits": 32, "context": {"size": 8}, "program_info": {"guid": "01234567-89ab-cdef-0123-456789abcdef"}}]}`,
		"implicit.json": `{"program_types": [{"name": "t", "sections": ["t"], "result_bits": 32, "context": {"size": 8}, "program_info": {"name": "t", "guid": "01234567-89ab-cdef-0123-456789abcdef", "implicit_context_helpers": [4242]}}]}`,
		"field.json":    `{"program_types": [{"name": "t", "sections": ["t"], "result_bits": 32, "context": {"size": 8}, "program_info": {"name": "t", "guid": "01234567-89ab-cdef-0123-456789abcdef", "colour": 1}}]}`,
		"ret.json":      `{"helpers": [{"id": 70000, "name": "h", "program_info": {"ret": "pointer"}}]}`,
		"arg.json":      `{"helpers": [{"id": 70000, "name": "h", "program_info": {"ret": "integer", "args": ["ptr_to_nothing"]}}]}`,
		"six.json":      `{"helpers": [{"id": 70000, "name": "h", "program_info": {"ret": "integer", "args": ["anything","anything","anything","anything","anything","anything"]}}]}`,
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(body), 0o644)
		if _, err := Extend(win, path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseGUID(t *testing.T) {
	g, err := ParseGUID("f1832a85-85d5-45b0-98a0-7069d63013b0")
	want := GUID{0x85, 0x2a, 0x83, 0xf1, 0xd5, 0x85, 0xb0, 0x45, 0x98, 0xa0, 0x70, 0x69, 0xd6, 0x30, 0x13, 0xb0}
	if err != nil || g != want || g.String() != "f1832a85-85d5-45b0-98a0-7069d63013b0" {
		t.Errorf("got %x %s %v", g[:], g, err)
	}
	for _, bad := range []string{"", "f1832a85-85d5-45b0-98a0-7069d63013b", "f1832a85-85d5-45b0-98a0-7069d63013bz", "{f1832a85-85d5-45b0-98a0-7069d63013b0}"} {
		if _, err := ParseGUID(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
