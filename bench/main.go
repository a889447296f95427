package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

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
	minTime := flag.Duration("batch", 100*time.Millisecond, "minimum duration of one timed batch")
	batches := flag.Int("batches", 11, "timed batches per engine; the fastest counts")
	runTime := flag.Bool("runtime", true, "time the kernels: native, gcc, clang and the interpreter")
	compile := flag.Bool("compile", true, "measure compile speed")
	sizes := flag.String("sizes", "10000,30000,100000", "instruction counts of the generated programs compile speed is measured on")
	keep := flag.Bool("keep", false, "keep the work directory (objects, drivers) and print its path")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the compile-speed runs to this file")
	only := flag.String("kernels", "", "time only the kernels whose entry names match this regular expression")
	arch := flag.String("arch", "amd64", "amd64 (the host) or arm64 (everything built for aarch64 and run under qemu-user; ratios only, no compile speed)")
	qemu := flag.String("exec", "scripts/qemu-aarch64-exec", "with -arch arm64: the command that runs an aarch64 program")
	interpOnly := flag.Bool("interp-only", false, "print only the interpreter's ns per call, eBPF insns per call and result of each kernel, one line each (what -arch arm64 runs under qemu)")
	flag.Parse()
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench: -kernels:", err)
			os.Exit(2)
		}
		kernels = slices.DeleteFunc(kernels, func(k kernel) bool { return !re.MatchString(k.entry) })
	}
	var ns []int
	for _, f := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 100 {
			fmt.Fprintf(os.Stderr, "bench: bad size %q\n", f)
			os.Exit(2)
		}
		ns = append(ns, n)
	}
	profile = *cpuProfile
	if *interpOnly {
		if err := interpLines(*minTime, *batches); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	switch *arch {
	case "amd64":
	case "arm64":
		if err := runArm64(strings.Fields(*qemu), *only, *minTime, *batches, *keep); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	default:
		fmt.Fprintf(os.Stderr, "bench: -arch %q: want amd64 or arm64\n", *arch)
		os.Exit(2)
	}
	if err := run(*minTime, *batches, *runTime, *compile, ns, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(minTime time.Duration, batches int, runTime, compile bool, sizes []int, keep bool) error {
	// A private directory: the machine is shared.
	dir, err := os.MkdirTemp("", "native-bench-")
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
	if runTime {
		if err := runtimeTable(plat, dir, minTime, batches); err != nil {
			return err
		}
	}
	if compile {
		if runTime {
			fmt.Println()
		}
		if err := compileTable(plat, sizes); err != nil {
			return err
		}
	}
	return nil
}

func runtimeTable(plat *platform.Platform, dir string, minTime time.Duration, batches int) error {
	packet := benchPacket()
	packetFile := filepath.Join(dir, "packet.bin")
	if err := os.WriteFile(packetFile, packet, 0o644); err != nil {
		return err
	}
	fmt.Printf("| program | what | eBPF insns/call | interpreter ns | native ns | gcc -O2 ns | clang-19 -O2 ns | native / best C | native bytes | gcc bytes | clang bytes |\n")
	fmt.Printf("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	var logNative, logGcc, logClang, logInterp, logSize float64
	for _, k := range kernels {
		nr, err := timeNative(amd64Tools, k, plat, dir, packetFile, minTime, batches)
		if err != nil {
			return err
		}
		iNs, insns, r0, err := timeInterp(k, plat, packet, minTime, batches)
		if err != nil {
			return err
		}
		if nr.nativeR0 != r0 || nr.gccR0 != r0 || nr.clangR0 != r0 {
			return fmt.Errorf("%s: results differ: interpreter %#x, native %#x, gcc %#x, clang %#x", k.entry, r0, nr.nativeR0, nr.gccR0, nr.clangR0)
		}
		bestC := min(nr.gccNs, nr.clangNs)
		ratio := nr.nativeNs / bestC
		logNative += math.Log(ratio)
		logGcc += math.Log(nr.nativeNs / nr.gccNs)
		logClang += math.Log(nr.nativeNs / nr.clangNs)
		logInterp += math.Log(iNs / bestC)
		logSize += math.Log(float64(nr.nativeSize) / float64(nr.gccSize))
		fmt.Printf("| %s | %s | %d | %.0f | %.1f | %.1f | %.1f | %.2f | %d | %d | %d |\n", k.entry, k.what, insns, iNs,
			nr.nativeNs, nr.gccNs, nr.clangNs, ratio, nr.nativeSize, nr.gccSize, nr.clangSize)
	}
	n := float64(len(kernels))
	fmt.Printf("| **geometric mean** | | | | | | | **%.2f** | | | |\n", math.Exp(logNative/n))
	fmt.Printf("\nGeometric means: native / gcc %.2f, native / clang %.2f, interpreter / best C %.1f, native / gcc code size %.2f.\n",
		math.Exp(logGcc/n), math.Exp(logClang/n), math.Exp(logInterp/n), math.Exp(logSize/n))
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

func timeInterp(k kernel, plat *platform.Platform, packet []byte, minTime time.Duration, batches int) (float64, uint64, uint64, error) {
	obj := filepath.Join("testdata", strings.TrimSuffix(k.file, ".c")+".o")
	mod, err := elffront.LoadFile(obj, plat)
	if err != nil {
		return 0, 0, 0, err
	}
	rt, err := host.New(mod, plat)
	if err != nil {
		return 0, 0, 0, err
	}
	vm, err := interp.NewVM(rt, interp.Options{})
	if err != nil {
		return 0, 0, 0, err
	}
	prog := vm.Program(k.entry)
	if prog < 0 {
		return 0, 0, 0, fmt.Errorf("%s: no program %s", obj, k.entry)
	}
	ctx, err := host.NewContext(plat.ProgramType(mod.Programs[prog].Type), packet, nil)
	if err != nil {
		return 0, 0, 0, err
	}
	before := vm.Executed()
	r0, err := vm.Run(prog, ctx)
	if err != nil {
		return 0, 0, 0, err
	}
	insns := vm.Executed() - before
	// Timed like the C engines: the thread's CPU time, clock readings
	// at least 20 µs apart.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n := 1
	for {
		start := threadTime()
		for i := 0; i < n; i++ {
			if _, err := vm.Run(prog, ctx); err != nil {
				return 0, 0, 0, err
			}
		}
		if threadTime()-start >= 20*time.Microsecond || n >= 1<<20 {
			break
		}
		n *= 2
	}
	best := 0.0
	for b := 0; b < batches; b++ {
		calls := 0
		start := threadTime()
		for threadTime()-start < minTime {
			for i := 0; i < n; i++ {
				if _, err := vm.Run(prog, ctx); err != nil {
					return 0, 0, 0, err
				}
			}
			calls += n
		}
		per := float64((threadTime() - start).Nanoseconds()) / float64(calls)
		if b == 0 || per < best {
			best = per
		}
	}
	return best, insns, r0, nil
}

// threadTime returns the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID):
// on a shared machine, time spent waiting for a core is not the program's.
// The caller locks itself to its thread.
func threadTime() time.Duration { return clock(3) }

// processTime returns the CPU time of the whole process, every thread
// (CLOCK_PROCESS_CPUTIME_ID): the compiler's work including the garbage
// collector's.
func processTime() time.Duration { return clock(2) }

func clock(id uintptr) time.Duration {
	var ts syscall.Timespec
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, id, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		panic(fmt.Sprintf("clock_gettime: %v", e))
	}
	return time.Duration(ts.Nano())
}
