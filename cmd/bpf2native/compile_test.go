package main

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompileObjectHeaderAndDepfile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "tail calls.o")
	status, _, stderr := invoke("compile", "-MD", "--header", "-o", out, "../../testdata/tail_calls.o")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 || f.Type != elf.ET_REL {
		t.Errorf("machine %v type %v", f.Machine, f.Type)
	}
	syms, _ := f.Symbols()
	var names []string
	for _, s := range syms {
		if elf.ST_BIND(s.Info) == elf.STB_GLOBAL && elf.ST_TYPE(s.Info) == elf.STT_FUNC {
			names = append(names, s.Name)
		}
	}
	if strings.Join(names, " ") != "sample_dispatch sample_tail0 sample_tail1" {
		t.Errorf("program symbols %v", names)
	}
	dep, err := os.ReadFile(out + ".d")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(out, " ", `\ `) + ": ../../testdata/tail_calls.o\n\n../../testdata/tail_calls.o:\n"
	if string(dep) != want {
		t.Errorf("depfile\n%q\nwant\n%q", dep, want)
	}
	header := filepath.Join(dir, "tail calls.h")
	if out, err := exec.Command("gcc", "-fsyntax-only", "-Wall", "-Werror", "-x", "c", header).CombinedOutput(); err != nil {
		t.Errorf("header does not compile: %v\n%s", err, out)
	}
}

func TestCompileIsReproducible(t *testing.T) {
	dir := t.TempDir()
	var outs [][]byte
	for _, name := range []string{"a.o", "b.o"} {
		out := filepath.Join(dir, name)
		if status, _, stderr := invoke("compile", "-o", out, "../../testdata/crc32.o"); status != 0 {
			t.Fatalf("status %d: %s", status, stderr)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, b)
	}
	if string(outs[0]) != string(outs[1]) {
		t.Error("two compilations of the same object differ")
	}
}

// TestCompileFailureLeavesNothing checks that a refused program or an
// unwritable output leaves no output and no temporary file behind.
func TestCompileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.o")
	status, _, stderr := invoke("compile", "-MD", "-o", out, "../../testdata/unsafe/oob_packet.o")
	if status != exitFailure || !strings.Contains(stderr, "unsafe/oob_packet.c:12:9: error: ") {
		t.Errorf("status %d, stderr %q", status, stderr)
	}
	status, _, stderr = invoke("compile", "-o", filepath.Join(dir, "missing", "x.o"), "../../testdata/crc32.o")
	if status != exitFailure || !strings.Contains(stderr, "missing") {
		t.Errorf("unwritable output: status %d, stderr %q", status, stderr)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("left behind: %v", entries)
	}
}

func TestCompileNoVerifyWarnsAndWerror(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.o")
	status, _, stderr := invoke("compile", "--no-verify", "-o", out, "../../testdata/unsafe/oob_packet.o")
	if status != 0 || !strings.Contains(stderr, "warning: --no-verify: the native code is NOT proven safe") {
		t.Errorf("status %d, stderr %q", status, stderr)
	}
	os.Remove(out)
	status, _, stderr = invoke("compile", "--no-verify", "--Werror", "-o", out, "../../testdata/unsafe/oob_packet.o")
	if status != exitFailure || !strings.Contains(stderr, "error: --no-verify") {
		t.Errorf("-Werror: status %d, stderr %q", status, stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("-Werror still wrote the output")
	}
}

func TestCompileUsage(t *testing.T) {
	for _, args := range [][]string{
		{"compile", "../../testdata/crc32.o"},                                // no -o
		{"compile", "-o", "x.o", "--arch", "mips", "../../testdata/crc32.o"}, // unknown arch
		{"compile", "-o", "x.o", "--format", "coff", "../../testdata/crc32.o"},
	} {
		if status, _, stderr := invoke(args...); status != exitUsage {
			t.Errorf("%v: status %d (%s)", args, status, stderr)
		}
	}
}

func TestTimePasses(t *testing.T) {
	status, _, stderr := invoke("compile", "--time-passes", "-o", filepath.Join(t.TempDir(), "x.o"), "../../testdata/crc32.o")
	if status != 0 || !strings.Contains(stderr, "eBPF instructions in") || !strings.Contains(stderr, "verify and compile") {
		t.Errorf("status %d, stderr %q", status, stderr)
	}
}

// TestCompileObjectHeaderAndDriverAtOnce checks that one invocation writes
// the native object, its header and the signed driver, and names both
// outputs in the dependency file.
func TestCompileObjectHeaderAndDriverAtOnce(t *testing.T) {
	dir := t.TempDir()
	out, sys := filepath.Join(dir, "p.o"), filepath.Join(dir, "p.sys")
	status, _, stderr := invoke("compile", "--header", "--driver", sys, "-MD", "-o", out, "../../testdata/crc32.o")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	for _, f := range []string{out, sys, filepath.Join(dir, "p.h")} {
		if _, err := os.Stat(f); err != nil {
			t.Error(err)
		}
	}
	if status, out, stderr := invoke("verify-signature", "--test-ca", sys); status != 0 {
		t.Errorf("driver signature: %s %s", out, stderr)
	}
	dep, _ := os.ReadFile(out + ".d")
	if !strings.HasPrefix(string(dep), out+" "+sys+": ") {
		t.Errorf("depfile %q", dep)
	}
	if status, _, _ := invoke("compile", "--format", "pe", "--driver", sys, "-o", out, "../../testdata/crc32.o"); status != exitUsage {
		t.Errorf("--driver with --format pe: status %d", status)
	}
}
