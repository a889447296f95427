package pe_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	_ "github.com/bpf2native/bpf2native/backend/amd64"
	_ "github.com/bpf2native/bpf2native/backend/arm64"
	felf "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/linker/pe"
	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
)

// driverArches are the arches every testdata object is linked for.
var driverArches = []string{"amd64", "arm64"}

// driver is one testdata object compiled and linked as a driver.
type driver struct {
	// name is the object's file name, arch the driver's; id is both, to
	// name the driver in messages.
	name, arch, id string
	mod            *ir.Module
	obj            *backend.Object
	meta           *metadata.Metadata
	sys            []byte
}

var (
	driversOnce sync.Once
	drivers     []*driver
	driversErr  error
)

// buildDriver compiles and links one object for arch.
func buildDriver(file, arch string) (*driver, error) {
	plat, err := platform.Get("windows")
	if err != nil {
		return nil, err
	}
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	mod, err := felf.Load(file, src, plat)
	if err != nil {
		return nil, err
	}
	obj, err := backend.Compile(mod, backend.Target{Arch: arch, ABI: "windows"}, backend.Options{})
	if err != nil {
		return nil, err
	}
	meta := metadata.FromModule(mod, obj, src)
	var counts []int
	for _, p := range mod.Programs {
		counts = append(counts, len(p.Insns))
	}
	sys, err := pe.Link(obj, meta, pe.Options{Name: filepath.Base(file), InstructionCounts: counts})
	if err != nil {
		return nil, err
	}
	name := filepath.Base(file)
	return &driver{name: name, arch: arch, id: arch + "/" + name, mod: mod, obj: obj, meta: meta, sys: sys}, nil
}

// testDrivers links every testdata object for every arch of driverArches
// (built once per test binary).
func testDrivers(t *testing.T) []*driver {
	t.Helper()
	driversOnce.Do(func() {
		files, err := filepath.Glob("../../testdata/*.o")
		if err != nil || len(files) == 0 {
			driversErr = err
			return
		}
		for _, arch := range driverArches {
			for _, f := range files {
				d, err := buildDriver(f, arch)
				if err != nil {
					driversErr = fmt.Errorf("%s/%s: %w", arch, filepath.Base(f), err)
					return
				}
				drivers = append(drivers, d)
			}
		}
	})
	if driversErr != nil || len(drivers) == 0 {
		t.Fatalf("building drivers: %v (%d built)", driversErr, len(drivers))
	}
	return drivers
}

// TestCallxRefused links code that calls helpers by id (callx): ebpf-for-
// windows has no table of helpers by id, so Link refuses it by name.
func TestCallxRefused(t *testing.T) {
	for _, arch := range driverArches {
		t.Run(arch, func(t *testing.T) { testCallxRefused(t, arch) })
	}
}

func testCallxRefused(t *testing.T, arch string) {
	raw := []byte{
		0x79, 0x12, 0, 0, 0, 0, 0, 0, // r2 = *(u64 *)(r1 + 0)
		0x8d, 0x02, 0, 0, 0, 0, 0, 0, // callx r2
		0x95, 0, 0, 0, 0, 0, 0, 0, // exit
	}
	insns, err := ir.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ir.NewProgram("callx", insns, nil)
	if err != nil {
		t.Fatal(err)
	}
	mod := &ir.Module{Source: "callx", Platform: platform.Windows, Programs: []*ir.Program{p}}
	obj, err := backend.Compile(mod, backend.Target{Arch: arch, ABI: "windows"}, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = pe.Link(obj, metadata.FromModule(mod, obj, raw), pe.Options{Name: "callx"})
	if !errors.Is(err, pe.ErrUnsupported) || !strings.Contains(err.Error(), "callx") {
		t.Fatalf("Link = %v, want ErrUnsupported naming callx", err)
	}
}

// TestWrongABIRefused links code compiled for another convention than the
// Windows one of its arch: a driver's code must follow the kernel's.
func TestWrongABIRefused(t *testing.T) {
	plat, err := platform.Get("windows")
	if err != nil {
		t.Fatal(err)
	}
	file := "../../testdata/xdp_parse.o"
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := felf.Load(file, src, plat)
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []backend.Target{{Arch: "amd64", ABI: "sysv"}, {Arch: "arm64", ABI: "aapcs64"}} {
		obj, err := backend.Compile(mod, target, backend.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = pe.Link(obj, metadata.FromModule(mod, obj, src), pe.Options{})
		if !errors.Is(err, pe.ErrInvalidObject) || !strings.Contains(err.Error(), target.ABI) {
			t.Errorf("%s/%s: Link = %v, want ErrInvalidObject naming the ABI", target.Arch, target.ABI, err)
		}
	}
}
