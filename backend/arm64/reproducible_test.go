package arm64_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/bpf2native/bpf2native/backend"
	_ "github.com/bpf2native/bpf2native/backend/amd64"
	"github.com/bpf2native/bpf2native/conformance"
	felf "github.com/bpf2native/bpf2native/frontend/elf"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/ssa"
)

// TestReproducible compiles every testdata object (for arm64 and amd64,
// linked into ELF objects) and every conformance program (arm64) twice and
// checks that the bytes agree. With BPF2NATIVE_DIGEST set it writes one
// "name sha256" line per output to that file: make test-arm64 writes it
// once from an amd64 test binary and once from an arm64 one under
// qemu-aarch64 and compares the two, which proves that cross-compiled
// code is the code an arm64 host would produce.
func TestReproducible(t *testing.T) {
	plat, err := platform.Get("windows")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("../../testdata/*.o")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata objects: %v", err)
	}
	var digest bytes.Buffer
	record := func(name string, build func() ([]byte, error)) {
		a, err := build()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := build()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two compilations differ", name)
		}
		fmt.Fprintf(&digest, "%s %x\n", name, sha256.Sum256(a))
	}
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, arch := range []string{"arm64", "amd64"} {
			record(arch+"/"+filepath.Base(file), func() ([]byte, error) {
				mod, err := felf.Load(file, src, plat)
				if err != nil {
					return nil, err
				}
				obj, err := backend.Compile(mod, backend.Target{Arch: arch}, backend.Options{})
				if err != nil {
					return nil, err
				}
				return elflink.Link(obj, metadata.FromModule(mod, obj, src))
			})
		}
	}
	paths, err := filepath.Glob(filepath.Join(conformanceDir, "*.data"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no conformance tests in %s", conformanceDir)
	}
	for _, path := range paths {
		test, err := conformance.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		record("arm64/conformance/"+test.Name, func() ([]byte, error) {
			obj, err := backend.Compile(moduleOf(t, test.Program), backend.Target{Arch: "arm64"}, backend.Options{})
			if errors.Is(err, ssa.ErrUnsupported) {
				return []byte(err.Error()), nil
			}
			if err != nil {
				return nil, err
			}
			return obj.Text, nil
		})
	}
	if out := os.Getenv("BPF2NATIVE_DIGEST"); out != "" {
		if err := os.WriteFile(out, digest.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
