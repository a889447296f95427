package metadata

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/linker/elf/elftest"
)

var update = flag.Bool("update", false, "rewrite the FuzzUnmarshal seed corpus")

// sample uses every field with a value that is not the zero value, so a
// field the encoding forgets cannot round-trip by accident.
func sample() *Metadata {
	inner := &Map{Name: "inner", Type: 2, Kind: "array", KeySize: 4, ValueSize: 16, MaxEntries: 2, Flags: 1}
	return &Metadata{
		Platform: "windows", Arch: "amd64", ABI: "sysv",
		SourceSHA256: sha256.Sum256([]byte("source")),
		Programs: []Program{
			{Name: "xdp_prog", Section: "xdp", Type: "xdp", Entry: "xdp_prog", Helpers: []int32{1, 5}, Maps: []int{0, 1}, Globals: []int{0}},
			{Name: "bind_prog", Section: "bind", Type: "", Entry: "", Helpers: []int32{-1}},
		},
		Maps: []Map{
			{Name: "outer", Type: 7, Kind: "array_of_maps", KeySize: 4, ValueSize: 4, MaxEntries: 8, Flags: 0x10, Pinning: 2,
				Inner: inner, Entries: []Entry{{Key: 1, Value: "inner_a"}, {Key: 3, Data: []byte{1, 2, 3, 4}}}},
			{Name: "jump", Type: 3, Kind: "prog_array", KeySize: 4, ValueSize: 4, MaxEntries: 4},
		},
		Globals: []Global{
			{Name: ".rodata.str1.1", Size: 3, Init: []byte("hi\x00"), ReadOnly: true},
			{Name: ".bss", Size: 4, Init: make([]byte, 4)},
		},
		Helpers: []Helper{{ID: 1, Name: "bpf_map_lookup_elem"}, {ID: 5, Name: "bpf_tail_call"}, {ID: 99}},
		Slots:   []Slot{{SlotGlobal, 1}, {SlotMap, 0}, {SlotGlobal, 0}, {SlotMap, 1}},
	}
}

func TestRoundTrip(t *testing.T) {
	callx := sample()
	callx.HelperIDSlots = 256
	for name, m := range map[string]*Metadata{"sample": sample(), "empty": {}, "elftest": elftestMetadata(), "callx": callx} {
		t.Run(name, func(t *testing.T) {
			data, err := Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Unmarshal(data)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normalize(got), normalize(m)) {
				t.Fatalf("round trip changed the metadata:\n got %+v\nwant %+v", got, m)
			}
			again, err := Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, data) {
				t.Fatal("re-encoding the decoded metadata gives different bytes")
			}
		})
	}
}

// normalize maps empty slices to nil: the encoding does not tell them apart.
func normalize(m *Metadata) *Metadata {
	c := *m
	data, _ := Marshal(&c)
	d, _ := Unmarshal(data)
	return d
}

func elftestMetadata() *Metadata {
	return FromModule(elftest.Module(), elftest.Object(), []byte("elftest source"))
}

func TestFromModule(t *testing.T) {
	m := elftestMetadata()
	if m.Platform != "windows" || m.Arch != "amd64" || m.ABI != "sysv" {
		t.Errorf("target = %s %s/%s", m.Platform, m.Arch, m.ABI)
	}
	if m.SourceSHA256 != sha256.Sum256([]byte("elftest source")) {
		t.Error("source hash is not the SHA-256 of the source")
	}
	if len(m.Maps) != 2 || m.Maps[0].Name != "jump" || m.Maps[1].Name != "values" {
		t.Fatalf("maps = %+v", m.Maps)
	}
	if j := m.Maps[0]; j.Kind != "prog_array" || j.Type != 3 || len(j.Entries) != 2 || j.Entries[1].Value != "tail_loop" {
		t.Errorf("jump = %+v", j)
	}
	if len(m.Globals) != 1 || m.Globals[0].Name != ".data" || m.Globals[0].Size != 8 ||
		binary.LittleEndian.Uint64(m.Globals[0].Init) != elftest.DataInit {
		t.Fatalf("globals = %+v", m.Globals)
	}
	// The map table is values, jump, .data: module indices 1, 0, 2.
	want := []Slot{{SlotMap, 1}, {SlotMap, 0}, {SlotGlobal, 0}}
	if !reflect.DeepEqual(m.Slots, want) {
		t.Errorf("slots = %v, want %v", m.Slots, want)
	}
	for i, s := range []string{"values", "jump", ".data"} {
		if got := m.SlotName(i); got != s {
			t.Errorf("SlotName(%d) = %q, want %q", i, got, s)
		}
	}
	wantHelpers := []Helper{{1, "bpf_map_lookup_elem"}, {5, "bpf_tail_call"}, {6, "bpf_get_prandom_u32"}}
	if !reflect.DeepEqual(m.Helpers, wantHelpers) {
		t.Errorf("helpers = %v, want %v", m.Helpers, wantHelpers)
	}
	loop := m.Programs[elftest.TailLoop]
	if loop.Name != "tail_loop" || loop.Entry != "tail_loop" || loop.Section != "xdp/tail_loop" || loop.Type != "xdp" ||
		!reflect.DeepEqual(loop.Maps, []int{0}) || !reflect.DeepEqual(loop.Globals, []int{0}) || !reflect.DeepEqual(loop.Helpers, []int32{5}) {
		t.Errorf("tail_loop = %+v", loop)
	}
	if err := m.Validate(); err != nil {
		t.Error(err)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	good, err := Marshal(sample())
	if err != nil {
		t.Fatal(err)
	}
	// Every proper prefix is truncated somewhere.
	for n := 0; n < len(good); n++ {
		if _, err := Unmarshal(good[:n]); !errors.Is(err, ErrFormat) {
			t.Fatalf("prefix of %d bytes: err = %v, want ErrFormat", n, err)
		}
	}
	patch := func(off int, b ...byte) []byte {
		d := bytes.Clone(good)
		copy(d[off:], b)
		return d
	}
	body := headerSize
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"magic":            {patch(0, 'X'), "bad magic"},
		"version":          {patch(8, 3), "version 3"},
		"version 0":        {patch(8, 0), "version 0"},
		"no helper ids":    {emptyHelperIDs(t, good), "empty helper-id table"},
		"trailing":         {append(bytes.Clone(good), 0), "body"},
		"length":           {patch(12, 0xff, 0xff, 0xff, 0x7f), "body"},
		"huge string":      {patch(body, 0xff, 0xff, 0xff, 0xff), "platform"},
		"huge count":       {patch(body+4+7+4+5+4+4+32, 0xff, 0xff, 0xff, 0x0f), "programs"},
		"bad slot":         {patch(len(good)-4, 9), "slot 3"},
		"bad slot kind":    {patch(len(good)-5, 7), "unknown kind"},
		"bad bool":         {badBool(t), "not 0 or 1"},
		"deep inner maps":  {deepInner(t), "nest deeper"},
		"global init size": {globalSize(t), "initial bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Unmarshal(tc.data)
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrFormat mentioning %q", err, tc.want)
			}
		})
	}
}

// badBool encodes a global whose read-only flag is 2.
func badBool(t *testing.T) []byte {
	data, err := Marshal(&Metadata{Globals: []Global{{Name: "g", Size: 0}}})
	if err != nil {
		t.Fatal(err)
	}
	// The body: 3 empty strings, the hash, 0 programs, 0 maps, 1 global
	// (name "g", size), then the flag.
	off := headerSize + 12 + 32 + 4 + 4 + 4 + 5 + 4
	data[off] = 2
	return data
}

// deepInner encodes a map whose inner maps nest one level too deep, which
// Marshal refuses, by patching an allowed encoding.
func deepInner(t *testing.T) []byte {
	m := &Map{Name: "m"}
	for range maxInnerDepth {
		m = &Map{Name: "m", Inner: m}
	}
	data, err := Marshal(&Metadata{Maps: []Map{*m}})
	if err != nil {
		t.Fatal(err)
	}
	// The innermost map's has_inner flag is the last byte before the
	// three empty lists (globals, helpers, slots); set it and append one
	// more minimal map.
	flagAt := len(data) - 12 - 1
	extra := (&encoder{})
	extra.mapDef(&Map{Name: "m"})
	out := append(bytes.Clone(data[:flagAt]), 1)
	out = append(out, extra.buf.Bytes()...)
	out = append(out, data[flagAt+1:]...)
	binary.LittleEndian.PutUint32(out[12:], uint32(len(out)-headerSize))
	return out
}

// emptyHelperIDs re-encodes good as version 2 with a helper-id table of
// zero slots, which Marshal never writes.
func emptyHelperIDs(t *testing.T, good []byte) []byte {
	out := append(bytes.Clone(good), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(out[8:], 2)
	binary.LittleEndian.PutUint32(out[12:], uint32(len(out)-headerSize))
	return out
}

// globalSize encodes a global whose size disagrees with its bytes.
func globalSize(t *testing.T) []byte {
	data, err := Marshal(&Metadata{Globals: []Global{{Name: "g", Size: 2, Init: []byte{1, 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	off := headerSize + 12 + 32 + 4 + 4 + 4 + 5
	data[off] = 3
	return data
}

func TestMarshalRejectsInvalid(t *testing.T) {
	for name, m := range map[string]*Metadata{
		"slot":           {Slots: []Slot{{SlotMap, 0}}},
		"slot kind":      {Maps: []Map{{Name: "m"}}, Slots: []Slot{{SlotKind(5), 0}}},
		"program map":    {Programs: []Program{{Name: "p", Maps: []int{2}}}},
		"program global": {Programs: []Program{{Name: "p", Globals: []int{-1}}}},
		"global size":    {Globals: []Global{{Name: "g", Size: 4}}},
		"helper ids":     {HelperIDSlots: -1},
		"many ids":       {HelperIDSlots: MaxHelperIDSlots + 1},
		"nil":            nil,
	} {
		if _, err := Marshal(m); err == nil {
			t.Errorf("%s: Marshal accepted invalid metadata", name)
		}
	}
}

// seeds are the FuzzUnmarshal seed corpus: valid encodings and damaged ones.
func seeds(t testing.TB) map[string][]byte {
	s := map[string][]byte{"empty": {}, "magic-only": []byte(Magic)}
	for name, m := range map[string]*Metadata{"sample": sample(), "elftest": elftestMetadata(), "zero": {}} {
		data, err := Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		s[name] = data
		s[name+".half"] = data[:len(data)/2]
	}
	return s
}

func FuzzUnmarshal(f *testing.F) {
	for _, data := range seeds(f) {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Unmarshal(data)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error does not wrap ErrFormat: %v", err)
			}
			return
		}
		// The encoding is canonical: what decodes re-encodes to the
		// same bytes.
		again, err := Marshal(m)
		if err != nil {
			t.Fatalf("decoded metadata does not encode: %v", err)
		}
		if !bytes.Equal(again, data) {
			t.Fatalf("re-encoding differs:\n got %x\nwant %x", again, data)
		}
	})
}

// TestSeedCorpus keeps testdata/fuzz/FuzzUnmarshal in step with the
// encoding; -update rewrites it.
func TestSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzUnmarshal")
	for name, data := range seeds(t) {
		file := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
		path := filepath.Join(dir, name)
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(file), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -run TestSeedCorpus -update)", err)
		}
		if string(got) != file {
			t.Errorf("%s is stale (run go test -run TestSeedCorpus -update)", path)
		}
	}
}
