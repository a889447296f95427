package amd64_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/backend"
	_ "github.com/bpf2native/bpf2native/backend/amd64"
	"github.com/bpf2native/bpf2native/conformance"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/ssa"
)

const conformanceDir = "../../../shared/conformance/tests"

var (
	runnerOnce sync.Once
	runnerPath string
	runnerErr  error
)

// runner builds testdata/runner.c, which executes an image natively, once
// per test binary. Until the loader package exists it is how these tests
// run generated code.
func runner(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("native execution needs linux/amd64")
	}
	runnerOnce.Do(func() {
		dir, err := os.MkdirTemp("", "bpf2native-runner")
		if err != nil {
			runnerErr = err
			return
		}
		runnerPath = filepath.Join(dir, "runner")
		out, err := exec.Command("gcc", "-O1", "-o", runnerPath, "testdata/runner.c").CombinedOutput()
		if err != nil {
			runnerErr = fmt.Errorf("gcc: %v\n%s", err, out)
		}
	})
	if errors.Is(runnerErr, exec.ErrNotFound) {
		t.Fatal("gcc is required")
	}
	if runnerErr != nil {
		t.Fatal(runnerErr)
	}
	return runnerPath
}

// image appends the helper, map and map-value tables to obj.Text and
// applies the relocations, as a loader would; it returns the image and
// where the helper table starts.
func image(t *testing.T, obj *backend.Object) ([]byte, int, int) {
	t.Helper()
	img := append([]byte(nil), obj.Text...)
	for len(img)%8 != 0 {
		img = append(img, 0)
	}
	base := map[backend.Table]int{}
	base[backend.HelperTable] = len(img)
	img = append(img, make([]byte, 8*len(obj.Helpers))...)
	// The helper-id table follows the helper table, so the runner's stub
	// fills both.
	base[backend.HelperIDTable] = len(img)
	img = append(img, make([]byte, 8*obj.HelperIDSlots)...)
	base[backend.MapTable] = len(img)
	img = append(img, make([]byte, 8*len(obj.Maps))...)
	base[backend.MapValueTable] = len(img)
	img = append(img, make([]byte, 8*len(obj.Maps))...)
	for _, r := range obj.Relocs {
		if r.Form != backend.PCRel32 {
			t.Fatalf("relocation form %v", r.Form)
		}
		v := int64(base[r.Table]+8*r.Slot) + r.Addend - int64(r.Offset)
		binary.LittleEndian.PutUint32(img[r.Offset:], uint32(int32(v)))
	}
	return img, base[backend.HelperTable], len(obj.Helpers) + obj.HelperIDSlots
}

// runNative runs program 0 of obj on a copy of memory and returns r0 and
// the memory afterwards.
func runNative(t *testing.T, obj *backend.Object, memory []byte) (uint64, []byte) {
	t.Helper()
	img, table, nslots := image(t, obj)
	dir := t.TempDir()
	imgPath, memPath := filepath.Join(dir, "image"), filepath.Join(dir, "memory")
	if err := os.WriteFile(imgPath, img, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(memPath, memory, 0o644); err != nil {
		t.Fatal(err)
	}
	entry := obj.Funcs[0].Offset
	out, err := exec.Command(runner(t), obj.ABI, imgPath, memPath, strconv.Itoa(entry), strconv.Itoa(table), strconv.Itoa(nslots)).CombinedOutput()
	if err != nil {
		t.Fatalf("runner: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	r0, err := strconv.ParseUint(lines[0], 16, 64)
	if err != nil {
		t.Fatalf("runner output %q", out)
	}
	var after []byte
	if len(lines) > 1 {
		fmt.Sscanf(lines[1], "%x", &after)
	}
	return r0, after
}

// moduleOf wraps raw bytecode in a module of one program.
func moduleOf(t *testing.T, code []byte) *ir.Module {
	t.Helper()
	insns, err := ir.Decode(code)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ir.NewProgram("test", insns, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &ir.Module{Programs: []*ir.Program{p}}
}

// TestConformanceNative compiles every conformance program for both ABIs,
// runs it natively and compares r0 with the expected result and the
// memory with what the SSA evaluator leaves.
func TestConformanceNative(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(conformanceDir, "*.data"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no conformance tests in %s", conformanceDir)
	}
	runner(t)
	// Unoptimized, constants reach the backend instead of being folded,
	// so every operation is executed by native code.
	var noOpt []string
	for _, name := range ssa.PassNames() {
		if !strings.Contains(name, "copyelim") && !strings.Contains(name, "deadcode") {
			noOpt = append(noOpt, name)
		}
	}
	for _, cfg := range []struct {
		abi     string
		disable []string
	}{{"sysv", nil}, {"windows", nil}, {"sysv", noOpt}, {"windows", noOpt}} {
		abi, name := cfg.abi, cfg.abi
		if cfg.disable != nil {
			name += "-noopt"
		}
		for _, path := range paths {
			test, err := conformance.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Run(name+"/"+test.Name, func(t *testing.T) {
				t.Parallel()
				mod := moduleOf(t, test.Program)
				obj, err := backend.Compile(mod, backend.Target{Arch: "amd64", ABI: abi}, backend.Options{Disable: cfg.disable})
				if err != nil {
					t.Fatal(err)
				}
				if test.ExpectError != "" {
					t.Skipf("expects error %q", test.ExpectError)
				}
				r0, _ := runNative(t, obj, append([]byte(nil), test.Memory...))
				if r0 != test.Result {
					t.Errorf("r0 = %#x, want %#x", r0, test.Result)
				}
			})
		}
	}
}

// TestPhiCycleNative runs a loop whose phis swap two registers on every
// iteration: the parallel copy on the back edge is a cycle that must go
// through a temporary.
func TestPhiCycleNative(t *testing.T) {
	runner(t)
	for _, abi := range []string{"sysv", "windows"} {
		obj, _ := compile(t, abi,
			asm.Mov.Imm(asm.R6, 1),
			asm.Mov.Imm(asm.R7, 2),
			asm.LoadMem(asm.R8, asm.R1, 0, asm.DWord), // iterations, from memory
			asm.Mov.Reg(asm.R9, asm.R6).WithSymbol("loop"),
			asm.Mov.Reg(asm.R6, asm.R7),
			asm.Mov.Reg(asm.R7, asm.R9),
			asm.Sub.Imm(asm.R8, 1),
			asm.JNE.Imm(asm.R8, 0, "loop"),
			asm.Mul.Imm(asm.R6, 10),
			asm.Add.Reg(asm.R6, asm.R7),
			asm.Mov.Reg(asm.R0, asm.R6),
			asm.Return())
		for n, want := range map[uint64]uint64{1: 21, 2: 12, 3: 21} {
			mem := binary.LittleEndian.AppendUint64(nil, n)
			if r0, _ := runNative(t, obj, mem); r0 != want {
				t.Errorf("%s: %d swaps: r0 = %d, want %d", abi, n, r0, want)
			}
		}
	}
}

// TestIdiomsNative runs the programs of TestOptimizedForms natively on
// edge-case and random inputs, under both ABIs.
func TestIdiomsNative(t *testing.T) {
	runner(t)
	inputs := [][2]uint64{{0, 0}, {1, 2}, {0xffffffffffffffff, 0x80000000}, {0x8000000000000001, 7}, {0x123456789abcdef0, 0xfedcba9876543210}, {255, 1}, {6, 0xdeadbeef}}
	for _, tc := range idiomPrograms {
		for _, abi := range []string{"sysv", "windows"} {
			t.Run(tc.name+"/"+abi, func(t *testing.T) {
				obj, _ := compile(t, abi, tc.insns...)
				for _, in := range inputs {
					mem := binary.LittleEndian.AppendUint64(binary.LittleEndian.AppendUint64(nil, in[0]), in[1])
					if r0, _ := runNative(t, obj, mem); r0 != tc.want(in[0], in[1]) {
						t.Errorf("(%#x, %#x): r0 = %#x, want %#x", in[0], in[1], r0, tc.want(in[0], in[1]))
					}
				}
			})
		}
	}
}
