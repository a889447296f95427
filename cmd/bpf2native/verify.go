package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/verifier"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "prove the programs of an object safe, or say precisely why not",
		ArgsUsage: "OBJ",
		Flags: append(platformFlags(),
			&cli.StringFlag{Name: "program", Usage: "only the program called `NAME`"},
			&cli.BoolFlag{Name: "v", Usage: "print the abstract state before every instruction"}),
		Action: func(c *cli.Context) error {
			mod, plat, err := loadObject(c)
			if err != nil {
				return err
			}
			if name := c.String("program"); name != "" {
				sel, err := selectPrograms(mod, name)
				if err != nil {
					return err
				}
				mod = withPrograms(mod, sel)
			}
			opts := defaultVerifierOptions()
			if c.Bool("v") {
				opts.Trace = c.App.Writer
			}
			res, err := verifyModule(mod, plat, opts, c.App.ErrWriter)
			if err != nil {
				return err
			}
			for _, p := range res.Programs {
				fmt.Fprintf(c.App.Writer, "%s: program %s: verified (%d instructions, stack depth %d bytes)\n",
					mod.Source, p.Program.Name, len(p.Program.Insns), p.StackDepth)
			}
			return nil
		},
	}
}

// defaultVerifierOptions are what every command verifies with: memory
// safety and termination.
func defaultVerifierOptions() verifier.Options {
	return verifier.Options{CheckTermination: true}
}

// verifyModule verifies mod, writes every diagnostic to diag as one line in
// the GNU form build logs and editors understand, and fails if any program
// was refused.
func verifyModule(mod *ir.Module, plat *platform.Platform, opts verifier.Options, diag io.Writer) (*verifier.Result, error) {
	res, err := verifier.Verify(mod, plat, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mod.Source, err)
	}
	if !res.OK() {
		printDiagnostics(diag, mod.Source, res)
		return nil, exitStatus(exitFailure)
	}
	return res, nil
}

// printDiagnostics writes each of res's diagnostics as one line.
func printDiagnostics(w io.Writer, object string, res *verifier.Result) {
	for _, d := range res.Diagnostics() {
		fmt.Fprintln(w, diagnosticLine(object, d))
	}
}

// diagnosticLine formats d as "file.c:42:7: error: program p: instruction
// 12: ..." when BTF gave a source position, "obj.o: error: ..." otherwise.
func diagnosticLine(object string, d verifier.Diagnostic) string {
	where := object
	if d.Pos.Known() {
		where = fmt.Sprintf("%s:%d", d.Pos.File, d.Pos.Line)
		if d.Pos.Col != 0 {
			where += fmt.Sprintf(":%d", d.Pos.Col)
		}
	}
	msg := "program " + d.Program + ": "
	if d.Insn >= 0 {
		msg += fmt.Sprintf("instruction %d: ", d.Slot)
	}
	return where + ": error: " + msg + d.Message
}

// withPrograms returns a shallow copy of mod holding only the selected
// programs.
func withPrograms(mod *ir.Module, sel []int) *ir.Module {
	cp := *mod
	cp.Programs = nil
	for _, i := range sel {
		cp.Programs = append(cp.Programs, mod.Programs[i])
	}
	return &cp
}
