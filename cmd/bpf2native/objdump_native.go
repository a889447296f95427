package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/backend/disasm"
	"github.com/bpf2native/bpf2native/compiler"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
)

// objdumpNative compiles mod as compile would and prints each function's
// machine code in address order, each run of instructions under the eBPF
// instruction (and source line) it was generated for. Optimized code moves
// and merges work, so eBPF instructions appear in the order their code
// runs, not in program order, as with objdump -S on optimized C.
func objdumpNative(c *cli.Context, mod *ir.Module, plat *platform.Platform) error {
	arch := c.String("arch")
	if _, err := backend.LookupArch(arch); err != nil {
		return usagef("--arch %q: unknown architecture (known: %s)", arch, strings.Join(backend.ArchNames(), ", "))
	}
	abi := c.String("abi")
	if abi == "" {
		abi = defaultABI(arch, "elf")
	}
	source, err := os.ReadFile(mod.Source)
	if err != nil {
		return err
	}
	res, err := compiler.Compile(mod, source, compiler.Options{
		Platform: plat,
		Target:   backend.Target{Arch: arch, ABI: abi},
		NoVerify: c.Bool("no-verify"),
		Verifier: defaultVerifierOptions(),
	})
	if errors.Is(err, compiler.ErrRejected) && res != nil {
		printDiagnostics(c.App.ErrWriter, mod.Source, res.Verification)
		return exitStatus(exitFailure)
	}
	if err != nil {
		return err
	}
	obj := res.Object
	w := c.App.Writer
	fmt.Fprintf(w, "%s: native code for %s (%s), %d bytes\n", mod.Source, obj.Arch, obj.ABI, len(obj.Text))
	prog := -1
	for _, fn := range obj.Funcs {
		if fn.Program >= 0 {
			prog = fn.Program
		}
		if prog < 0 {
			return fmt.Errorf("BUG: function %s precedes every program entry", fn.Name)
		}
		p := mod.Programs[prog]
		insts, err := disasm.Disassemble(obj.Arch, obj.Text[fn.Offset:fn.Offset+fn.Size], uint64(fn.Offset))
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "\n<%s>: %d bytes, frame %d bytes\n", fn.Name, fn.Size, fn.FrameSize)
		line, last := 0, -2
		var lastPos ir.Position
		for _, in := range insts {
			off := int(in.Addr) - fn.Offset
			for line+1 < len(fn.Lines) && fn.Lines[line+1].Offset <= off {
				line++
			}
			insn := -1
			if line < len(fn.Lines) && fn.Lines[line].Offset <= off {
				insn = fn.Lines[line].Insn
			}
			if insn != last {
				if insn < 0 {
					fmt.Fprintf(w, "  ; (frame, moves and jumps)\n")
				} else {
					ins := &p.Insns[insn]
					if ins.Pos.Known() && (ins.Pos.File != lastPos.File || ins.Pos.Line != lastPos.Line) {
						fmt.Fprintf(w, "; %s:%d: %s\n", ins.Pos.File, ins.Pos.Line, ins.Pos.Text)
						lastPos = ins.Pos
					}
					fmt.Fprintf(w, "  %6d: %s\n", ins.Slot, mod.FormatInstruction(p, insn, plat.HelperName))
				}
				last = insn
			}
			code := obj.Text[in.Addr : in.Addr+uint64(in.Len)]
			fmt.Fprintf(w, "          %6x:  %-30s %s\n", in.Addr, hexBytes(code), in.Text)
		}
	}
	return nil
}

func hexBytes(b []byte) string {
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(parts, " ")
}
