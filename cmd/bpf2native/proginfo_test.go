package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/compiler"
	elffront "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/linker/pe"
	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
)

// The linker writes program type GUIDs from its own table; the hash covers
// the platform's. They must agree.
func TestProgramTypeGUIDsAgree(t *testing.T) {
	win, _ := platform.Get(platform.Windows)
	for _, pt := range win.ProgramTypes {
		if g := pe.ProgramTypeGUID(pt.Name); g != pe.GUID(pt.ProgramInfo.GUID) {
			t.Errorf("%s: linker GUID %s, platform %s", pt.Name, guidString(g), pt.ProgramInfo.GUID)
		}
	}
}

func TestProgramInfoHashes(t *testing.T) {
	win, _ := platform.Get(platform.Windows)
	meta := &metadata.Metadata{Programs: []metadata.Program{
		{Name: "a", Section: "bind", Type: "bind", Helpers: []int32{1, 19}},
		{Name: "b", Section: "sample_ext", Type: "sample", Helpers: []int32{19}},
		// netebpfext gives sock_addr programs a bpf_get_current_pid_tgid
		// that reads the context from its sixth argument, which the
		// Windows ABIs pass (backend.ABI.PassContext).
		{Name: "c", Section: "cgroup/connect4", Type: "sock_addr", Helpers: []int32{1, 19}},
	}}
	hashes, err := programInfoHashes(win, meta)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range meta.Programs {
		want, _ := win.ProgramInfoHash(win.ProgramType(p.Type), p.Helpers)
		if !bytes.Equal(hashes[p.Name], want) {
			t.Errorf("%s: hash %x, want %x", p.Name, hashes[p.Name], want)
		}
	}

	for _, tc := range []struct {
		prog metadata.Program
		err  string
	}{
		{metadata.Program{Name: "d", Section: "kprobe/x", Helpers: []int32{1}}, `section "kprobe/x" selects no windows program type`},
		{metadata.Program{Name: "e", Section: "bind", Type: "bind", Helpers: []int32{99}}, "helper 99 has no program_info"},
	} {
		_, err := programInfoHashes(win, &metadata.Metadata{Programs: []metadata.Program{tc.prog}})
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: error %v, want %q", tc.prog.Name, err, tc.err)
		}
	}
}

// TestInspectDriver builds drivers from testdata and checks that inspect
// reads back what went in: the version, the source's hash, each program's
// type, helpers and program-info hash, maps, global sections and signer.
func TestInspectDriver(t *testing.T) {
	win, _ := platform.Get(platform.Windows)
	dir := t.TempDir()
	const src = "../../testdata/tail_calls.o"
	object, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	sys := filepath.Join(dir, "tc.sys")
	if status, _, stderr := invoke("compile", "--format", "pe", "--sign", "-o", sys, src); status != 0 {
		t.Fatalf("compile: %s", stderr)
	}
	status, out, stderr := invoke("inspect", sys)
	if status != 0 {
		t.Fatalf("inspect: %s", stderr)
	}
	sum := sha256.Sum256(object)
	hash := func(typ string, helpers ...int32) string {
		h, err := win.ProgramInfoHash(win.ProgramType(typ), helpers)
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(h)
	}
	for _, want := range []string{
		"driver " + sys + "\n",
		"bpf2c version 1.6.0\n",
		"source hash " + hex.EncodeToString(sum[:]) + "\n",
		"programs 3\n",
		// ebpf-for-windows' EBPF_PROGRAM_TYPE_SAMPLE and EBPF_ATTACH_TYPE_SAMPLE.
		"  sample_dispatch section=sample_ext code=sample~1 (",
		"program-type=sample {f788ef4a-207d-4dc3-85cf-0f2ea107213c} attach-type={f788ef4b-207d-4dc3-85cf-0f2ea107213c}\n",
		"    helpers bpf_tail_call(5)\n    program-info hash SHA256 " + hash("sample", 5) + " (matches the windows platform's)\n",
		"  sample_tail1 section=sample_ext/1 code=sample~3 (",
		"    program-info hash SHA256 " + hash("sample") + " (matches",
		"maps 2\n  jump_table type=3 (prog_array) key=4 value=4 max=3 pinning=0\n  tc.bss type=2 (array) key=4 value=8 max=1 pinning=0\n",
		"globals 1\n  tc.bss size=8\n",
		"signature pe, signer \"bpf2native TEST signing certificate - NOT TRUSTED\"",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q:\n%s", want, out)
		}
	}

	// A driver whose hash the platform would not give, and one without.
	image, err := os.ReadFile(sys)
	if err != nil {
		t.Fatal(err)
	}
	good, _ := hex.DecodeString(hash("sample", 5))
	if !bytes.Contains(image, good) {
		t.Fatal("the driver does not hold the hash of sample_dispatch")
	}
	bad := bytes.Clone(good)
	bad[0] ^= 1
	tampered := filepath.Join(dir, "tampered.sys")
	os.WriteFile(tampered, bytes.ReplaceAll(image, good, bad), 0o644)
	_, out, _ = invoke("inspect", tampered)
	if want := "program-info hash SHA256 " + hex.EncodeToString(bad) + " (the windows platform's is " + hex.EncodeToString(good) + ")"; !strings.Contains(out, want) {
		t.Errorf("tampered driver: inspect lacks %q:\n%s", want, out)
	}

	mod, err := elffront.LoadFile("../../testdata/bind_policy.o", win)
	if err != nil {
		t.Fatal(err)
	}
	res, err := compiler.Compile(mod, nil, compiler.Options{Platform: win, Target: backend.Target{Arch: "amd64", ABI: "windows"}, Verifier: defaultVerifierOptions()})
	if err != nil {
		t.Fatal(err)
	}
	bare, err := pe.Link(res.Object, res.Metadata, pe.Options{Name: "bare"})
	if err != nil {
		t.Fatal(err)
	}
	bareSys := filepath.Join(dir, "bare.sys")
	os.WriteFile(bareSys, bare, 0o644)
	_, out, _ = invoke("inspect", bareSys)
	for _, want := range []string{
		"bind_policy section=bind code=bind (",
		"program-type=bind {608c517c-6c52-4a26-b677-bb1c34425adf}",
		"    helpers bpf_map_lookup_elem(1)\n    program-info hash none (the runtime refuses the program)\n",
		"signature none valid",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("driver without hashes: inspect lacks %q:\n%s", want, out)
		}
	}
}
