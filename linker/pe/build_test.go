package pe_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	_ "github.com/bpf2native/bpf2native/backend/amd64"
	felf "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/linker/pe"
	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
)

// driver is one testdata object compiled and linked as a driver.
type driver struct {
	name string
	mod  *ir.Module
	obj  *backend.Object
	meta *metadata.Metadata
	sys  []byte
}

var (
	driversOnce sync.Once
	drivers     []*driver
	driversErr  error
)

// buildDriver compiles and links one object.
func buildDriver(file string) (*driver, error) {
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
	obj, err := backend.Compile(mod, backend.Target{Arch: "amd64", ABI: "windows"}, backend.Options{})
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
	return &driver{name: filepath.Base(file), mod: mod, obj: obj, meta: meta, sys: sys}, nil
}

// testDrivers links every testdata object (built once per test binary).
func testDrivers(t *testing.T) []*driver {
	t.Helper()
	driversOnce.Do(func() {
		files, err := filepath.Glob("../../testdata/*.o")
		if err != nil || len(files) == 0 {
			driversErr = err
			return
		}
		for _, f := range files {
			d, err := buildDriver(f)
			if err != nil {
				driversErr = err
				return
			}
			drivers = append(drivers, d)
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
	obj, err := backend.Compile(mod, backend.Target{Arch: "amd64", ABI: "windows"}, backend.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = pe.Link(obj, metadata.FromModule(mod, obj, raw), pe.Options{Name: "callx"})
	if !errors.Is(err, pe.ErrUnsupported) || !strings.Contains(err.Error(), "callx") {
		t.Fatalf("Link = %v, want ErrUnsupported naming callx", err)
	}
}
