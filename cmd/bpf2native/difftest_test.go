package main

import (
	"bytes"
	"strings"
	"testing"

	elffront "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/platform"
)

func TestDiffTestCommand(t *testing.T) {
	status, out, stderr := invoke("test", "-n", "200", "../../testdata/xdp_rewrite.o")
	if status != 0 {
		t.Fatalf("status %d: %s\n%s", status, stderr, out)
	}
	for _, prog := range []string{"xdp_reflect", "xdp_fix_csum"} {
		if !strings.Contains(out, "program "+prog+": 200 inputs, native = interpreter") {
			t.Errorf("output lacks %s:\n%s", prog, out)
		}
	}
}

// wrongWhen42 is an engine that gives a wrong result whenever the packet
// holds the byte 0x42 at an even offset, and is right otherwise.
type wrongWhen42 struct{ engine }

func (w wrongWhen42) Run(prog int, ctx *host.Context) (uint64, error) {
	r0, err := w.engine.Run(prog, ctx)
	for i, b := range ctx.Packet() {
		if b == 0x42 && i%2 == 0 {
			return r0 + 1, err
		}
	}
	return r0, err
}

// TestDiffShrinksToSmallestInput checks the differ against an engine with
// a known bug: it must report the difference with the smallest input that
// shows it, a single 0x42 byte.
func TestDiffShrinksToSmallestInput(t *testing.T) {
	plat, _ := platform.Get(platform.Windows)
	mod, err := elffront.LoadFile("../../testdata/crc32.o", plat)
	if err != nil {
		t.Fatal(err)
	}
	d := &differ{mod: mod, plat: plat, native: func(rt *host.Runtime) (engine, error) {
		e, err := newEngine("interp", "", mod, rt)
		return wrongWhen42{e}, err
	}}
	prog := -1
	for i, p := range mod.Programs {
		if p.Name == "sample_crc32" {
			prog = i
		}
	}
	input := bytes.Repeat([]byte{7, 0x42, 9, 0x42, 0x42, 1}, 20)
	report, err := d.program(prog, [][]byte{{1, 2, 3}, input})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report, "smallest input showing it (1 bytes, fresh maps): 42\n") || !strings.Contains(report, "result: interpreter") {
		t.Errorf("report:\n%s", report)
	}
}
