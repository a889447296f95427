package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// invoke runs the command in process.
func invoke(args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	status = run(append([]string{"bpf2native"}, args...), strings.NewReader(""), &out, &errOut)
	return status, out.String(), errOut.String()
}

func TestExitStatusesAndOneLineErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.o")
	os.WriteFile(garbage, []byte("not an object"), 0o644)
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		stderr string // substring of the single error line
	}{
		{"unknown flag", []string{"inspect", "--colour", "x.o"}, exitUsage, "colour"},
		{"no object", []string{"inspect"}, exitUsage, "expected one object file"},
		{"two objects", []string{"objdump", "a.o", "b.o"}, exitUsage, "got 2 arguments"},
		{"bad platform", []string{"inspect", "--platform", "macos", "../../testdata/loops.o"}, exitUsage, `--platform "macos"`},
		{"bad engine", []string{"run", "--engine", "jit", "../../testdata/loops.o"}, exitUsage, `--engine "jit"`},
		{"bad repeat", []string{"run", "--repeat", "0", "../../testdata/loops.o"}, exitUsage, "--repeat 0"},
		{"ambiguous program", []string{"run", "../../testdata/xdp_parse.o"}, exitUsage, "choose one with --program"},
		{"missing file", []string{"inspect", filepath.Join(dir, "none.o")}, exitFailure, "none.o"},
		{"garbage", []string{"inspect", garbage}, exitFailure, "garbage.o: object refused: not an ELF object"},
		{"unknown program", []string{"run", "--program", "nope", "../../testdata/loops.o"}, exitFailure, `no program named "nope"`},
		{"conformance without paths", []string{"conformance"}, exitUsage, "at least one"},
		{"unknown command", []string{"frobnicate"}, exitUsage, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, stderr := invoke(tc.args...)
			if status != tc.status {
				t.Errorf("status %d, want %d (stderr %q)", status, tc.status, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			if tc.status == exitFailure && len(lines) != 1 {
				t.Errorf("stderr has %d lines, want one: %q", len(lines), stderr)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q does not mention %q", stderr, tc.stderr)
			}
		})
	}
}

func TestInspect(t *testing.T) {
	status, out, stderr := invoke("inspect", "../../testdata/tail_calls.o")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	for _, want := range []string{
		"platform windows",
		"sample_dispatch section=sample_ext type=sample",
		"helpers bpf_tail_call(5)",
		"jump_table kind=prog_array type=3 key=4 value=4 max=3",
		".bss section=.bss size=8",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
	// The same object read as Linux: type 3 is a program array there too,
	// but helper 5 is bpf_ktime_get_ns.
	_, out, _ = invoke("inspect", "--platform", "linux", "../../testdata/tail_calls.o")
	if !strings.Contains(out, "bpf_ktime_get_ns(5)") {
		t.Errorf("linux numbering not applied:\n%s", out)
	}
}

func TestObjdumpInterleavesSource(t *testing.T) {
	status, out, stderr := invoke("objdump", "--program", "sample_dispatch", "../../testdata/tail_calls.o")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	for _, want := range []string{
		"program sample_dispatch (section sample_ext, type sample)",
		"<sample_dispatch>:",
		"; tail_calls.c:",
		"LoadMapPtr dst: r2 map: jump_table",
		"Call helper 5 bpf_tail_call",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("objdump output lacks %q:\n%s", want, out)
		}
	}
}

func TestRunTailCallAndJSON(t *testing.T) {
	// sample_dispatch tail-calls jump_table[packet[0] % 3]: slot 0 holds
	// sample_tail0 (returns 100, after tail-calling slot 1, which holds
	// sample_tail1), slot 2 is empty so the dispatcher returns its own value.
	dir := t.TempDir()
	in := filepath.Join(dir, "p")
	for _, tc := range []struct {
		first byte
		want  string
	}{{0, ""}, {2, "302"}} {
		os.WriteFile(in, []byte{tc.first, 1, 2, 3}, 0o644)
		status, out, stderr := invoke("run", "--program", "sample_dispatch", "--input", in, "../../testdata/tail_calls.o")
		if status != 0 {
			t.Fatalf("status %d: %s", status, stderr)
		}
		if tc.want != "" && strings.TrimSpace(out) != tc.want {
			t.Errorf("first byte %d: got %q, want %s", tc.first, out, tc.want)
		}
	}
	status, out, stderr := invoke("run", "--json", "--repeat", "3", "--program", "sample_dispatch", "--input", in, "../../testdata/tail_calls.o")
	if status != 0 || !strings.Contains(out, `"program":"sample_dispatch"`) || !strings.Contains(out, `"ns_per_run":`) {
		t.Errorf("json: status %d out %q err %q", status, out, stderr)
	}
}

func TestConformanceThroughCLI(t *testing.T) {
	status, out, stderr := invoke("conformance", "--engine", "interp", "../../../shared/conformance/tests")
	if status != 0 {
		t.Fatalf("status %d: %s\n%s", status, stderr, out)
	}
	if !strings.HasSuffix(out, "313 passed, 0 failed\n") {
		t.Errorf("unexpected summary: %q", out)
	}
}

func TestConformancePlugin(t *testing.T) {
	// mov r0, 0x2a; exit — as the upstream runner sends it.
	prog := "b7  00  00  00  2a  00  00  00  95  00  00  00  00  00  00  00  \n"
	var out, errOut bytes.Buffer
	status := run([]string{"bpf2native", "conformance-plugin"}, strings.NewReader(prog), &out, &errOut)
	if status != 0 || strings.TrimSpace(out.String()) != "2a" {
		t.Errorf("status %d, stdout %q, stderr %q", status, out.String(), errOut.String())
	}
}

func TestObjdumpNative(t *testing.T) {
	status, out, stderr := invoke("objdump", "--native", "--program", "sample_dispatch", "../../testdata/tail_calls.o")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	for _, want := range []string{
		"native code for amd64 (sysv)",
		"<sample_dispatch>:",
		"; tail_calls.c:58: bpf_tail_call(ctx, &jump_table, slot);",
		"Call helper 5 bpf_tail_call",
		"call qword ptr [rip]",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("objdump --native lacks %q:\n%s", want, out)
		}
	}
	status, out, _ = invoke("objdump", "--native", "--abi", "windows", "../../testdata/crc32.o")
	if status != 0 || !strings.Contains(out, "(windows)") {
		t.Errorf("windows ABI: status %d\n%s", status, out)
	}
}

// TestInspectArtifacts checks that inspect decodes what compile produces:
// a signed driver (programs, maps, program-type GUIDs, signer) and a native
// object (its metadata section).
func TestInspectArtifacts(t *testing.T) {
	dir := t.TempDir()
	sys, obj := filepath.Join(dir, "t.sys"), filepath.Join(dir, "t.o")
	if status, _, stderr := invoke("compile", "--driver", sys, "-o", obj, "../../testdata/xdp_counters.o"); status != 0 {
		t.Fatalf("compile: %s", stderr)
	}
	status, out, stderr := invoke("inspect", sys)
	if status != 0 {
		t.Fatalf("inspect driver: %s", stderr)
	}
	for _, want := range []string{
		"driver " + sys,
		// ebpf-for-windows' EBPF_PROGRAM_TYPE_XDP_GUID.
		"program-type=xdp {f1832a85-85d5-45b0-98a0-7069d63013b0}",
		"signer \"bpf2native TEST signing certificate - NOT TRUSTED\"",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect driver lacks %q:\n%s", want, out)
		}
	}
	status, out, stderr = invoke("inspect", obj)
	if status != 0 || !strings.Contains(out, "native object "+obj+" (EM_X86_64)") || !strings.Contains(out, "platform windows, amd64 code, sysv calling convention") {
		t.Errorf("inspect object: status %d %s\n%s", status, stderr, out)
	}
}
