package elf_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	_ "github.com/bpf2native/bpf2native/backend/amd64"
	_ "github.com/bpf2native/bpf2native/backend/arm64"
	felf "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/interp"
	"github.com/bpf2native/bpf2native/ir"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
)

// toolchain is a C compiler for one arch and how to run what it builds.
type toolchain struct {
	arch, cc string
	// run is the command prefix that executes a binary for arch here
	// (empty: run it directly).
	run []string
	// static links without shared libraries, so an emulator needs no
	// sysroot.
	static bool
}

// toolchains returns the C toolchains whose output this machine can run:
// gcc on amd64; aarch64-linux-gnu-gcc everywhere, its output run
// natively on arm64 Linux and under qemu-aarch64 elsewhere.
func toolchains(t *testing.T) []toolchain {
	var tcs []toolchain
	if runtime.GOARCH == "amd64" {
		tcs = append(tcs, toolchain{arch: "amd64", cc: "gcc"})
	}
	arm := toolchain{arch: "arm64", cc: "aarch64-linux-gnu-gcc", static: true}
	switch {
	case os.Getenv("BPF2NATIVE_ARM64_EXEC") != "":
		// This test binary itself runs under qemu (scripts/qemu-aarch64-exec).
		arm.run = strings.Fields(os.Getenv("BPF2NATIVE_ARM64_EXEC"))
	case runtime.GOARCH != "arm64":
		arm.run = []string{"qemu-aarch64"}
	}
	for _, tool := range append([]string{arm.cc}, arm.run[:min(len(arm.run), 1)]...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not installed (scripts/deps.sh installs it): %v", tool, err)
		}
	}
	if runtime.GOARCH == "arm64" && arm.run == nil {
		arm.cc = "gcc" // a native arm64 host
	}
	return append(tcs, arm)
}

// TestGCCEndToEnd compiles each helper-free testdata object with the code
// generator for each arch a C toolchain here can build and run (amd64 with
// gcc, arm64 with aarch64-linux-gnu-gcc under qemu-aarch64), links it with
// Link, links that with the C compiler into a C driver generated from the
// object's header, and compares every program's result and packet with
// the interpreter's on a few packets. (Objects that call helpers need a
// host runtime; loader's end-to-end test covers them.)
func TestGCCEndToEnd(t *testing.T) {
	plat, err := platform.Get("windows")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../testdata/*.o")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata objects: %v", err)
	}
	packets := [][]byte{{}, {1}, bytes.Repeat([]byte{0xa5}, 60)}
	if p, err := os.ReadFile("../../testdata/packets/ipv4_tcp.bin"); err == nil {
		packets = append(packets, p)
	} else {
		t.Fatal(err)
	}
	for _, tc := range toolchains(t) {
		t.Run(tc.arch, func(t *testing.T) {
			t.Parallel()
			ran := 0
			for _, file := range files {
				src, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				mod, err := felf.Load(file, src, plat)
				if err != nil {
					t.Fatal(err)
				}
				obj, err := backend.Compile(mod, backend.Target{Arch: tc.arch}, backend.Options{})
				if err != nil {
					t.Fatalf("%s: compile: %v", file, err)
				}
				if len(obj.Helpers) > 0 {
					continue
				}
				ran++
				t.Run(filepath.Base(file), func(t *testing.T) {
					gccEndToEnd(t, tc, mod, obj, src, plat, packets)
				})
			}
			if ran == 0 {
				t.Fatal("no helper-free testdata object")
			}
		})
	}
}

func gccEndToEnd(t *testing.T, tc toolchain, mod *ir.Module, obj *backend.Object, src []byte, plat *platform.Platform, packets [][]byte) {
	meta := metadata.FromModule(mod, obj, src)
	data, err := elflink.Link(obj, meta)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "prog.o"), data)
	write(t, filepath.Join(dir, "prog.h"), elflink.Header(meta, "PROG_H"))
	write(t, filepath.Join(dir, "driver.c"), cDriver(t, mod, meta, plat))
	bin := filepath.Join(dir, "driver")
	args := []string{"-std=gnu11", "-Wall", "-Werror", "-O2", "-I", dir}
	if tc.static {
		args = append(args, "-static")
	}
	args = append(args, filepath.Join(dir, "driver.c"), filepath.Join(dir, "prog.o"), "-o", bin)
	if out, err := exec.Command(tc.cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", tc.cc, err, out)
	}
	for pi, p := range mod.Programs {
		pt := plat.ProgramType(p.Type)
		if pt == nil {
			continue
		}
		for ii, packet := range packets {
			where := fmt.Sprintf("program %s, packet %d", p.Name, ii)
			rt, err := host.New(mod, plat)
			if err != nil {
				t.Fatal(err)
			}
			vm, err := interp.NewVM(rt, interp.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, err := host.NewContext(pt, packet, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := vm.Run(pi, ctx)
			if err != nil {
				t.Logf("%s: interpreter: %v (not compared)", where, err)
				continue
			}
			var in bytes.Buffer
			binary.Write(&in, binary.LittleEndian, uint32(len(packet)))
			in.Write(packet)
			argv := append(append([]string(nil), tc.run...), bin, strconv.Itoa(pi))
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Stdin = &in
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%s: driver: %v", where, err)
			}
			r0, after, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
			got, err := strconv.ParseUint(r0, 10, 64)
			if err != nil {
				t.Fatalf("%s: driver printed %q", where, out)
			}
			if got != want {
				t.Errorf("%s: %s-linked r0 = %#x, interpreter %#x", where, tc.cc, got, want)
			}
			if after != hex.EncodeToString(ctx.Packet()) {
				t.Errorf("%s: packet\n got %s\nwant %x", where, after, ctx.Packet())
			}
		}
	}
}

// cDriver writes a C program that runs program argv[1] on the packet on
// stdin (u32 length, bytes) and prints r0 and the packet afterwards in
// hex. Map slots get zeroed storage (globals their initial bytes), so
// programs that only address values directly work.
func cDriver(t *testing.T, mod *ir.Module, meta *metadata.Metadata, plat *platform.Platform) []byte {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("#include <stdint.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include \"prog.h\"\n\n")
	for i, s := range meta.Slots {
		size, init := uint32(8), []byte(nil)
		if s.Kind == metadata.SlotGlobal {
			g := meta.Globals[s.Index]
			size, init = g.Size, g.Init
		} else {
			m := meta.Maps[s.Index]
			size = m.ValueSize * m.MaxEntries
		}
		p("static uint8_t storage%d[%d] __attribute__((aligned(8))) = {", i, max(size, 1))
		if len(init) == 0 {
			init = []byte{0}
		}
		for _, c := range init {
			p("%d,", c)
		}
		p("};\nstatic char handle%d;\n", i)
	}
	p("static uint8_t packet[65536] __attribute__((aligned(8)));\nstatic uint8_t ctx[65536] __attribute__((aligned(8)));\n")
	p("static void put64(size_t off, uint64_t v) { memcpy(ctx + off, &v, 8); }\n")
	// Fill the stack the program will use with a pattern, so code that
	// reads stack it never wrote fails every time instead of by chance.
	p("__attribute__((noinline)) static void poison_stack(void) { volatile uint8_t s[1 << 16]; for (size_t i = 0; i < sizeof s; i++) s[i] = 0xa5; }\n\n")
	p("int main(int argc, char **argv) {\n\tuint32_t len = 0;\n\tuint64_t r0;\n\tint prog;\n\t(void)put64;\n")
	p("\tif (argc != 2 || fread(&len, 4, 1, stdin) != 1 || len > sizeof packet || fread(packet, 1, len, stdin) != len) return 2;\n")
	p("\tprog = atoi(argv[1]);\n")
	for i := range meta.Slots {
		p("\tbpf2native_maps[%d] = &handle%d;\n\tbpf2native_map_values[%d] = storage%d;\n", i, i, i, i)
	}
	p("\tpoison_stack();\n\tswitch (prog) {\n")
	for pi, prog := range mod.Programs {
		pt := plat.ProgramType(prog.Type)
		if pt == nil || prog.Name != meta.Programs[pi].Entry {
			continue
		}
		p("\tcase %d:\n", pi)
		for _, f := range pt.Context.Fields {
			var v string
			switch f.Kind {
			case platform.FieldPacket, platform.FieldPacketMeta:
				v = "(uintptr_t)packet"
			case platform.FieldPacketEnd:
				v = "(uintptr_t)(packet + len)"
			default:
				continue
			}
			if f.Size != 8 {
				t.Fatalf("program type %s: %d-byte packet field", pt.Name, f.Size)
			}
			p("\t\tput64(%d, %s);\n", f.Offset, v)
		}
		p("\t\tr0 = %s(ctx);\n\t\tbreak;\n", prog.Name)
	}
	p("\tdefault:\n\t\treturn 2;\n\t}\n")
	p("\tprintf(\"%%llu \", (unsigned long long)r0);\n")
	p("\tfor (uint32_t i = 0; i < len; i++) printf(\"%%02x\", packet[i]);\n\tprintf(\"\\n\");\n\treturn 0;\n}\n")
	return []byte(b.String())
}

// TestGCCCallx links a program that calls helpers by id (callx) into a C
// driver for each toolchain: the driver fills the helper-id table from the
// header's declaration with one function for every id and a trap in slot 0,
// and checks that both receive the id the program asked for as their sixth
// argument (the trap the unclamped one).
func TestGCCCallx(t *testing.T) {
	code := "79120000" + "00000000" + // r2 = *(u64 *)(r1 + 0)
		"b7010000" + "29000000" + // r1 = 41
		"8d020000" + "00000000" + // callx r2
		"95000000" + "00000000" // exit
	raw, err := hex.DecodeString(code)
	if err != nil {
		t.Fatal(err)
	}
	insns, err := ir.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ir.NewProgram("callx_prog", insns, nil)
	if err != nil {
		t.Fatal(err)
	}
	mod := &ir.Module{Source: "callx", Platform: platform.Linux, Programs: []*ir.Program{p}}
	driver := `#include <stdio.h>
#include <stdlib.h>
#include "prog.h"
static uint64_t helper(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, uint64_t id)
{
	(void)r2; (void)r3; (void)r4; (void)r5;
	return r1 * 1000 + id;
}
static uint64_t trap(uint64_t r1, uint64_t r2, uint64_t r3, uint64_t r4, uint64_t r5, uint64_t id)
{
	(void)r1; (void)r2; (void)r3; (void)r4; (void)r5;
	printf("trap %llu\n", (unsigned long long)id);
	exit(0);
}
int main(int argc, char **argv)
{
	uint64_t id = strtoull(argv[1], 0, 0);
	(void)argc;
	bpf2native_helper_ids[0] = trap;
	for (int i = 1; i < BPF2NATIVE_HELPER_ID_SLOTS; i++)
		bpf2native_helper_ids[i] = helper;
	printf("%llu\n", (unsigned long long)callx_prog(&id));
	return 0;
}
`
	for _, tc := range toolchains(t) {
		t.Run(tc.arch, func(t *testing.T) {
			obj, err := backend.Compile(mod, backend.Target{Arch: tc.arch}, backend.Options{})
			if err != nil {
				t.Fatal(err)
			}
			meta := metadata.FromModule(mod, obj, raw)
			data, err := elflink.Link(obj, meta)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			write(t, filepath.Join(dir, "prog.o"), data)
			write(t, filepath.Join(dir, "prog.h"), elflink.Header(meta, "PROG_H"))
			write(t, filepath.Join(dir, "driver.c"), []byte(driver))
			bin := filepath.Join(dir, "driver")
			args := []string{"-std=gnu11", "-Wall", "-Werror", "-O2", "-I", dir}
			if tc.static {
				args = append(args, "-static")
			}
			args = append(args, filepath.Join(dir, "driver.c"), filepath.Join(dir, "prog.o"), "-o", bin)
			if out, err := exec.Command(tc.cc, args...).CombinedOutput(); err != nil {
				t.Fatalf("%s: %v\n%s", tc.cc, err, out)
			}
			for id, want := range map[string]string{"5": "41005", "255": "41255", "256": "trap 256", "0": "trap 0", "0xffffffffffffffff": "trap 18446744073709551615"} {
				cmd := append(append([]string(nil), tc.run...), bin, id)
				out, err := exec.Command(cmd[0], cmd[1:]...).CombinedOutput()
				if err != nil || strings.TrimSpace(string(out)) != want {
					t.Errorf("id %s: %v, output %q; want %q", id, err, out, want)
				}
			}
		})
	}
}
