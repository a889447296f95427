//go:build linux && (amd64 || arm64) && cgo

package pe_test

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"testing"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/interp"
	"github.com/bpf2native/bpf2native/linker/pe"
	"github.com/bpf2native/bpf2native/linker/pe/petest"
	"github.com/bpf2native/bpf2native/platform"
)

func inputs(t *testing.T) [][]byte {
	files, err := filepath.Glob("../../testdata/packets/*.bin")
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	rng := rand.New(rand.NewSource(1))
	for _, n := range []int{1, 14, 34, 54, 64, 100, 256, 1500} {
		p := make([]byte, n)
		rng.Read(p)
		if n >= 14 && rng.Intn(2) == 0 {
			p[12], p[13] = 0x08, 0x00
			if n >= 34 {
				p[14] = 0x45
				p[23] = []byte{6, 17, 1}[rng.Intn(3)]
			}
		}
		out = append(out, p)
	}
	return out
}

// TestLoadAndRun maps every testdata driver for this machine (amd64 or
// arm64) with the PE test loader, calls
// DriverEntry, finds the metadata table through the NMR attach, checks it
// against the metadata, binds helpers and maps as the runtime would, and
// runs every program on every input through the table, comparing r0, the
// packet and every map with the interpreter's. Then it unloads.
func TestLoadAndRun(t *testing.T) {
	plat, err := platform.Get("windows")
	if err != nil {
		t.Fatal(err)
	}
	packets := inputs(t)
	moduleID := [16]byte{0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8}
	compared := 0
	for _, d := range testDrivers(t) {
		if d.arch != runtime.GOARCH {
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			drv, err := petest.Load(d.sys)
			if err != nil {
				t.Fatal(err)
			}
			defer drv.Close()
			if err := drv.Start(moduleID); err != nil {
				t.Fatal(err)
			}
			if drv.Record.NpiID != pe.NativeModuleNPI {
				t.Errorf("registered for NPI %x", drv.Record.NpiID)
			}
			tbl, err := drv.Table()
			if err != nil {
				t.Fatal(err)
			}
			checkTable(t, d, tbl)

			nativeRT, err := host.New(d.mod, plat)
			if err != nil {
				t.Fatal(err)
			}
			inst, err := drv.Bind(tbl, d.mod, nativeRT)
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Close()
			interpRT, err := host.New(d.mod, plat)
			if err != nil {
				t.Fatal(err)
			}
			vm, err := interp.NewVM(interpRT, interp.Options{})
			if err != nil {
				t.Fatal(err)
			}
		programs:
			for pi, p := range d.mod.Programs {
				pt := plat.ProgramType(p.Type)
				if pt == nil {
					continue
				}
				for ii, packet := range packets {
					nctx, err1 := host.NewContext(pt, packet, nil)
					ictx, err2 := host.NewContext(pt, packet, nil)
					if err1 != nil || err2 != nil {
						t.Fatal(err1, err2)
					}
					want, ierr := vm.Run(pi, ictx)
					where := fmt.Sprintf("program %s, input %d", p.Name, ii)
					if ierr != nil {
						t.Logf("%s: interpreter: %v (not compared)", where, ierr)
						break programs
					}
					got, nerr := inst.Run(pi, nctx)
					if nerr != nil {
						t.Fatalf("%s: driver: %v", where, nerr)
					}
					compared++
					if got != want {
						t.Errorf("%s: r0 = %#x, interpreter %#x", where, got, want)
					}
					if !bytes.Equal(nctx.Packet(), ictx.Packet()) {
						t.Errorf("%s: packet differs", where)
					}
					if ns, is := nativeRT.Snapshot(), interpRT.Snapshot(); !reflect.DeepEqual(ns, is) {
						t.Fatalf("%s: maps differ:\ndriver %v\ninterp %v", where, ns, is)
					}
				}
			}
			if err := drv.Unload(); err != nil {
				t.Error(err)
			}
		})
	}
	if compared == 0 {
		t.Fatal("no run compared")
	}
	t.Logf("%d runs compared with the interpreter", compared)
}

// checkTable compares what the driver's metadata table returns with the
// metadata it was linked from.
func checkTable(t *testing.T, d *driver, tbl *petest.Table) {
	t.Helper()
	if tbl.Size != 56 {
		t.Errorf("table size %d", tbl.Size)
	}
	if tbl.Version != pe.Version {
		t.Errorf("version %v", tbl.Version)
	}
	if !bytes.Equal(tbl.Hash, d.meta.SourceSHA256[:]) {
		t.Errorf("hash %x, want %x", tbl.Hash, d.meta.SourceSHA256)
	}
	if len(tbl.Programs) != len(d.meta.Programs) {
		t.Fatalf("%d programs, want %d", len(tbl.Programs), len(d.meta.Programs))
	}
	for i, p := range tbl.Programs {
		m := d.meta.Programs[i]
		if p.Name != m.Name || p.Section != m.Section {
			t.Errorf("program %d: %s in %s, want %s in %s", i, p.Name, p.Section, m.Name, m.Section)
		}
		if p.Header != (petest.Header{Version: 1, Size: 154, TotalSize: 160}) {
			t.Errorf("program %s: header %+v", p.Name, p.Header)
		}
		if p.ProgramType != pe.ProgramTypeGUID(m.Type) || p.AttachType != pe.AttachTypeGUID(m.Section) {
			t.Errorf("program %s: types %x %x", p.Name, p.ProgramType, p.AttachType)
		}
		if p.InstructionCount != uint64(len(d.mod.Programs[i].Insns)) {
			t.Errorf("program %s: %d instructions", p.Name, p.InstructionCount)
		}
		var ids []int32
		for _, h := range p.Helpers {
			if h.ID != 0 {
				ids = append(ids, int32(h.ID))
				if h.Name == "" {
					t.Errorf("program %s: helper %d has no name", p.Name, h.ID)
				}
			}
		}
		if fmt.Sprint(ids) != fmt.Sprint(m.Helpers) && !(len(ids) == 0 && len(m.Helpers) == 0) {
			t.Errorf("program %s: helpers %v, want %v", p.Name, ids, m.Helpers)
		}
	}
	if len(tbl.Maps) < len(d.meta.Maps)+len(d.meta.Globals) {
		t.Fatalf("%d maps, want at least %d", len(tbl.Maps), len(d.meta.Maps)+len(d.meta.Globals))
	}
	for i, m := range d.meta.Maps {
		got := tbl.Maps[i]
		if got.Name != m.Name || got.Type != m.Type || got.KeySize != m.KeySize || got.ValueSize != m.ValueSize || got.MaxEntries != m.MaxEntries {
			t.Errorf("map %d: %+v, want %+v", i, got, m)
		}
	}
	if len(tbl.Globals) != len(d.meta.Globals) {
		t.Fatalf("%d globals, want %d", len(tbl.Globals), len(d.meta.Globals))
	}
	for i, g := range d.meta.Globals {
		if !bytes.Equal(tbl.Globals[i].Init, g.Init) {
			t.Errorf("global %s: initial data differs", g.Name)
		}
	}
}
