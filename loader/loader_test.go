//go:build linux && amd64 && cgo

package loader

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/linker/elf/elftest"
	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
)

func newRuntime(t *testing.T, mod *ir.Module) *host.Runtime {
	t.Helper()
	plat, err := platform.Get(mod.Platform)
	if err != nil {
		t.Fatal(err)
	}
	rt, err := host.New(mod, plat)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

func newContext(t *testing.T, rt *host.Runtime, packet []byte) *host.Context {
	t.Helper()
	pt := rt.Platform.ProgramType("xdp")
	ctx, err := host.NewContext(pt, packet, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// loaders are the two ways in: the Object itself, and the ELF file
// linker/elf makes of it.
var loaders = map[string]func(t *testing.T, obj *backend.Object, mod *ir.Module, rt *host.Runtime) (*Image, error){
	"object": func(t *testing.T, obj *backend.Object, mod *ir.Module, rt *host.Runtime) (*Image, error) {
		return Load(obj, mod, rt)
	},
	"elf": func(t *testing.T, obj *backend.Object, mod *ir.Module, rt *host.Runtime) (*Image, error) {
		data, err := elflink.Link(obj, metadata.FromModule(mod, obj, []byte("elftest")))
		if err != nil {
			t.Fatal(err)
		}
		return LoadELF(data, mod, rt)
	},
}

func TestRun(t *testing.T) {
	for name, load := range loaders {
		t.Run(name, func(t *testing.T) {
			mod := elftest.Module()
			rt := newRuntime(t, mod)
			img, err := load(t, elftest.Object(), mod, rt)
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()

			// What the runtime's own helpers give, from a second runtime
			// in the same state.
			ref := newRuntime(t, mod)
			wantRandom, err := ref.CallHelper(&host.Call{ID: 6})
			if err != nil {
				t.Fatal(err)
			}
			const value = 0x0102030405060708
			if err := rt.Maps[elftest.MapValues].Update([]byte{1, 0, 0, 0}, binary.LittleEndian.AppendUint64(nil, value), host.UpdateAny); err != nil {
				t.Fatal(err)
			}
			run := func(prog int, first byte) uint64 {
				t.Helper()
				packet := append([]byte(nil), elftest.Packet...)
				packet[0] = first
				got, err := img.Run(prog, newContext(t, rt, packet))
				if err != nil {
					t.Fatalf("%s: %v", elftest.Names[prog], err)
				}
				return got
			}
			data := func() uint64 {
				v, ok := rt.Maps[elftest.MapData].Lookup([]byte{0, 0, 0, 0})
				if !ok {
					t.Fatal(".data has no value")
				}
				return binary.LittleEndian.Uint64(v)
			}
			for _, tc := range []struct {
				prog  int
				first byte
				want  uint64
			}{
				{elftest.RetConst, 0, 42},
				{elftest.PacketByte, 0, uint64(elftest.Packet[2])},
				{elftest.Prandom, 0, wantRandom},
				{elftest.Lookup, 0, value},
				{elftest.Global, 0, elftest.DataInit},
				{elftest.TailDispatch, 0, 200}, // jump[0] = tail_target: 200 + packet[0]
				{elftest.TailDispatch, 1, 300}, // jump[1] is empty: the call fails
				{elftest.TailDispatch, 9, 300}, // out of range
				{elftest.TailTarget, 17, 217},  //
				{elftest.TailDispatch, 2, 7},   // into tail_loop until the limit
				{elftest.TailLoop, 0, 7},       // again, from the start
				{elftest.Global, 0, elftest.DataInit + 33 + 34},
			} {
				if got := run(tc.prog, tc.first); got != tc.want {
					t.Errorf("%s(packet[0]=%d) = %#x, want %#x", elftest.Names[tc.prog], tc.first, got, tc.want)
				}
			}
			// tail_dispatch/2 ran tail_loop 33 times (its own tail call
			// was the first of 33); tail_loop alone runs 1 + 33 times.
			if got := data(); got != elftest.DataInit+33+34 {
				t.Errorf(".data = %d, want %d", got, elftest.DataInit+33+34)
			}
			// A lookup that misses returns null to the code.
			if err := rt.Maps[elftest.MapValues].Update([]byte{1, 0, 0, 0}, make([]byte, 8), host.UpdateAny); err != nil {
				t.Fatal(err)
			}
			if got := run(elftest.Lookup, 0); got != 0 {
				t.Errorf("lookup of a zeroed value = %#x", got)
			}
		})
	}
}

// TestWX checks the mappings in /proc/self/maps: code read+execute, tables
// read-only, nothing of the image ever writable and executable.
func TestWX(t *testing.T) {
	mod := elftest.Module()
	rt := newRuntime(t, mod)
	obj := elftest.Object()
	img, err := Load(obj, mod, rt)
	if err != nil {
		t.Fatal(err)
	}
	code := img.CodeAddr()
	page := uintptr(syscall.Getpagesize())
	tables := code + (uintptr(len(obj.Text))+page-1)/page*page
	if perms := mappingPerms(t, code); perms != "r-xp" {
		t.Errorf("code mapping is %s, want r-xp", perms)
	}
	if perms := mappingPerms(t, tables); perms != "r--p" {
		t.Errorf("table mapping is %s, want r--p", perms)
	}
	// The code can still run, and the tables hold what it needs.
	if got, err := img.Run(elftest.Global, newContext(t, rt, elftest.Packet)); err != nil || got != elftest.DataInit {
		t.Errorf("global = %#x, %v", got, err)
	}
	if err := img.Close(); err != nil {
		t.Fatal(err)
	}
	if perms := mappingPerms(t, code); perms != "" {
		t.Errorf("after Close the code is still mapped (%s)", perms)
	}
	if _, err := img.Run(elftest.RetConst, newContext(t, rt, elftest.Packet)); !errors.Is(err, ErrClosed) {
		t.Errorf("Run after Close: err = %v, want ErrClosed", err)
	}
	if err := img.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// mappingPerms returns the permissions of the mapping holding addr, or "".
func mappingPerms(t *testing.T, addr uintptr) string {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok {
			continue
		}
		l, err1 := strconv.ParseUint(lo, 16, 64)
		h, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("bad line %q", s.Text())
		}
		if uint64(addr) >= l && uint64(addr) < h {
			return fields[1]
		}
	}
	return ""
}

// TestHelperAbort checks that a helper error or panic ends the run with
// the error, and that the next run is unaffected.
func TestHelperAbort(t *testing.T) {
	mod := elftest.Module()
	rt := newRuntime(t, mod)
	img, err := Load(elftest.Object(), mod, rt)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	ctx := newContext(t, rt, elftest.Packet)
	sentinel := errors.New("no such map")
	rt.Bind(6, "bpf_get_prandom_u32", func(c *host.Call) (uint64, error) { return 0, sentinel })
	if _, err := img.Run(elftest.Prandom, ctx); !errors.Is(err, sentinel) || !strings.Contains(err.Error(), "program prandom") {
		t.Errorf("err = %v, want the helper's error with the program's name", err)
	}
	rt.Bind(6, "bpf_get_prandom_u32", func(c *host.Call) (uint64, error) { panic("boom") })
	if _, err := img.Run(elftest.Prandom, ctx); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("err = %v, want the panic", err)
	}
	rt.Bind(6, "bpf_get_prandom_u32", func(c *host.Call) (uint64, error) {
		if _, ok := c.Mem.(unchecked); !ok {
			return 0, fmt.Errorf("memory is %T", c.Mem)
		}
		return 77, nil
	})
	if got, err := img.Run(elftest.Prandom, ctx); err != nil || got != 77 {
		t.Errorf("after aborted runs: %d, %v", got, err)
	}
	// An unbound helper id aborts too (ids the platform lacks).
	obj := elftest.Object()
	obj.Helpers = []int32{1, 5, 4000}
	img2, err := Load(obj, mod, rt)
	if err != nil {
		t.Fatal(err)
	}
	defer img2.Close()
	if _, err := img2.Run(elftest.Prandom, ctx); err == nil || !strings.Contains(err.Error(), "helper 4000") {
		t.Errorf("unbound helper: err = %v", err)
	}
}

func TestUnchecked(t *testing.T) {
	// A heap buffer: the compiler may place a constant []byte that it
	// sees no writes to in read-only data.
	buf := make([]byte, 5, 8)
	copy(buf, "hello")
	b, err := unchecked{}.Bytes(host.Addr(buf), 5, false)
	if err != nil || string(b) != "hello" {
		t.Fatalf("Bytes = %q, %v", b, err)
	}
	b[0] = 'j'
	if string(buf) != "jello" {
		t.Error("the view does not alias the memory")
	}
	for _, tc := range []struct{ addr, n uint64 }{{0, 1}, {16, 4}, {^uint64(0) - 2, 8}} {
		if _, err := (unchecked{}).Bytes(tc.addr, tc.n, false); err == nil {
			t.Errorf("Bytes(%#x, %d) accepted", tc.addr, tc.n)
		}
	}
	if b, err := (unchecked{}).Bytes(0, 0, false); b != nil || err != nil {
		t.Errorf("empty access = %v, %v", b, err)
	}
}

func TestLoadRejects(t *testing.T) {
	mod := elftest.Module()
	rt := newRuntime(t, mod)
	for _, tc := range []struct {
		name   string
		mutate func(*backend.Object)
		want   string
	}{
		{"arch", func(o *backend.Object) { o.Arch = "arm64" }, "code for another machine"},
		{"abi", func(o *backend.Object) { o.ABI = "windows" }, "code for another machine"},
		{"map slot", func(o *backend.Object) { o.Maps[0] = 7 }, "map slot 0"},
		{"reloc slot", func(o *backend.Object) { o.Relocs[0].Slot = 5 }, "slot 5"},
		{"reloc table", func(o *backend.Object) { o.Relocs[0].Table = 9 }, "unknown table"},
		{"reloc helper ids", func(o *backend.Object) { o.Relocs[0].Table = backend.HelperIDTable }, "outside the 0-slot helper_ids table"},
		{"reloc offset", func(o *backend.Object) { o.Relocs[0].Offset = len(o.Text) }, "outside"},
		{"func", func(o *backend.Object) { o.Funcs[0].Size = 1 << 20 }, "outside"},
		{"program", func(o *backend.Object) { o.Funcs[0].Program = 99 }, "program 99"},
		{"helpers", func(o *backend.Object) { o.Helpers = make([]int32, 300) }, "at most 256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obj := elftest.Object()
			tc.mutate(obj)
			if img, err := Load(obj, mod, rt); err == nil || !strings.Contains(err.Error(), tc.want) {
				if img != nil {
					img.Close()
				}
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := Load(elftest.Object(), mod, nil); err == nil {
		t.Error("nil runtime accepted")
	}
	other := elftest.Module()
	other.Maps = other.Maps[:2]
	if _, err := Load(elftest.Object(), other, rt); err == nil {
		t.Error("runtime of another module accepted")
	}
}

func TestLoadELFRejects(t *testing.T) {
	mod := elftest.Module()
	obj := elftest.Object()
	data, err := elflink.Link(obj, metadata.FromModule(mod, obj, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		mutate func(*ir.Module)
		want   string
	}{
		{"platform", func(m *ir.Module) { m.Platform = "linux" }, "platform"},
		{"program", func(m *ir.Module) { m.Programs[3].Name = "renamed" }, "program lookup"},
		{"map", func(m *ir.Module) { m.Maps[1].Name = "renamed" }, "map values"},
		{"map size", func(m *ir.Module) { m.Maps[1].ValueSize = 16 }, "differs"},
		{"global", func(m *ir.Module) { m.Maps[2].Section = ".rodata" }, "global .data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := elftest.Module()
			tc.mutate(m)
			plat, _ := platform.Get("windows")
			rt, err := host.New(m, plat)
			if err != nil {
				t.Fatal(err)
			}
			if img, err := LoadELF(data, m, rt); err == nil || !strings.Contains(err.Error(), tc.want) {
				if img != nil {
					img.Close()
				}
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	if _, err := LoadELF(data[:64], mod, newRuntime(t, mod)); err == nil {
		t.Error("truncated ELF accepted")
	}
}
