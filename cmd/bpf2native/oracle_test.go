package main

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"github.com/bpf2native/bpf2native/inputs"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// oracleEntry is one line of testdata/ORACLE_ENTRIES: a helper-free program
// whose C source gcc also compiles, called from testdata/harness/driver.c.
type oracleEntry struct {
	file, entry, ctxKind string
}

func oracleEntries(t *testing.T) []oracleEntry {
	data, err := os.ReadFile("../../testdata/ORACLE_ENTRIES")
	if err != nil {
		t.Fatal(err)
	}
	var entries []oracleEntry
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("ORACLE_ENTRIES: malformed line %q", line)
		}
		entries = append(entries, oracleEntry{f[0], f[1], f[2]})
	}
	if len(entries) == 0 {
		t.Fatal("ORACLE_ENTRIES lists no program")
	}
	return entries
}

// buildOracle compiles the entry's C source as a plain function into the
// driver with gcc, and returns the driver's path and the bit width of the
// function's return type.
func buildOracle(t *testing.T, e oracleEntry, dir string) (string, int) {
	bin := filepath.Join(dir, e.entry)
	cmd := exec.Command("gcc", "-O2", "-fno-strict-aliasing", "-fwrapv", "-I../include",
		"-include", "../"+e.file, "-DENTRY="+e.entry, "-D"+e.ctxKind, "driver.c", "-o", bin)
	cmd.Dir = "../../testdata/harness"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gcc %s: %v\n%s", e.file, err, out)
	}
	out, err := exec.Command(bin, "--width").Output()
	if err != nil {
		t.Fatal(err)
	}
	width, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil || width < 8 || width > 64 {
		t.Fatalf("driver --width: %q", out)
	}
	return bin, width
}

// runOracle runs the gcc build on one packet and returns its result and the
// packet afterwards.
func runOracle(t *testing.T, bin string, packet []byte) (uint64, []byte) {
	var in bytes.Buffer
	binary.Write(&in, binary.LittleEndian, uint32(len(packet)))
	in.Write(packet)
	cmd := exec.Command(bin)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	value, after, ok := strings.Cut(strings.TrimSuffix(string(out), "\n"), " ")
	if !ok {
		t.Fatalf("%s: unexpected output %q", bin, out)
	}
	v, err := strconv.ParseUint(value, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	pkt, err := hex.DecodeString(after)
	if err != nil {
		t.Fatal(err)
	}
	return v, pkt
}

// runCLI runs `bpf2native run` in process and returns the printed result
// and the packet it wrote.
func runCLI(t *testing.T, obj, entry string, packet []byte, dir string) (uint64, []byte) {
	in := filepath.Join(dir, "in.bin")
	out := filepath.Join(dir, "out.bin")
	if err := os.WriteFile(in, packet, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	status := run([]string{"bpf2native", "run", "--program", entry, "--input", in, "--output", out, obj}, nil, &stdout, &stderr)
	if status != 0 {
		t.Fatalf("bpf2native run %s %s (packet %x): status %d: %s", entry, obj, packet, status, stderr.String())
	}
	v, err := strconv.ParseUint(strings.TrimSpace(stdout.String()), 10, 64)
	if err != nil {
		t.Fatalf("run printed %q", stdout.String())
	}
	after, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return v, after
}

// TestInterpreterMatchesGCC compares every helper-free testdata program,
// built by clang for eBPF (v3 and v4) and run by the interpreter through the
// CLI, with the same C source built by gcc as a plain function, on many
// packets: random bytes of every small length, large random packets, and
// well-formed Ethernet/IP/TCP/UDP packets cut at every kind of boundary.
func TestInterpreterMatchesGCC(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Fatal("gcc is required (make test installs it)")
	}
	packets := inputs.Packets(rand.New(rand.NewSource(1)), 80, 20, 120)
	dir := t.TempDir()
	for _, e := range oracleEntries(t) {
		bin, width := buildOracle(t, e, dir)
		mask := ^uint64(0) >> (64 - width)
		want := make([]struct {
			v   uint64
			pkt []byte
		}, len(packets))
		for i, p := range packets {
			want[i].v, want[i].pkt = runOracle(t, bin, p)
		}
		base := strings.TrimSuffix(e.file, ".c")
		for _, obj := range []string{base + ".o", base + ".v4.o"} {
			t.Run(obj+"/"+e.entry, func(t *testing.T) {
				mismatches := 0
				for i, p := range packets {
					got, after := runCLI(t, filepath.Join("../../testdata", obj), e.entry, p, dir)
					if got&mask != want[i].v || !bytes.Equal(after, want[i].pkt) {
						mismatches++
						if mismatches <= 3 {
							t.Errorf("packet %x:\n interpreter %d, packet %x\n gcc         %d, packet %x", p, got&mask, after, want[i].v, want[i].pkt)
						}
					}
				}
				if mismatches > 0 {
					t.Errorf("%d of %d packets differ", mismatches, len(packets))
				}
			})
		}
	}
}
