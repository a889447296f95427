package platform

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bpf2native/bpf2native/ir"
)

func TestBuiltinSectionsSelectTypes(t *testing.T) {
	for _, tc := range []struct {
		platform, section, want string
		bits                    int
	}{
		{Windows, "xdp", "xdp", 32},
		{Windows, "xdp/drop", "xdp", 32},
		{Windows, "xdp_test", "xdp_test", 32},
		{Windows, "bind", "bind", 32},
		{Windows, "cgroup/connect6", "sock_addr", 32},
		{Windows, "sockops", "sock_ops", 32},
		{Windows, "sample_ext", "sample", 64},
		{Windows, "kprobe/foo", "", 0},
		{Linux, "kprobe/sys_open", "kprobe", 64},
		{Linux, "socket", "socket_filter", 32},
		{Linux, "tc", "sched_cls", 32},
		{Linux, "tracepoint/syscalls/x", "tracepoint", 64},
		{Linux, "xdpfoo", "", 0},
	} {
		p, err := Get(tc.platform)
		if err != nil {
			t.Fatal(err)
		}
		got := p.ProgramTypeFor(tc.section)
		switch {
		case tc.want == "" && got != nil:
			t.Errorf("%s %q: got type %s, want none", tc.platform, tc.section, got.Name)
		case tc.want != "" && (got == nil || got.Name != tc.want || got.ResultBits != tc.bits):
			t.Errorf("%s %q: got %+v, want %s/%d bits", tc.platform, tc.section, got, tc.want, tc.bits)
		}
	}
}

func TestMapNumberingDiffersByPlatform(t *testing.T) {
	win, _ := Get(Windows)
	lin, _ := Get(Linux)
	// 5 is a per-CPU array on ebpf-for-windows but a per-CPU hash on Linux.
	if win.MapKinds[5] != ir.MapPerCPUArray || lin.MapKinds[5] != ir.MapPerCPUHash {
		t.Errorf("type 5: windows %v, linux %v", win.MapKinds[5], lin.MapKinds[5])
	}
	if win.MapKinds[13] != ir.MapRingBuf || lin.MapKinds[27] != ir.MapRingBuf {
		t.Errorf("ringbuf numbering wrong")
	}
	if win.HelperName(5) != "bpf_tail_call" || lin.HelperName(12) != "bpf_tail_call" {
		t.Errorf("tail call ids: windows 5 = %q, linux 12 = %q", win.HelperName(5), lin.HelperName(12))
	}
}

func TestContextPacketFields(t *testing.T) {
	win, _ := Get(Windows)
	xdp := win.ProgramType("xdp")
	data, ok1 := xdp.Context.FieldOf(FieldPacket)
	end, ok2 := xdp.Context.FieldOf(FieldPacketEnd)
	if !ok1 || !ok2 || data.Offset != 0 || end.Offset != 8 || data.Size != 8 {
		t.Errorf("windows xdp_md: data %+v end %+v", data, end)
	}
}

func TestExtend(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "ext.json")
	os.WriteFile(good, []byte(`{"program_types": [{"name": "my_hook", "sections": ["myhook"], "result_bits": 32,
		"context": {"size": 16, "fields": [{"name": "a", "offset": 0, "size": 8, "kind": "packet"}]}}],
		"helpers": [{"id": 65536, "name": "my_helper"}]}`), 0o644)
	win, _ := Get(Windows)
	ext, err := Extend(win, good)
	if err != nil {
		t.Fatal(err)
	}
	if ext.ProgramTypeFor("myhook/x") == nil || ext.HelperName(65536) != "my_helper" {
		t.Error("extension not applied")
	}
	if win.ProgramTypeFor("myhook") != nil || win.HelperName(65536) != "" {
		t.Error("extension leaked into the built-in platform")
	}

	for name, body := range map[string]string{
		"redefine.json":  `{"program_types": [{"name": "xdp", "sections": ["x"], "result_bits": 32, "context": {"size": 8}}]}`,
		"outside.json":   `{"program_types": [{"name": "t", "sections": ["t"], "result_bits": 32, "context": {"size": 8, "fields": [{"name": "f", "offset": 4, "size": 8, "kind": "scalar"}]}}]}`,
		"bits.json":      `{"program_types": [{"name": "t", "sections": ["t"], "result_bits": 16, "context": {"size": 8}}]}`,
		"helper.json":    `{"helpers": [{"id": 1, "name": "again"}]}`,
		"unknown.json":   `{"colour": "blue"}`,
		"kind.json":      `{"map_types": {"99": "tree"}}`,
		"garbage.json":   `{{{`,
		"otherplat.json": `{"platform": "linux"}`,
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(body), 0o644)
		if _, err := Extend(win, path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := Extend(win, filepath.Join(dir, "missing.json")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestHelperPrototypes(t *testing.T) {
	for _, name := range []string{Windows, Linux} {
		p, err := Get(name)
		if err != nil {
			t.Fatal(err)
		}
		lookup := p.Helpers[1]
		if !lookup.HasPrototype() || lookup.Ret != RetMapValueOrNull || len(lookup.Args) != 2 ||
			lookup.Args[0] != ArgMap || lookup.Args[1] != ArgMapKey {
			t.Errorf("%s: map lookup prototype %+v", name, lookup)
		}
		for id, h := range p.Helpers {
			if err := h.checkPrototype(); err != nil {
				t.Errorf("%s: helper %d: %v", name, id, err)
			}
		}
	}
	win, _ := Get(Windows)
	for id, h := range win.Helpers {
		if !h.HasPrototype() {
			t.Errorf("windows helper %d (%s) has no prototype", id, h.Name)
		}
	}
	lin, _ := Get(Linux)
	if h := lin.Helpers[44]; !h.ChangesPacket {
		t.Errorf("bpf_xdp_adjust_head does not change the packet")
	}
	if h := lin.Helpers[131]; h.Ret != RetMemOrNull || h.RetSizeArg != 1 {
		t.Errorf("bpf_ringbuf_reserve: %+v", h)
	}

	dir := t.TempDir()
	for name, body := range map[string]string{
		"memnosize.json": `{"helpers": [{"id": 70000, "name": "h", "args": ["mem", "scalar"], "ret": "scalar"}]}`,
		"sizefirst.json": `{"helpers": [{"id": 70000, "name": "h", "args": ["size"], "ret": "scalar"}]}`,
		"keynomap.json":  `{"helpers": [{"id": 70000, "name": "h", "args": ["map_key"], "ret": "scalar"}]}`,
		"badret.json":    `{"helpers": [{"id": 70000, "name": "h", "ret": "pointer"}]}`,
		"badarg.json":    `{"helpers": [{"id": 70000, "name": "h", "args": ["whatever"], "ret": "scalar"}]}`,
		"argsnoret.json": `{"helpers": [{"id": 70000, "name": "h", "args": ["scalar"]}]}`,
		"retsize.json":   `{"helpers": [{"id": 70000, "name": "h", "args": ["map", "scalar"], "ret": "mem_or_null", "ret_size_arg": 1}]}`,
		"sixargs.json":   `{"helpers": [{"id": 70000, "name": "h", "args": ["scalar","scalar","scalar","scalar","scalar","scalar"], "ret": "scalar"}]}`,
	} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(body), 0o644)
		if _, err := Extend(win, path); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	good := filepath.Join(dir, "good.json")
	os.WriteFile(good, []byte(`{"helpers": [{"id": 70000, "name": "h", "args": ["ctx", "uninit_mem", "size"], "ret": "scalar"}]}`), 0o644)
	if _, err := Extend(win, good); err != nil {
		t.Error(err)
	}
}

func TestResultRanges(t *testing.T) {
	want := map[string]map[string]*ResultRange{
		Windows: {"xdp": {1, 3}, "xdp_test": {1, 3}, "bind": {0, 3}, "sock_addr": {0, 2}, "sock_ops": nil, "sample": nil},
		Linux:   {"xdp": {0, 4}, "sched_cls": {-1, 8}, "socket_filter": nil, "kprobe": nil, "tracepoint": nil},
	}
	for plat, types := range want {
		p, err := Get(plat)
		if err != nil {
			t.Fatal(err)
		}
		for name, r := range types {
			pt := p.ProgramType(name)
			if pt == nil {
				t.Errorf("%s: no program type %s", plat, name)
				continue
			}
			if (r == nil) != (pt.Results == nil) || r != nil && *r != *pt.Results {
				t.Errorf("%s %s: results %v, want %v", plat, name, pt.Results, r)
			}
		}
	}
	win, _ := Get(Windows)
	dir := t.TempDir()
	for body, ok := range map[string]bool{
		`{"program_types": [{"name": "r1", "sections": ["r1"], "result_bits": 32, "result_range": [0, 5], "context": {"size": 8}}]}`:          true,
		`{"program_types": [{"name": "r2", "sections": ["r2"], "result_bits": 32, "result_range": [5, 0], "context": {"size": 8}}]}`:          false,
		`{"program_types": [{"name": "r3", "sections": ["r3"], "result_bits": 32, "result_range": [0], "context": {"size": 8}}]}`:             false,
		`{"program_types": [{"name": "r4", "sections": ["r4"], "result_bits": 32, "result_range": [0, 4294967295], "context": {"size": 8}}]}`: false,
	} {
		path := filepath.Join(dir, "ext.json")
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Extend(win, path); (err == nil) != ok {
			t.Errorf("%s: error %v", body, err)
		}
	}
}
