package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	elffront "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/interp"
	"github.com/bpf2native/bpf2native/platform"
)

// kernel is one compute-heavy program: its source, entry and context kind.
type kernel struct {
	file, entry, ctxKind, what string
}

var kernels = []kernel{
	{"hash.c", "sample_fnv1a", "CTX_SAMPLE", "FNV-1a over the packet"},
	{"hash.c", "sample_murmur3", "CTX_SAMPLE", "MurmurHash3 x86_32"},
	{"hash.c", "sample_jhash", "CTX_SAMPLE", "Jenkins jhash"},
	{"crc32.c", "sample_crc32", "CTX_SAMPLE", "table-driven CRC-32, table in .rodata"},
	{"xdp_parse.c", "sample_classify", "CTX_SAMPLE", "Ethernet/IP/L4 header parsing"},
	{"sort.c", "sample_sort", "CTX_SAMPLE", "insertion sort of 32 words on the stack"},
	{"bits.c", "sample_bits", "CTX_SAMPLE", "popcount, clz, bit reverse, Gray code"},
	{"subprogs.c", "sample_subprogs", "CTX_SAMPLE", "chains of bpf-to-bpf calls"},
	{"loops.c", "sample_loops", "CTX_SAMPLE", "bounded loops"},
}

func main() {
	minTime := flag.Duration("batch", 200*time.Millisecond, "minimum duration of one timed batch")
	batches := flag.Int("batches", 5, "timed batches per engine; the fastest counts")
	flag.Parse()
	if err := run(*minTime, *batches); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(minTime time.Duration, batches int) error {
	dir, err := os.MkdirTemp("", "bpf2native-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	packet := benchPacket()
	packetFile := filepath.Join(dir, "packet.bin")
	if err := os.WriteFile(packetFile, packet, 0o644); err != nil {
		return err
	}
	plat, err := platform.Get(platform.Windows)
	if err != nil {
		return err
	}

	fmt.Printf("| program | what | eBPF insns/call | interpreter ns/call | gcc -O2 ns/call | interpreter / gcc |\n")
	fmt.Printf("|---|---|---:|---:|---:|---:|\n")
	var logSum float64
	for _, k := range kernels {
		cNs, err := timeC(k, dir, packetFile, minTime, batches)
		if err != nil {
			return err
		}
		iNs, insns, err := timeInterp(k, plat, packet, minTime, batches)
		if err != nil {
			return err
		}
		ratio := iNs / cNs
		logSum += math.Log(ratio)
		fmt.Printf("| %s | %s | %d | %.0f | %.0f | %.1f |\n", k.entry, k.what, insns, iNs, cNs, ratio)
	}
	fmt.Printf("| **geometric mean** | | | | | **%.1f** |\n", math.Exp(logSum/float64(len(kernels))))
	return nil
}

// benchPacket is a 1500-byte IPv4/TCP frame whose payload is pseudo-random,
// so parsers go deep and hashes see varied bytes.
func benchPacket() []byte {
	p := make([]byte, 1500)
	rand.New(rand.NewSource(42)).Read(p)
	copy(p, []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		0x45, 0, 0x05, 0xce, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0x20, 0, 0, 0, 0, 0})
	return p
}

func timeC(k kernel, dir, packetFile string, minTime time.Duration, batches int) (float64, error) {
	bin := filepath.Join(dir, "c-"+k.entry)
	build := exec.Command("gcc", "-O2", "-fno-strict-aliasing", "-fwrapv", "-I../../testdata/include",
		"-include", "../../testdata/"+k.file, "-DENTRY="+k.entry, "-D"+k.ctxKind, "cbench.c", "-o", bin)
	build.Dir = "bench/c"
	if out, err := build.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("gcc %s: %v\n%s", k.file, err, out)
	}
	out, err := exec.Command(bin, packetFile, strconv.FormatInt(minTime.Nanoseconds(), 10), strconv.Itoa(batches)).Output()
	if err != nil {
		return 0, fmt.Errorf("%s: %v", bin, err)
	}
	return strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
}

func timeInterp(k kernel, plat *platform.Platform, packet []byte, minTime time.Duration, batches int) (float64, uint64, error) {
	obj := filepath.Join("testdata", strings.TrimSuffix(k.file, ".c")+".o")
	mod, err := elffront.LoadFile(obj, plat)
	if err != nil {
		return 0, 0, err
	}
	rt, err := host.New(mod, plat)
	if err != nil {
		return 0, 0, err
	}
	vm, err := interp.NewVM(rt, interp.Options{})
	if err != nil {
		return 0, 0, err
	}
	prog := vm.Program(k.entry)
	if prog < 0 {
		return 0, 0, fmt.Errorf("%s: no program %s", obj, k.entry)
	}
	ctx, err := host.NewContext(plat.ProgramType(mod.Programs[prog].Type), packet, nil)
	if err != nil {
		return 0, 0, err
	}
	before := vm.Executed()
	if _, err := vm.Run(prog, ctx); err != nil {
		return 0, 0, err
	}
	insns := vm.Executed() - before
	best := 0.0
	for b := 0; b < batches; b++ {
		calls := 0
		start := time.Now()
		for time.Since(start) < minTime {
			for i := 0; i < 16; i++ {
				if _, err := vm.Run(prog, ctx); err != nil {
					return 0, 0, err
				}
			}
			calls += 16
		}
		per := float64(time.Since(start).Nanoseconds()) / float64(calls)
		if b == 0 || per < best {
			best = per
		}
	}
	return best, insns, nil
}
