package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/bpf2native/bpf2native/backend/arm64"
	"github.com/bpf2native/bpf2native/platform"
)

// runArm64 prints the arm64 table: native and interpreter against the C
// source built by aarch64-linux-gnu-gcc -O2, all run under qemu-user. The
// native and gcc columns come from the same C driver as on amd64 (built
// -static for aarch64, without the clang engine); the interpreter is this
// very program built with GOARCH=arm64 and run under qemu with
// -interp-only. qemu's absolute times mean nothing, so only ratios are
// printed.
func runArm64(qemu []string, only string, minTime time.Duration, batches int, keep bool) error {
	if len(qemu) == 0 {
		return fmt.Errorf("-exec is empty")
	}
	dir, err := os.MkdirTemp("", "native-bench-arm64-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Fprintln(os.Stderr, "bench: work directory", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		return err
	}
	packetFile := filepath.Join(dir, "packet.bin")
	if err := os.WriteFile(packetFile, benchPacket(), 0o644); err != nil {
		return err
	}

	// The interpreter: this program, for arm64, under qemu.
	self := filepath.Join(dir, "bench-arm64")
	build := exec.Command("go", "build", "-o", self, "./bench")
	build.Env = append(os.Environ(), "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("go build (GOARCH=arm64) ./bench: %w\n%s", err, out)
	}
	args := append(append(qemu[1:len(qemu):len(qemu)], self), "-interp-only",
		"-batch", minTime.String(), "-batches", fmt.Sprint(batches))
	if only != "" {
		args = append(args, "-kernels", only)
	}
	out, err := exec.Command(qemu[0], args...).Output()
	if err != nil {
		return fmt.Errorf("%s %s: %w", qemu[0], strings.Join(args, " "), err)
	}
	type interpResult struct {
		ns        float64
		insns, r0 uint64
	}
	interp := map[string]interpResult{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var name string
		var r interpResult
		if _, err := fmt.Sscan(line, &name, &r.ns, &r.insns, &r.r0); err != nil {
			return fmt.Errorf("interpreter under qemu printed %q: %w", line, err)
		}
		interp[name] = r
	}

	tc := arm64Tools(qemu)
	fmt.Printf("| program | what | eBPF insns/call | native / gcc | interpreter / gcc |\n")
	fmt.Printf("|---|---|---:|---:|---:|\n")
	var logNative, logInterp float64
	for _, k := range kernels {
		nr, err := timeNative(tc, k, plat, dir, packetFile, minTime, batches)
		if err != nil {
			return err
		}
		ir, ok := interp[k.entry]
		if !ok {
			return fmt.Errorf("%s: no interpreter result", k.entry)
		}
		if nr.nativeR0 != ir.r0 || nr.gccR0 != ir.r0 {
			return fmt.Errorf("%s: results differ: interpreter %#x, native %#x, gcc %#x", k.entry, ir.r0, nr.nativeR0, nr.gccR0)
		}
		native, interpRatio := nr.nativeNs/nr.gccNs, ir.ns/nr.gccNs
		logNative += math.Log(native)
		logInterp += math.Log(interpRatio)
		fmt.Printf("| %s | %s | %d | %.2f | %.1f |\n", k.entry, k.what, ir.insns, native, interpRatio)
	}
	n := float64(len(kernels))
	fmt.Printf("| **geometric mean** | | | **%.2f** | **%.1f** |\n", math.Exp(logNative/n), math.Exp(logInterp/n))
	return nil
}

// interpLines times the interpreter on every kernel and prints
// "ENTRY NS INSNS R0" lines: -interp-only, which -arch arm64 runs under qemu.
func interpLines(minTime time.Duration, batches int) error {
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		return err
	}
	packet := benchPacket()
	for _, k := range kernels {
		ns, insns, r0, err := timeInterp(k, plat, packet, minTime, batches)
		if err != nil {
			return err
		}
		fmt.Printf("%s %.3f %d %d\n", k.entry, ns, insns, r0)
	}
	return nil
}
