// Package disasm decodes the machine code the backends generate, for
// `bpf2native objdump --native` and for tests that check what the encoders
// produce. It wraps the Go team's decoders (golang.org/x/arch: x86asm for
// amd64, arm64asm for arm64), the ones `go tool objdump` uses; golang-asm,
// which encodes, has no decoder.
package disasm

import (
	"fmt"

	"golang.org/x/arch/arm64/arm64asm"
	"golang.org/x/arch/x86/x86asm"
)

// Inst is one decoded machine instruction.
type Inst struct {
	// Addr is the instruction's address: the addr given to Disassemble
	// plus its offset in the code.
	Addr uint64
	// Len is its length in bytes.
	Len int
	// Text is the instruction in the ISA's reference syntax: Intel syntax
	// (as Intel's XED prints it) on amd64, the ARM reference syntax on
	// arm64.
	Text string
	// GNU is the instruction in GNU binutils syntax: AT&T on amd64.
	GNU string
	// Bad is set for bytes that decode to no instruction; Text and GNU are
	// then "(bad)" and Len covers the bytes skipped (1 on amd64, at most 4
	// on arm64), as objdump does.
	Bad bool
}

// Disassemble decodes code, placed at address addr, for arch ("amd64" or
// "arm64"), one instruction after the other from its first byte to its
// last. On amd64 branch targets are printed as absolute addresses (but
// relative, ".+0x10", for an instruction at address 0, which x86asm takes
// for "unknown"); arm64asm always prints them relative. Undecodable bytes
// become Bad
// instructions rather than an error, so a listing always covers every
// byte; the error is for an unknown arch only.
func Disassemble(arch string, code []byte, addr uint64) ([]Inst, error) {
	switch arch {
	case "amd64":
		return amd64(code, addr), nil
	case "arm64":
		return arm64(code, addr), nil
	}
	return nil, fmt.Errorf("disasm: no disassembler for arch %q", arch)
}

// noSymbols is the x86asm symbol lookup: the code names no symbols (table
// references are relocations, local calls are resolved to addresses).
func noSymbols(uint64) (string, uint64) { return "", 0 }

func amd64(code []byte, addr uint64) []Inst {
	var out []Inst
	for off := 0; off < len(code); {
		pc := addr + uint64(off)
		in, err := x86asm.Decode(code[off:], 64)
		if err != nil || in.Len == 0 {
			out = append(out, Inst{Addr: pc, Len: 1, Text: "(bad)", GNU: "(bad)", Bad: true})
			off++
			continue
		}
		out = append(out, Inst{
			Addr: pc,
			Len:  in.Len,
			Text: x86asm.IntelSyntax(in, pc, noSymbols),
			GNU:  x86asm.GNUSyntax(in, pc, noSymbols),
		})
		off += in.Len
	}
	return out
}

func arm64(code []byte, addr uint64) []Inst {
	var out []Inst
	for off := 0; off < len(code); off += 4 {
		pc := addr + uint64(off)
		if len(code)-off < 4 {
			out = append(out, Inst{Addr: pc, Len: len(code) - off, Text: "(bad)", GNU: "(bad)", Bad: true})
			break
		}
		in, err := arm64asm.Decode(code[off : off+4])
		if err != nil {
			out = append(out, Inst{Addr: pc, Len: 4, Text: "(bad)", GNU: "(bad)", Bad: true})
			continue
		}
		out = append(out, Inst{Addr: pc, Len: 4, Text: in.String(), GNU: arm64asm.GNUSyntax(in)})
	}
	return out
}
