//go:build linux && (amd64 || arm64) && cgo

package loader

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	_ "github.com/bpf2native/bpf2native/backend/amd64"
	_ "github.com/bpf2native/bpf2native/backend/arm64"
	felf "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/interp"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
)

// inputs returns the packets every program runs on: the committed ones,
// edge sizes and random ones (seeded, so failures reproduce).
func inputs(t *testing.T) [][]byte {
	files, err := filepath.Glob("../testdata/packets/*.bin")
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
	for _, n := range []int{1, 2, 14, 20, 34, 54, 64, 64, 100, 128, 256, 1500} {
		p := make([]byte, n)
		rng.Read(p)
		if n >= 14 && rng.Intn(2) == 0 {
			p[12], p[13] = 0x08, 0x00 // IPv4 ethertype, so parsers go deeper
			if n >= 34 {
				p[14] = 0x45
				p[23] = []byte{6, 17, 1}[rng.Intn(3)]
			}
		}
		out = append(out, p)
	}
	return out
}

// hostCompileTarget is the code this process can run.
func hostCompileTarget() backend.Target {
	return backend.Target{Arch: runtime.GOARCH, ABI: hostTarget[runtime.GOARCH]}
}

// TestEndToEnd compiles every testdata object with the code generator for
// this machine (amd64, or arm64 natively or under qemu-aarch64),
// links it with linker/elf, loads the ELF file and runs every program on
// every input natively and in the interpreter, each against its own
// runtime: r0, the packet and every map must agree after each run.
func TestEndToEnd(t *testing.T) {
	plat, err := platform.Get("windows")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../testdata/*.o")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata objects: %v", err)
	}
	packets := inputs(t)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			mod, err := felf.Load(file, src, plat)
			if err != nil {
				t.Fatal(err)
			}
			obj, err := backend.Compile(mod, hostCompileTarget(), backend.Options{})
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			data, err := elflink.Link(obj, metadata.FromModule(mod, obj, src))
			if err != nil {
				t.Fatalf("link: %v", err)
			}
			nativeRT, err := host.New(mod, plat)
			if err != nil {
				t.Fatal(err)
			}
			img, err := LoadELF(data, mod, nativeRT)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			defer img.Close()
			interpRT, err := host.New(mod, plat)
			if err != nil {
				t.Fatal(err)
			}
			vm, err := interp.NewVM(interpRT, interp.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for pi, p := range mod.Programs {
				pt := plat.ProgramType(p.Type)
				if pt == nil {
					t.Logf("program %s: no program type, skipped", p.Name)
					continue
				}
				for ii, packet := range packets {
					nctx, err1 := host.NewContext(pt, packet, nil)
					ictx, err2 := host.NewContext(pt, packet, nil)
					if err1 != nil || err2 != nil {
						t.Fatal(err1, err2)
					}
					want, ierr := vm.Run(pi, ictx)
					got, nerr := img.Run(pi, nctx)
					where := fmt.Sprintf("program %s, input %d (%d bytes)", p.Name, ii, len(packet))
					if ierr != nil {
						// A fault in the interpreter is a program the
						// verifier would reject; native code may do
						// anything, so stop comparing this object.
						t.Logf("%s: interpreter: %v (not compared)", where, ierr)
						return
					}
					if nerr != nil {
						t.Fatalf("%s: native: %v", where, nerr)
					}
					if got != want {
						t.Errorf("%s: r0 = %#x, interpreter %#x", where, got, want)
					}
					if !bytes.Equal(nctx.Packet(), ictx.Packet()) {
						t.Errorf("%s: packet differs:\nnative %x\ninterp %x", where, nctx.Packet(), ictx.Packet())
					}
					if ns, is := nativeRT.Snapshot(), interpRT.Snapshot(); !reflect.DeepEqual(ns, is) {
						t.Fatalf("%s: maps differ:\nnative %s\ninterp %s", where, dump(ns), dump(is))
					}
				}
			}
		})
	}
}

func dump(s []host.MapSnapshot) string {
	var b strings.Builder
	for _, m := range s {
		fmt.Fprintf(&b, "%s:", m.Name)
		for _, e := range m.Entries {
			fmt.Fprintf(&b, " %x=%x", e.Key, e.Value)
		}
		b.WriteString("\n")
	}
	return b.String()
}
