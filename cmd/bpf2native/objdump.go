package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/bpf2native/bpf2native/ir"
)

func objdumpCommand() *cli.Command {
	return &cli.Command{
		Name:      "objdump",
		Usage:     "disassemble programs, interleaved with their source lines",
		ArgsUsage: "OBJ",
		Flags: append(platformFlags(),
			&cli.StringFlag{Name: "program", Usage: "only the program called `NAME`"},
			&cli.BoolFlag{Name: "native", Usage: "show the machine code compiled for each eBPF instruction"},
			&cli.StringFlag{Name: "arch", Value: "amd64", Usage: "with --native: target architecture"},
			&cli.StringFlag{Name: "abi", Usage: "with --native: calling convention (sysv or windows on amd64; default sysv)"},
			&cli.BoolFlag{Name: "no-verify", Usage: "with --native: compile without verifying (and without the verifier's facts)"},
		),
		Action: func(c *cli.Context) error {
			mod, plat, err := loadObject(c)
			if err != nil {
				return err
			}
			sel, err := selectPrograms(mod, c.String("program"))
			if err != nil {
				return err
			}
			if c.Bool("native") {
				return objdumpNative(c, withPrograms(mod, sel), plat)
			}
			w := c.App.Writer
			for n, i := range sel {
				p := mod.Programs[i]
				if n > 0 {
					fmt.Fprintln(w)
				}
				fmt.Fprintf(w, "program %s (section %s, type %s)\n", p.Name, p.Section, p.Type)
				for _, fn := range p.Funcs {
					fmt.Fprintf(w, "\n<%s>:\n", fn.Name)
					var last ir.Position
					for k := fn.Start; k < fn.End; k++ {
						ins := &p.Insns[k]
						// Print a source line when it changes, as llvm-objdump -S does.
						if ins.Pos.Known() && (ins.Pos.File != last.File || ins.Pos.Line != last.Line) {
							fmt.Fprintf(w, "; %s:%d: %s\n", ins.Pos.File, ins.Pos.Line, ins.Pos.Text)
							last = ins.Pos
						}
						fmt.Fprintf(w, "%6d: %s\n", ins.Slot, mod.FormatInstruction(p, k, plat.HelperName))
					}
				}
			}
			return nil
		},
	}
}
