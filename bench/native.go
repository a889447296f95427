package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/bpf2native/bpf2native/backend"
	elffront "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/ir"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
)

// cflags are the flags both host compilers build the C sources with, as
// the gcc oracle does (testdata/harness/driver.c): -fno-strict-aliasing
// and -fwrapv give C eBPF's untyped memory and wrapping arithmetic. Both
// target the x86-64 baseline, as bpf2native's code does.
var cflags = []string{"-O2", "-fno-strict-aliasing", "-fwrapv", "-I", "testdata/include"}

// toolchain is what timeNative builds and runs one kernel with.
type toolchain struct {
	target   backend.Target
	ccs      []string // host C compilers of the C source: gcc, then clang (optional)
	objcopy  string
	driverCC []string // the C driver's compiler and its flags
	exec     []string // runs the driver (empty: directly)
	sizes    bool     // measure code sizes (x86-64 objdump only)
}

// amd64Tools is the native table's: everything runs on the host.
var amd64Tools = toolchain{
	target:   backend.Target{Arch: "amd64", ABI: "sysv"},
	ccs:      []string{"gcc", "clang-19"},
	objcopy:  "objcopy",
	driverCC: []string{"gcc", "-O2", "-Wall", "-Werror"},
	sizes:    true,
}

// arm64Tools builds for aarch64 (gcc only) and runs the static driver
// under qemu-user through exec.
func arm64Tools(exec []string) toolchain {
	return toolchain{
		target:   backend.Target{Arch: "arm64", ABI: "aapcs64"},
		ccs:      []string{"aarch64-linux-gnu-gcc"},
		objcopy:  "aarch64-linux-gnu-objcopy",
		driverCC: []string{"aarch64-linux-gnu-gcc", "-O2", "-static", "-Wall", "-Werror"},
		exec:     exec,
	}
}

// nativeResult is what the C driver measured for one kernel.
type nativeResult struct {
	nativeNs, gccNs, clangNs       float64
	nativeR0, gccR0, clangR0       uint64
	nativeSize, gccSize, clangSize int
}

// timeNative builds the kernel three ways and times them in one C driver:
// the native object bpf2native compiles from testdata/<file>.o, and the C
// source compiled by gcc -O2 and by clang-19 -O2 as plain functions.
func timeNative(tc toolchain, k kernel, plat *platform.Platform, dir, packetFile string, minTime time.Duration, batches int) (*nativeResult, error) {
	kdir := filepath.Join(dir, k.entry)
	if err := os.MkdirAll(kdir, 0o755); err != nil {
		return nil, err
	}
	objPath := filepath.Join("testdata", strings.TrimSuffix(k.file, ".c")+".o")
	src, err := os.ReadFile(objPath)
	if err != nil {
		return nil, err
	}
	mod, err := elffront.Load(objPath, src, plat)
	if err != nil {
		return nil, err
	}
	prog := -1
	for i, p := range mod.Programs {
		if p.Name == k.entry {
			prog = i
		}
	}
	if prog < 0 {
		return nil, fmt.Errorf("%s: no program %s", objPath, k.entry)
	}
	if len(mod.Programs[prog].Helpers) > 0 {
		return nil, fmt.Errorf("%s calls helpers; the C driver provides none", k.entry)
	}
	obj, err := backend.Compile(mod, tc.target, backend.Options{})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", objPath, err)
	}
	meta := metadata.FromModule(mod, obj, src)
	data, err := elflink.Link(obj, meta)
	if err != nil {
		return nil, fmt.Errorf("%s: link: %w", objPath, err)
	}
	res := &nativeResult{nativeSize: nativeSize(obj, prog)}
	if err := os.WriteFile(filepath.Join(kdir, "native.o"), data, 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(kdir, "native.h"), elflink.Header(meta, "NATIVE_H"), 0o644); err != nil {
		return nil, err
	}
	entry := meta.Programs[prog].Entry
	pt := plat.ProgramType(mod.Programs[prog].Type)
	if pt == nil {
		return nil, fmt.Errorf("%s: unknown program type %q", k.entry, mod.Programs[prog].Type)
	}
	header, err := kernelHeader(meta, entry, k.entry, pt, len(tc.ccs) > 1)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(kdir, "kernel.h"), header, 0o644); err != nil {
		return nil, err
	}

	// The C source as a plain function, once per compiler, renamed so
	// that the three entries can live in one program, with everything
	// else it defines made local.
	names := []string{"gcc", "clang"}
	sizes := []*int{&res.gccSize, &res.clangSize}
	link := []string{filepath.Join(kdir, "native.o")}
	for i, cc := range tc.ccs {
		name := names[i]
		out := filepath.Join(kdir, name+".o")
		args := append(append([]string{}, cflags...), "-c", filepath.Join("testdata", k.file), "-o", out)
		if err := runCmd(cc, args...); err != nil {
			return nil, err
		}
		if tc.sizes {
			if *sizes[i], err = cFuncSize(out, k.entry); err != nil {
				return nil, err
			}
		}
		renamed := name + "_" + k.entry
		if err := runCmd(tc.objcopy, "--redefine-sym", k.entry+"="+renamed, out); err != nil {
			return nil, err
		}
		if err := runCmd(tc.objcopy, "--keep-global-symbol="+renamed, out); err != nil {
			return nil, err
		}
		link = append(link, out)
	}

	bin := filepath.Join(kdir, "cbench")
	args := append(append(append(tc.driverCC[1:len(tc.driverCC):len(tc.driverCC)], "-I", kdir, "bench/c/cbench.c"), link...), "-o", bin)
	if err := runCmd(tc.driverCC[0], args...); err != nil {
		return nil, err
	}
	run := append(append(tc.exec[:len(tc.exec):len(tc.exec)], bin), packetFile, strconv.FormatInt(minTime.Nanoseconds(), 10), strconv.Itoa(batches))
	out, err := exec.Command(run[0], run[1:]...).Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", strings.Join(run, " "), err)
	}
	vals := []any{&res.nativeNs, &res.gccNs, &res.nativeR0, &res.gccR0}
	if len(tc.ccs) > 1 {
		vals = []any{&res.nativeNs, &res.gccNs, &res.clangNs, &res.nativeR0, &res.gccR0, &res.clangR0}
	}
	if _, err := fmt.Sscan(string(out), vals...); err != nil {
		return nil, fmt.Errorf("%s printed %q: %w", bin, out, err)
	}
	return res, nil
}

// nativeSize is the code size of program prog: its entry function and the
// copies of the sub-programs it calls.
func nativeSize(obj *backend.Object, prog int) int {
	size, in := 0, false
	for _, f := range obj.Funcs {
		if f.Program >= 0 {
			in = f.Program == prog
		}
		if in {
			size += f.Size
		}
	}
	return size
}

// kernelHeader writes kernel.h for bench/c/cbench.c.
// Without clang it declares no CLANG_ENTRY, and the driver times two engines.
func kernelHeader(meta *metadata.Metadata, nativeEntry, cEntry string, pt *platform.ProgramType, clang bool) ([]byte, error) {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("/* Generated by ./bench for %s. */\n#include <stdint.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"native.h\"\n\n", cEntry)
	p("#define NATIVE_ENTRY ((uint64_t (*)(void *))%s)\n", nativeEntry)
	p("uint64_t gcc_%s(void *ctx);\n#define GCC_ENTRY gcc_%s\n", cEntry, cEntry)
	if clang {
		p("uint64_t clang_%s(void *ctx);\n#define CLANG_ENTRY clang_%s\n", cEntry, cEntry)
	}
	p("#define CTX_SIZE %d\n\n", max(pt.Context.Size, 8))
	for i, s := range meta.Slots {
		if s.Kind == metadata.SlotGlobal {
			g := meta.Globals[s.Index]
			p("static uint8_t storage%d[%d] __attribute__((aligned(8))) = {", i, max(g.Size, 1))
			for j, c := range g.Init {
				if j%16 == 0 {
					p("\n\t")
				}
				p("%d,", c)
			}
			p("\n};\n")
		} else {
			m := meta.Maps[s.Index]
			p("static uint8_t storage%d[%d] __attribute__((aligned(8)));\n", i, max(uint64(m.ValueSize)*uint64(m.MaxEntries), 1))
		}
		p("static char handle%d;\n", i)
	}
	if len(meta.Helpers) > 0 {
		p("static uint64_t no_helper(uint64_t a, uint64_t b, uint64_t c, uint64_t d, uint64_t e) { (void)a; (void)b; (void)c; (void)d; (void)e; abort(); }\n")
	}
	p("\nstatic void bench_fill_tables(void)\n{\n")
	for i := range meta.Helpers {
		p("\tbpf2native_helpers[%d] = no_helper;\n", i)
	}
	for i := range meta.Slots {
		p("\tbpf2native_maps[%d] = &handle%d;\n\tbpf2native_map_values[%d] = storage%d;\n", i, i, i, i)
	}
	p("}\n\nstatic void bench_set_packet(uint8_t *ctx, uint8_t *data, uint32_t len)\n{\n\t(void)ctx; (void)data; (void)len;\n")
	for _, f := range pt.Context.Fields {
		var v string
		switch f.Kind {
		case platform.FieldPacket, platform.FieldPacketMeta:
			v = "(uintptr_t)data"
		case platform.FieldPacketEnd:
			v = "(uintptr_t)(data + len)"
		default:
			continue
		}
		if f.Size != 8 {
			return nil, fmt.Errorf("program type %s: %d-byte packet field", pt.Name, f.Size)
		}
		p("\t{ uint64_t v = %s; memcpy(ctx + %d, &v, 8); }\n", v, f.Offset)
	}
	p("}\n")
	return b.Bytes(), nil
}

func runCmd(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out)
	}
	return nil
}

var (
	// A function's start in objdump -d: "0000000000000020 <block_sum>:".
	funcStart = regexp.MustCompile(`^[0-9a-f]+ <([^>]+)>:$`)
	// A direct call or jump: "call 20 <block_sum>", "jmp 5c <f+0x3c>".
	branchTo = regexp.MustCompile(`\s(?:call|jmp|j[a-z]+)\s+[0-9a-f]+ <([^+>]+)(?:\+0x[0-9a-f]+)?>`)
	// A relocation objdump -r prints under its instruction.
	relocTo = regexp.MustCompile(`R_X86_64_(?:PLT32|PC32)\s+([^+\-\s]+)`)
)

// cFuncSize returns the bytes of code of function entry in the object a
// host compiler wrote: the function and every function of the object it
// reaches by calls and jumps (non-inlined static functions, gcc's .cold
// parts), as nm -S gives their sizes. Library calls (memcpy, libgcc) are
// not counted.
func cFuncSize(obj, entry string) (int, error) {
	sizes := map[string]int{}
	out, err := exec.Command("nm", "-S", "--defined-only", obj).Output()
	if err != nil {
		return 0, fmt.Errorf("nm %s: %w", obj, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 4 && strings.ContainsAny(f[2], "tT") {
			n, _ := strconv.ParseUint(f[1], 16, 64)
			sizes[f[3]] = int(n)
		}
	}
	out, err = exec.Command("objdump", "-dr", "--no-show-raw-insn", obj).Output()
	if err != nil {
		return 0, fmt.Errorf("objdump %s: %w", obj, err)
	}
	edges := map[string][]string{}
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if m := funcStart.FindStringSubmatch(line); m != nil {
			cur = m[1]
			continue
		}
		if cur == "" {
			continue
		}
		for _, re := range []*regexp.Regexp{branchTo, relocTo} {
			if m := re.FindStringSubmatch(line); m != nil && m[1] != cur {
				edges[cur] = append(edges[cur], m[1])
			}
		}
	}
	if _, ok := sizes[entry]; !ok {
		return 0, fmt.Errorf("%s: no function %s", obj, entry)
	}
	seen := map[string]bool{entry: true}
	work := []string{entry}
	total := 0
	for len(work) > 0 {
		f := work[len(work)-1]
		work = work[:len(work)-1]
		total += sizes[f]
		for _, g := range edges[f] {
			if _, isFunc := sizes[g]; isFunc && !seen[g] {
				seen[g] = true
				work = append(work, g)
			}
		}
	}
	return total, nil
}

// largestObject returns the testdata object with the most eBPF
// instructions over all its programs.
func largestObject(plat *platform.Platform) (string, *ir.Module, error) {
	objs, err := filepath.Glob("testdata/*.o")
	if err != nil || len(objs) == 0 {
		return "", nil, fmt.Errorf("no testdata objects")
	}
	var best string
	var bestMod *ir.Module
	bestN := -1
	for _, path := range objs {
		mod, err := elffront.LoadFile(path, plat)
		if err != nil {
			return "", nil, err
		}
		if n := moduleInsns(mod); n > bestN {
			best, bestMod, bestN = path, mod, n
		}
	}
	return best, bestMod, nil
}

func moduleInsns(mod *ir.Module) int {
	n := 0
	for _, p := range mod.Programs {
		n += len(p.Insns)
	}
	return n
}
