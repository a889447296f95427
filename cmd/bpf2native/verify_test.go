package main

import (
	"strings"
	"testing"
)

// TestVerifyRefusesUnsafeVariants runs `bpf2native verify` on each program
// of testdata/unsafe, which breaks one safety rule on purpose, and checks
// the first diagnostic: GNU form with the C file, line and column from BTF,
// and the reason.
func TestVerifyRefusesUnsafeVariants(t *testing.T) {
	for _, tc := range []struct {
		object string
		first  string // the first diagnostic line starts with this
		reason string // and contains this
	}{
		{"oob_packet", "unsafe/oob_packet.c:12:9: error: program oob_packet: instruction 5: ",
			"invalid packet read of 4 bytes at packet+14: only packet+[0,14) is checked against data_end"},
		{"unchecked_map_value", "unsafe/unchecked_map_value.c:18:9: error: program unchecked_map_value: ",
			"possible null access"},
		{"uninit_stack", "unsafe/uninit_stack.c:", "read of uninitialized stack"},
		{"unbounded_loop", "unsafe/unbounded_loop.c:11:2: error: program unbounded_loop: ", "may not terminate"},
		{"pointer_leak", "unsafe/pointer_leak.c:19:9: error: program pointer_leak: ", "pointer leak"},
		{"wrong_helper_arg", "unsafe/wrong_helper_arg.c:13:9: error: program wrong_helper_arg: ",
			"argument 1 (r1) of bpf_map_lookup_elem must be a map, not packet+0"},
		{"stack_overflow", "unsafe/stack_overflow.c:22:9: error: program stack_overflow: instruction 17: ",
			"stack depth 608 bytes across calls stack_overflow -> inner exceeds 512"},
		{"readonly_ctx", "unsafe/readonly_ctx.c:8:18: error: program readonly_ctx: instruction 1: ",
			"write to read-only context field process_id"},
	} {
		t.Run(tc.object, func(t *testing.T) {
			status, stdout, stderr := invoke("verify", "../../testdata/unsafe/"+tc.object+".o")
			if status != exitFailure {
				t.Fatalf("status %d, want %d; stdout %q", status, exitFailure, stdout)
			}
			first, _, _ := strings.Cut(stderr, "\n")
			if !strings.HasPrefix(first, tc.first) || !strings.Contains(first, tc.reason) {
				t.Errorf("first diagnostic\n %q\nwant prefix\n %q\nand reason\n %q", first, tc.first, tc.reason)
			}
		})
	}
}

func TestVerifyAcceptsSafePrograms(t *testing.T) {
	status, stdout, stderr := invoke("verify", "../../testdata/tail_calls.o")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	if !strings.Contains(stdout, "program sample_dispatch: verified") {
		t.Errorf("stdout %q", stdout)
	}
}
