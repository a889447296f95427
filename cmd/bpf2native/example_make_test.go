package main

// The Makefile example (examples/make) is tested as a user runs it: make
// from clean, make again, make after touching an input, two clean builds,
// and builds killed part-way.

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// setup builds bpf2native and copies the example into a fresh directory.
func setupMakeExample(t *testing.T) (dir, bin string) {
	t.Helper()
	root := t.TempDir()
	bin = filepath.Join(root, "bpf2native")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	dir = filepath.Join(root, "example")
	os.Mkdir(dir, 0o755)
	for _, f := range []string{"Makefile", "prog.bpf.c", "host.c"} {
		data, err := os.ReadFile(filepath.Join("../../examples/make", f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, f), data, 0o644)
	}
	return dir, bin
}

func runIn(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

var makeOutputs = []string{"prog.bpf.o", "prog.native.o", "prog.native.h", "prog.sys", "host.o", "host"}

func makeMtimes(t *testing.T, dir string) map[string]time.Time {
	m := map[string]time.Time{}
	for _, f := range makeOutputs {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		m[f] = fi.ModTime()
	}
	return m
}

// touch moves a file's time past every output's, as an edit would.
func touchLater(t *testing.T, path string) {
	later := time.Now().Add(2 * time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

func TestMakeExample(t *testing.T) {
	dir, bin := setupMakeExample(t)
	mk := func(args ...string) string {
		return runIn(t, dir, "make", append([]string{"BPF2NATIVE=" + bin}, args...)...)
	}

	mk("-j2")
	if out := runIn(t, dir, "./host"); out != "port 23: drop\nport 80: pass\nbytes seen: 128\n" {
		t.Errorf("host printed %q", out)
	}
	if out := mk(); !strings.Contains(out, "Nothing to be done") {
		t.Errorf("a second make did something:\n%s", out)
	}

	// Touching host.c rebuilds the host only; touching the eBPF source
	// rebuilds everything downstream of it.
	before := makeMtimes(t, dir)
	touchLater(t, filepath.Join(dir, "host.c"))
	mk("-j2")
	after := makeMtimes(t, dir)
	for _, f := range makeOutputs {
		rebuilt := after[f] != before[f]
		if want := f == "host.o" || f == "host"; rebuilt != want {
			t.Errorf("after touching host.c: %s rebuilt = %v", f, rebuilt)
		}
	}
	before = after
	touchLater(t, filepath.Join(dir, "prog.bpf.c"))
	mk("-j2")
	after = makeMtimes(t, dir)
	for _, f := range makeOutputs {
		if after[f] == before[f] {
			t.Errorf("after touching prog.bpf.c: %s not rebuilt", f)
		}
	}

	// A clean build elsewhere gives the same bytes.
	dir2, _ := setupMakeExample(t)
	runIn(t, dir2, "make", "BPF2NATIVE="+bin, "-j2")
	for _, f := range []string{"prog.bpf.o", "prog.native.o", "prog.native.h", "prog.sys"} {
		a, _ := os.ReadFile(filepath.Join(dir, f))
		b, _ := os.ReadFile(filepath.Join(dir2, f))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two clean builds", f)
		}
	}
}

// TestInterruptedCompileLeavesNoPartialOutput kills bpf2native compile at
// many points of its run, with SIGINT and SIGKILL: afterwards the output is
// either absent or complete, and no temporary file is left.
func TestInterruptedCompileLeavesNoPartialOutput(t *testing.T) {
	dir, bin := setupMakeExample(t)
	runIn(t, dir, "make", "BPF2NATIVE="+bin, "prog.bpf.o")
	// The driver's module name comes from the output's name: build the
	// reference under the same name elsewhere.
	os.Mkdir(filepath.Join(dir, "ref"), 0o755)
	runIn(t, dir, bin, "compile", "--format", "pe", "-o", "ref/out.sys", "prog.bpf.o")
	want, err := os.ReadFile(filepath.Join(dir, "ref", "out.sys"))
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for i := 0; i < 40; i++ {
		out := filepath.Join(dir, "out.sys")
		os.Remove(out)
		cmd := exec.Command(bin, "compile", "--format", "pe", "-o", out, "prog.bpf.o")
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(i) * 500 * time.Microsecond)
		sig := syscall.SIGKILL
		if i%2 == 1 {
			sig = syscall.SIGINT
		}
		cmd.Process.Signal(sig)
		if err := cmd.Wait(); err != nil {
			killed++
		}
		if got, err := os.ReadFile(out); err == nil && !bytes.Equal(got, want) {
			t.Fatalf("run %d: %s is partial (%d of %d bytes)", i, out, len(got), len(want))
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp") {
				t.Fatalf("run %d: temporary file %s left behind", i, e.Name())
			}
		}
	}
	if killed == 0 {
		t.Error("no run was interrupted: the test proved nothing")
	}
}
