package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bpf2native/bpf2native/platform"
)

// TestDriver builds and runs the C driver for one kernel, on the host
// (gcc and clang-19) and for arm64 under qemu-user (aarch64-linux-gnu-gcc
// only), and checks every engine's result against the interpreter's.
func TestDriver(t *testing.T) {
	t.Chdir("..") // ./bench runs from the repository root
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		t.Fatal(err)
	}
	k := kernels[0] // sample_fnv1a
	packet := benchPacket()
	_, _, want, err := timeInterp(k, plat, packet, time.Microsecond, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	packetFile := filepath.Join(dir, "packet.bin")
	if err := os.WriteFile(packetFile, packet, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		tools toolchain
		need  []string
	}{
		{"amd64", amd64Tools, []string{"gcc", "clang-19", "objcopy", "nm", "objdump"}},
		{"arm64", arm64Tools([]string{"scripts/qemu-aarch64-exec"}), []string{"aarch64-linux-gnu-gcc", "aarch64-linux-gnu-objcopy", "qemu-aarch64"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, tool := range tc.need {
				if _, err := exec.LookPath(tool); err != nil {
					t.Fatalf("%s is required (make test installs it)", tool)
				}
			}
			kdir := filepath.Join(dir, tc.name)
			res, err := timeNative(tc.tools, k, plat, kdir, packetFile, time.Millisecond, 1)
			if err != nil {
				t.Fatal(err)
			}
			if res.nativeR0 != want || res.gccR0 != want {
				t.Errorf("native %#x, gcc %#x, interpreter %#x", res.nativeR0, res.gccR0, want)
			}
			if len(tc.tools.ccs) > 1 && res.clangR0 != want {
				t.Errorf("clang %#x, interpreter %#x", res.clangR0, want)
			}
			if res.nativeNs <= 0 || res.gccNs <= 0 {
				t.Errorf("times %v, %v", res.nativeNs, res.gccNs)
			}
		})
	}
}
