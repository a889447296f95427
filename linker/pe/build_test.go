package pe_test

import (
	"os"
	"path/filepath"
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
