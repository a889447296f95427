//go:build !windows

package main

import (
	"bytes"
	"debug/pe"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// invokeGen runs `bpf2native gen ARGS` in process, as run does.
func invokeGen(args ...string) (status int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	app := newApp(strings.NewReader(""), &out, &errOut)
	if app.Command("gen") == nil {
		cmd := genCommand()
		cmd.OnUsageError = app.Commands[0].OnUsageError
		app.Commands = append(app.Commands, cmd)
	}
	err := app.Run(append([]string{"bpf2native", "gen"}, args...))
	var exit exitStatus
	var usage usageError
	switch {
	case err == nil:
		status = exitOK
	case errors.As(err, &exit):
		status = int(exit)
	case errors.As(err, &usage):
		fmt.Fprintf(&errOut, "bpf2native: %v\n", err)
		status = exitUsage
	default:
		fmt.Fprintf(&errOut, "bpf2native: %v\n", err)
		status = exitFailure
	}
	return status, out.String(), errOut.String()
}

func needClang(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"clang-19", "llvm-strip-19"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (make deps installs it)", tool)
		}
	}
}

// TestGenReproducesExample runs gen as examples/gen's go:generate line does,
// from the package's directory: the files must be the committed ones.
func TestGenReproducesExample(t *testing.T) {
	needClang(t)
	example, err := filepath.Abs("../../examples/gen/counter")
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	t.Chdir(example)
	t.Setenv("GOPACKAGE", "counter")
	status, _, stderr := invokeGen("--output-dir", out, "Counter", "counter.c", "--", "-mcpu=v3", "-Wall", "-Werror")
	if status != exitOK {
		t.Fatalf("status %d: %s", status, stderr)
	}
	files, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 4 {
		t.Fatalf("only %d files", len(files))
	}
	for _, f := range files {
		got, _ := os.ReadFile(filepath.Join(out, f.Name()))
		want, err := os.ReadFile(filepath.Join(example, f.Name()))
		if err != nil {
			t.Errorf("%s: not in examples/gen/counter (go generate ./... there)", f.Name())
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from examples/gen/counter's (go generate ./... there)", f.Name())
		}
	}
}

func TestGenUsageAndRefusals(t *testing.T) {
	needClang(t)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.c")
	os.WriteFile(bad, []byte(`struct xdp_md { void *data; void *data_end; };
__attribute__((section("xdp"), used)) int bad(struct xdp_md *ctx) { return *(unsigned char *)ctx->data; }
char _license[] __attribute__((section("license"), used)) = "MIT";
`), 0o644)
	for _, tc := range []struct {
		name   string
		args   []string
		status int
		stderr string
	}{
		{"no source", []string{"Counter"}, exitUsage, "expected IDENT and a C file"},
		{"bad ident", []string{"--output-dir", dir, "--go-package", "x", "1x", bad}, exitFailure, `"1x" is not a Go identifier`},
		{"bad arch", []string{"--arch", "sparc", "X", bad}, exitUsage, `--arch "sparc"`},
		{"unchecked packet read", []string{"--output-dir", dir, "--go-package", "x", "Bad", bad}, exitFailure, "bad.c:2"},
		{"linux 32-bit packet pointers", []string{"--output-dir", dir, "--go-package", "x", "--platform", "linux", "Counter", "../../examples/gen/counter/counter.c"}, exitFailure, "32-bit packet pointers"},
		{"missing source", []string{"--output-dir", dir, "--go-package", "x", "X", filepath.Join(dir, "none.c")}, exitFailure, "none.c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, stderr := invokeGen(tc.args...)
			if status != tc.status || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("status %d, stderr %q; want %d and %q", status, stderr, tc.status, tc.stderr)
			}
		})
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("a failed gen left files behind: %v", entries)
	}
}

// TestGenWindowsDriver checks that --windows writes a driver per
// --windows-arch, signed with the built-in test certificate, beside the
// package.
func TestGenWindowsDriver(t *testing.T) {
	needClang(t)
	dir := t.TempDir()
	status, _, stderr := invokeGen("--output-dir", dir, "--go-package", "counter", "--windows", "--windows-arch", "amd64", "--windows-arch", "arm64", "Counter", "../../examples/gen/counter/counter.c", "--", "-I../../examples/gen/counter")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	for arch, machine := range map[string]string{"amd64": "AMD64", "arm64": "ARM64"} {
		sys := filepath.Join(dir, "counter_windows_"+arch+".sys")
		status, out, stderr := invoke("verify-signature", "--test-ca", sys)
		if status != 0 || !strings.Contains(out, "valid pe signature") {
			t.Errorf("verify-signature %s: status %d %q %q", arch, status, out, stderr)
		}
		f, err := pe.Open(sys)
		if err != nil {
			t.Fatal(err)
		}
		if got := peMachines[f.Machine]; got != machine {
			t.Errorf("%s: machine %#x, want %s", sys, f.Machine, machine)
		}
		f.Close()
	}
}

var peMachines = map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "AMD64", pe.IMAGE_FILE_MACHINE_ARM64: "ARM64"}
