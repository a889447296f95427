package ir

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cilium/ebpf/asm"
)

// raw encodes one instruction slot the way RFC 9669 lays it out.
func raw(op byte, dst, src uint8, off int16, imm int32) []byte {
	b := make([]byte, 8)
	b[0] = op
	b[1] = src<<4 | dst
	binary.LittleEndian.PutUint16(b[2:], uint16(off))
	binary.LittleEndian.PutUint32(b[4:], uint32(imm))
	return b
}

func code(slots ...[]byte) []byte {
	var out []byte
	for _, s := range slots {
		out = append(out, s...)
	}
	return out
}

var exit = raw(0x95, 0, 0, 0, 0)

func TestDecodeRejectsInvalidEncodings(t *testing.T) {
	for _, tc := range []struct {
		name string
		code []byte
		want string
	}{
		{"short", []byte{0x95, 0, 0}, "not a multiple of 8"},
		{"unknown ALU op", code(raw(0xe7, 0, 0, 0, 0), exit), "unknown ALU operation"},
		{"dst r11", code(raw(0xb7, 11, 0, 0, 1), exit), "invalid destination register r11"},
		{"src r12", code(raw(0xbf, 0, 12, 0, 0), exit), "invalid source register r12"},
		{"mov with offset 7", code(raw(0xbf, 0, 1, 7, 0), exit), "invalid sign-extension width 7"},
		{"movsx32 on ALU32", code(raw(0xbc, 0, 1, 32, 0), exit), "invalid sign-extension width 32"},
		{"sdiv offset 2", code(raw(0x3f, 0, 1, 2, 0), exit), "neither unsigned"},
		{"byte swap 8", code(raw(0xdc, 0, 0, 0, 8), exit), "not 16, 32 or 64"},
		{"unknown jump", code(raw(0xe5, 0, 0, 0, 0), exit), "unknown jump operation"},
		{"exit with operand", code(raw(0x95, 0, 0, 0, 1)), "invalid exit"},
		{"call in JMP32", code(raw(0x86, 0, 0, 0, 1), exit), "call in JMP32 class"},
		{"unknown atomic", code(raw(0xdb, 1, 2, 0, 0x02), exit), "unknown atomic operation"},
		{"atomic byte", code(raw(0xd3, 1, 2, 0, 0x00), exit), "32 or 64 bits"},
		{"unknown load", code(raw(0x08, 0, 0, 0, 0), exit), "unknown load"},
		{"lddw missing half", raw(0x18, 0, 0, 0, 0), "missing second half"},
		{"lddw second half", code(raw(0x18, 0, 0, 0, 0), raw(0x01, 0, 0, 0, 0), exit), "non-zero fields"},
		{"store with src", code(raw(0x62, 10, 1, -4, 0), exit), "invalid store"},
	} {
		_, err := Decode(tc.code)
		if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want malformed error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestDecodeSlotsAndSignedForms(t *testing.T) {
	insns, err := Decode(code(
		raw(0x18, 1, 0, 0, 0x55667788), raw(0, 0, 0, 0, 0x11223344), // lddw: two slots
		raw(0x3f, 1, 2, 1, 0),  // sdiv r1, r2
		raw(0xbf, 1, 2, 16, 0), // movsx16 r1, r2
		exit,
	))
	if err != nil {
		t.Fatal(err)
	}
	if len(insns) != 4 || insns[1].Slot != 2 || insns[3].Slot != 4 {
		t.Fatalf("slots: %+v", insns)
	}
	if insns[0].Constant != 0x1122334455667788 {
		t.Errorf("lddw constant %#x", insns[0].Constant)
	}
	if insns[1].OpCode.ALUOp() != asm.SDiv || insns[2].OpCode.ALUOp() != asm.MovSX16 {
		t.Errorf("signed forms decoded as %v, %v", insns[1].OpCode, insns[2].OpCode)
	}
}

func TestNewProgramResolvesTargetsAndFunctions(t *testing.T) {
	insns, err := Decode(code(
		raw(0xb7, 1, 0, 0, 1),  // 0: r1 = 1
		raw(0x85, 0, 1, 0, 3),  // 1: call local +3 -> slot 5
		raw(0x15, 0, 0, 1, 0),  // 2: if r0 == 0 goto +1 -> 4
		raw(0x85, 0, 0, 0, 12), // 3: call helper 12
		exit,                   // 4
		raw(0xbf, 0, 1, 0, 0),  // 5: r0 = r1 (callee)
		raw(0x06, 0, 0, 0, -2), // 6: gotol -2 -> slot 5
	))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProgram("main", insns, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Funcs) != 2 || p.Funcs[1].Start != 5 || p.Funcs[1].Name != "main.func5" {
		t.Fatalf("functions: %+v", p.Funcs)
	}
	if p.Insns[1].Target != 5 || p.Insns[2].Target != 4 || p.Insns[6].Target != 5 || p.Insns[0].Target != NoTarget {
		t.Errorf("targets: %d %d %d %d", p.Insns[1].Target, p.Insns[2].Target, p.Insns[6].Target, p.Insns[0].Target)
	}
	if len(p.Helpers) != 1 || p.Helpers[0] != 12 {
		t.Errorf("helpers %v", p.Helpers)
	}
	if p.Insns[6].Func != 1 || p.Insns[4].Func != 0 {
		t.Errorf("function membership wrong")
	}
}

func TestNewProgramRejectsBadTargets(t *testing.T) {
	for _, tc := range []struct {
		name string
		code []byte
		want string
	}{
		{"past the end", code(raw(0x05, 0, 0, 5, 0), exit), "outside the program"},
		{"before the start", code(raw(0x05, 0, 0, -3, 0), exit), "outside the program"},
		{"into lddw", code(raw(0x05, 0, 0, 1, 0), raw(0x18, 0, 0, 0, 0), raw(0, 0, 0, 0, 0), exit), "inside an lddw"},
		{"across functions", code(raw(0x85, 0, 1, 0, 1), raw(0x05, 0, 0, 1, 0), exit, exit), "leaves function"},
	} {
		insns, err := Decode(tc.code)
		if err != nil {
			t.Fatalf("%s: decode: %v", tc.name, err)
		}
		if _, err := NewProgram("p", insns, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestBlocks(t *testing.T) {
	insns, _ := Decode(code(
		raw(0xb7, 0, 0, 0, 0),  // 0: r0 = 0
		raw(0x15, 1, 0, 2, 0),  // 1: if r1 == 0 goto 4
		raw(0x07, 0, 0, 0, 1),  // 2: r0 += 1
		raw(0x05, 0, 0, -3, 0), // 3: goto 1
		exit,                   // 4
		raw(0xb7, 0, 0, 0, 0),  // 5: unreachable, falls off the end
	))
	p, err := NewProgram("loop", insns, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, b := range p.Blocks(0) {
		got = append(got, fmt.Sprintf("%d-%d %v fallsoff=%v", b.Start, b.End, b.Succs, b.FallsOff))
	}
	want := []string{"0-1 [1] fallsoff=false", "1-2 [2 3] fallsoff=false", "2-4 [1] fallsoff=false", "4-5 [] fallsoff=false", "5-6 [] fallsoff=true"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("blocks:\n got %q\nwant %q", got, want)
	}
}
