package elf_test

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/linker/elf/elftest"
	"github.com/bpf2native/bpf2native/metadata"
)

// hostile has names that are not C identifiers, clash once made into
// identifiers, or would end a comment or splice lines.
func hostile() *metadata.Metadata {
	return &metadata.Metadata{
		Platform: "windows", Arch: "amd64", ABI: "sysv",
		Programs: []metadata.Program{
			{Name: "ok_prog", Section: "xdp */ int x; /*", Type: "xdp", Entry: "ok_prog", Helpers: []int32{1, 777}},
			{Name: "not.c", Section: "s\\", Entry: "not.c"},
			{Name: "missing", Section: "xdp"},
		},
		Maps:    []metadata.Map{{Name: "_data", Kind: "array", KeySize: 4, ValueSize: 4, MaxEntries: 1}, {Name: "1st\\", Kind: "hash"}},
		Globals: []metadata.Global{{Name: ".data", Size: 13, Init: []byte("hello, world\x00")}, {Name: ".bss", Size: 0}},
		Helpers: []metadata.Helper{{ID: 1, Name: "bpf_map_lookup_elem"}, {ID: 777}},
		Slots:   []metadata.Slot{{Kind: metadata.SlotMap, Index: 0}, {Kind: metadata.SlotGlobal, Index: 0}, {Kind: metadata.SlotMap, Index: 1}, {Kind: metadata.SlotGlobal, Index: 1}},
	}
}

func TestHeaderCompiles(t *testing.T) {
	elftestMeta := metadata.FromModule(elftest.Module(), elftest.Object(), nil)
	callx := hostile()
	callx.HelperIDSlots = 256
	for name, tc := range map[string]struct {
		meta  *metadata.Metadata
		guard string
		want  []string
	}{
		"elftest": {elftestMeta, "ELFTEST_H", []string{
			"uint64_t tail_loop(void *ctx);",
			"BPF2NATIVE_HELPER_bpf_get_prandom_u32 = 2, /* helper id 6 */",
			"BPF2NATIVE_MAP__data = 2,",
			"extern bpf2native_helper_fn bpf2native_helpers[3];",
			"extern void *bpf2native_map_values[3];",
			"#define BPF2NATIVE_GLOBAL__data_SIZE 8",
		}},
		"hostile": {hostile(), "my-header.h", []string{
			"#ifndef my_header_h",
			"BPF2NATIVE_MAP__data_0 = 0,",
			"BPF2NATIVE_MAP__data_1 = 1,",
			"BPF2NATIVE_MAP__1st_ = 2,",
			"BPF2NATIVE_HELPER_helper_777 = 1,",
			"#define BPF2NATIVE_PROGRAMS { ok_prog, 0, 0 }",
		}},
		"callx": {callx, "", []string{
			"#define BPF2NATIVE_HELPER_ID_SLOTS 256",
			"extern bpf2native_helper_id_fn bpf2native_helper_ids[256];",
		}},
		"empty": {&metadata.Metadata{}, "", []string{"#define BPF2NATIVE_MAP_COUNT 0", "#ifndef BPF2NATIVE_H"}},
	} {
		t.Run(name, func(t *testing.T) {
			h := elflink.Header(tc.meta, tc.guard)
			if string(h) != string(elflink.Header(tc.meta, tc.guard)) {
				t.Error("Header is not deterministic")
			}
			for _, w := range tc.want {
				if !strings.Contains(string(h), w) {
					t.Errorf("header lacks %q:\n%s", w, h)
				}
			}
			dir := t.TempDir()
			write(t, filepath.Join(dir, "gen.h"), h)
			// Included twice: the guard must hold.
			src := "#include \"gen.h\"\n#include \"gen.h\"\nint main(void) { return BPF2NATIVE_MAP_COUNT + BPF2NATIVE_HELPER_COUNT + BPF2NATIVE_PROGRAM_COUNT > 1000; }\n"
			write(t, filepath.Join(dir, "main.c"), []byte(src))
			for _, std := range []string{"-std=c99", "-std=c11", "-std=gnu17"} {
				out, err := exec.Command("gcc", std, "-Wall", "-Wextra", "-Werror", "-pedantic", "-c", filepath.Join(dir, "main.c"), "-o", filepath.Join(dir, "main.o")).CombinedOutput()
				if err != nil {
					t.Fatalf("gcc %s: %v\n%s\n%s", std, err, out, h)
				}
			}
			write(t, filepath.Join(dir, "main.cc"), []byte(src))
			if out, err := exec.Command("g++", "-Wall", "-Werror", "-c", filepath.Join(dir, "main.cc"), "-o", filepath.Join(dir, "main.o")).CombinedOutput(); err != nil {
				if _, lookErr := exec.LookPath("g++"); lookErr == nil {
					t.Fatalf("g++: %v\n%s", err, out)
				}
			}
		})
	}
}
