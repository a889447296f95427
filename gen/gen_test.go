//go:build !windows

package gen

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/collection"
	"github.com/bpf2native/bpf2native/compiler"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the generator's output")

func needClang(t *testing.T) {
	t.Helper()
	for _, tool := range []string{DefaultCC, DefaultStrip} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is required (make test installs it)", tool)
		}
	}
}

func plat(t *testing.T, name string) *platform.Platform {
	t.Helper()
	p, err := platform.Get(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// shapes generates the test package from testdata/shapes.c, copied to dir
// (the working directory paths in debug info are relative to).
func shapes(t *testing.T, dir string, edit func(*Options)) []File {
	t.Helper()
	src, err := os.ReadFile("testdata/shapes.c")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "shapes.c"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{
		Ident:    "Shapes",
		Source:   filepath.Join(dir, "shapes.c"),
		CFlags:   []string{"-mcpu=v3", "-Wall", "-Werror"},
		Workdir:  dir,
		Package:  "shapes",
		Platform: plat(t, platform.Windows),
		Types:    []string{"verdict"},
	}
	if edit != nil {
		edit(&opts)
	}
	files, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func fileNames(files []File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}

// TestGolden compares the generated Go files with testdata/golden (go test
// -update rewrites them). Native objects are not compared: they change
// with the backends; TestDeterministic and TestGeneratedPackage cover them.
func TestGolden(t *testing.T) {
	needClang(t)
	files := shapes(t, t.TempDir(), nil)
	want := []string{"shapes_bpf2native.go", "shapes_bpf2native_amd64.go", "shapes_bpf2native_amd64.o",
		"shapes_bpf2native_arm64.go", "shapes_bpf2native_arm64.o", "shapes_bpf2native_other.go", "shapes_bpfel.o"}
	if got := fileNames(files); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("files %v, want %v", got, want)
	}
	for _, f := range files {
		if !strings.HasSuffix(f.Name, ".go") {
			continue
		}
		golden := filepath.Join("testdata", "golden", f.Name+".golden")
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (go test ./gen -update writes it)", err)
		}
		if !bytes.Equal(f.Data, want) {
			t.Errorf("%s differs from %s (go test ./gen -update rewrites it):\n%s", f.Name, golden, f.Data)
		}
	}
}

// TestDeterministic generates twice, from copies of the source in two
// directories: every byte must be the same.
func TestDeterministic(t *testing.T) {
	needClang(t)
	a := shapes(t, t.TempDir(), nil)
	b := shapes(t, filepath.Join(t.TempDir()), nil)
	if len(a) != len(b) {
		t.Fatalf("%v vs %v", fileNames(a), fileNames(b))
	}
	for i := range a {
		if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
			t.Errorf("%s differs between two generations", a[i].Name)
		}
	}
}

// goModule writes files as package shapes of a module that builds against
// this checkout, and returns the package's directory.
func goModule(t *testing.T, files []File, extra map[string]string) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	gomod := "module example.com/m\n\ngo 1.26\n\nrequire github.com/bpf2native/bpf2native v0.0.0\n\nreplace github.com/bpf2native/bpf2native => " + root + "\n"
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(mod, "shapes")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(path string, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(mod, "go.mod"), []byte(gomod))
	write(filepath.Join(mod, "go.sum"), sum)
	if err := WriteFiles(dir, "shapes", files); err != nil {
		t.Fatal(err)
	}
	for name, src := range extra {
		write(filepath.Join(dir, name), []byte(src))
	}
	return dir
}

func goCmd(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=mod"), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s (%v): %v\n%s", strings.Join(args, " "), env, err, out)
	}
	return string(out)
}

// A test of the generated package, run in it: both engines, typed maps,
// array-typed globals, constants set before load.
const shapesTest = `package shapes

import (
	"maps"
	"testing"

	"github.com/bpf2native/bpf2native/collection"
)

func run(t *testing.T, e collection.Engine) (map[uint32]uint64, [4]uint32, uint64, []uint64) {
	spec, err := LoadShapesSpec()
	if err != nil {
		t.Fatal(err)
	}
	if spec.Variables.Limit.Get() != 1000 || spec.Variables.Mode.Get() != 2 {
		t.Fatalf("initial constants %d %d", spec.Variables.Limit.Get(), spec.Variables.Mode.Get())
	}
	spec.Variables.Limit.Set(3)
	o, err := spec.Load(collection.WithEngine(e))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if err := o.ByKey.Update(ShapesKey{Ifindex: 1, Proto: 2}, ShapesStats{Last: ShapesVerdictVERDICT_PASS}, collection.UpdateAny); err != nil {
		t.Fatal(err)
	}
	var verdicts []uint64
	for i := range 5 {
		ctx, err := o.First.NewContext(make([]byte, 64))
		if err != nil {
			t.Fatal(err)
		}
		ctx.Data()[24] = byte(i) // ingress_ifindex
		v, err := o.First.Run(ctx)
		if err != nil {
			t.Fatal(err)
		}
		verdicts = append(verdicts, v)
	}
	v, err := o.SecondProg.RunPacket(make([]byte, 10))
	if err != nil {
		t.Fatal(err)
	}
	verdicts = append(verdicts, v)
	s, err := o.ByKey.Lookup(ShapesKey{Ifindex: 1, Proto: 2})
	if err != nil || s.Packets != 1 {
		t.Errorf("by_key: %+v, %v", s, err)
	}
	return maps.Collect(o.PerSlot.Iterate()), o.History.Get(), o.Seen.Get(), verdicts
}

func TestEngines(t *testing.T) {
	engines := []collection.Engine{collection.EngineInterp}
	if collection.NativeSupported() {
		engines = append(engines, collection.EngineNative)
	}
	var first string
	for _, e := range engines {
		slots, history, seen, verdicts := run(t, e)
		if seen != 5 || verdicts[4] != 1 || verdicts[0] != 2 || verdicts[5] != 1 {
			t.Errorf("%v: seen %d, verdicts %v", e, seen, verdicts)
		}
		if history != [4]uint32{3, 3, 4, 5} || slots[0] != 2 {
			t.Errorf("%v: history %v, slots %v", e, history, slots)
		}
		got := fmt.Sprint(slots, history, seen, verdicts)
		if first == "" {
			first = got
		} else if got != first {
			t.Errorf("%v: %s, interpreter %s", e, got, first)
		}
	}
}
`

// TestGeneratedPackage builds, vets and runs a generated package: gofmt
// clean, go vet clean on Linux, Windows and macOS and without cgo, and
// the same results natively and under the interpreter.
func TestGeneratedPackage(t *testing.T) {
	needClang(t)
	if testing.Short() {
		t.Skip("builds a module")
	}
	files := shapes(t, t.TempDir(), nil)
	for _, f := range files {
		if strings.HasSuffix(f.Name, ".go") {
			if _, err := formatGo(f.Name, f.Data); err != nil {
				t.Fatal(err)
			}
		}
	}
	dir := goModule(t, files, map[string]string{"shapes_test.go": strings.Replace(shapesTest, "\"maps\"\n", "\"fmt\"\n\t\"maps\"\n", 1)})
	if out := goCmd(t, dir, nil, "run", "cmd/gofmt", "-l", "."); out != "" {
		t.Errorf("gofmt -l: %s", out)
	}
	for _, env := range [][]string{nil, {"GOOS=windows"}, {"GOOS=darwin", "GOARCH=arm64"}, {"CGO_ENABLED=0"}, {"GOARCH=arm64", "CGO_ENABLED=0"}} {
		goCmd(t, dir, env, "vet", ".")
	}
	goCmd(t, dir, nil, "test", "-count=1", ".")
	goCmd(t, dir, []string{collection.EngineEnv + "=interp"}, "test", "-count=1", ".")
}

// linuxXDP is an XDP program for Linux's numbering and context.
const linuxXDP = `//go:build ignore
struct xdp_md { unsigned int data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex; };
struct {
	int (*type)[2];
	unsigned int *key;
	unsigned long long *value;
	int (*max_entries)[8];
} per_if __attribute__((section(".maps"), used));
unsigned long long packets;
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
__attribute__((section("xdp"), used)) int count(struct xdp_md *ctx)
{
	unsigned int i = ctx->ingress_ifindex & 7;
	unsigned long long *n = bpf_map_lookup_elem(&per_if, &i);
	if (n)
		*n += 1;
	packets++;
	return 2;
}
char _license[] __attribute__((section("license"), used)) = "MIT";
`

// TestKernelBindings writes bpf2go's bindings beside an interpreter-only
// package for Linux numbering: they must build and vet with it.
func TestKernelBindings(t *testing.T) {
	needClang(t)
	if testing.Short() {
		t.Skip("builds a module")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "linux.c"), []byte(linuxXDP), 0o644)
	files, err := Generate(Options{Ident: "Shapes", Source: filepath.Join(dir, "linux.c"), Workdir: dir, Package: "shapes",
		Platform: plat(t, platform.Linux), NoNative: true, Kernel: true})
	if err != nil {
		t.Fatal(err)
	}
	want := "shapes_bpf2native.go shapes_bpf2native_other.go shapes_bpfel.o shapes_kernel_bpfel.go"
	if got := strings.Join(fileNames(files), " "); got != want {
		t.Fatalf("files %s, want %s", got, want)
	}
	for _, f := range files {
		if f.Name == "shapes_kernel_bpfel.go" && !bytes.Contains(f.Data, []byte("func LoadShapesKernel()")) {
			t.Errorf("kernel bindings without LoadShapesKernel:\n%s", f.Data)
		}
		if f.Name == "shapes_bpf2native_other.go" && bytes.Contains(f.Data, []byte("go:build")) {
			t.Errorf("interpreter-only package with a build constraint:\n%s", f.Data)
		}
	}
	pkg := goModule(t, files, nil)
	goCmd(t, pkg, nil, "vet", ".")
	goCmd(t, pkg, []string{"GOOS=windows"}, "vet", ".")
}

// Native code cannot serve Linux's 32-bit packet pointers yet: refused
// rather than generated to fault.
func TestLinuxPacketPointersRefused(t *testing.T) {
	needClang(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "linux.c"), []byte(linuxXDP), 0o644)
	_, err := Generate(Options{Ident: "Linux", Source: filepath.Join(dir, "linux.c"), Workdir: dir, Package: "linux", Platform: plat(t, platform.Linux)})
	if err == nil || !strings.Contains(err.Error(), "32-bit packet pointers") {
		t.Errorf("got %v, want a refusal naming 32-bit packet pointers", err)
	}
}

func TestWindowsNeedsDriver(t *testing.T) {
	needClang(t)
	dir := t.TempDir()
	src, _ := os.ReadFile("testdata/shapes.c")
	os.WriteFile(filepath.Join(dir, "shapes.c"), src, 0o644)
	opts := Options{Ident: "Shapes", Source: filepath.Join(dir, "shapes.c"), Workdir: dir, Package: "shapes", Platform: plat(t, platform.Windows), Windows: true, Arches: []string{"amd64"}}
	if _, err := Generate(opts); !errors.Is(err, ErrNoDriver) {
		t.Errorf("--windows without a driver linker: %v, want ErrNoDriver", err)
	}
	var got []string
	opts.Driver = func(arch string, res *compiler.Result, mod *ir.Module) ([]byte, error) {
		got = append(got, arch+"/"+res.Object.ABI)
		return []byte("MZ"), nil
	}
	files, err := Generate(opts)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "amd64/windows" || !strings.Contains(strings.Join(fileNames(files), " "), "shapes_windows_amd64.sys") {
		t.Errorf("driver calls %v, files %v", got, fileNames(files))
	}
}

func TestRejectedProgram(t *testing.T) {
	needClang(t)
	dir := t.TempDir()
	src := `//go:build ignore
struct xdp_md { void *data; void *data_end; };
__attribute__((section("xdp"), used)) int bad(struct xdp_md *ctx) { return *(unsigned char *)ctx->data; }
char _license[] __attribute__((section("license"), used)) = "MIT";
`
	os.WriteFile(filepath.Join(dir, "bad.c"), []byte(src), 0o644)
	_, err := Generate(Options{Ident: "Bad", Source: filepath.Join(dir, "bad.c"), Workdir: dir, Package: "bad", Platform: plat(t, platform.Windows)})
	var rejected *RejectedError
	if !errors.As(err, &rejected) || len(rejected.Verification.Diagnostics()) == 0 {
		t.Errorf("unchecked packet read: %v, want a RejectedError with diagnostics", err)
	}
}

func TestWriteFilesRemovesStale(t *testing.T) {
	dir := t.TempDir()
	old := []File{{"x_bpf2native.go", []byte("a")}, {"x_bpf2native_arm64.go", []byte("b")}, {"x_bpf2native_arm64.o", []byte("c")}, {"x_bpfel.o", []byte("d")}}
	if err := WriteFiles(dir, "x", old); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "mine.go"), []byte("package x"), 0o644)
	if err := WriteFiles(dir, "x", old[:1]); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	// x_bpfel.o is not removed: with a .o input it may be the user's own.
	if want := "mine.go x_bpf2native.go x_bpfel.o"; strings.Join(got, " ") != want {
		t.Errorf("left %v, want %s", got, want)
	}
}

func TestIdentifier(t *testing.T) {
	for in, want := range map[string]string{"min_len": "MinLen", "count_packets": "CountPackets", "_x": "X", "ab__c": "AbC", "HTTP_port": "HTTP_port", "v4": "V4"} {
		if got := identifier(in); got != want {
			t.Errorf("identifier(%q) = %q, want %q", in, got, want)
		}
	}
}
