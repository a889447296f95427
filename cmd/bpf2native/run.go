package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a program on an input and print its result",
		ArgsUsage: "OBJ",
		Flags: append(platformFlags(),
			engineFlag(),
			archFlag(),
			&cli.StringFlag{Name: "program", Usage: "the program called `NAME` (needed when the object has several)"},
			&cli.StringFlag{Name: "input", Usage: "`FILE` holding the packet (or, for types without one, the data the context points to); - for stdin"},
			&cli.IntFlag{Name: "repeat", Value: 1, Usage: "run `N` times (maps keep their contents); prints the last result"},
			&cli.StringFlag{Name: "output", Usage: "write the packet as the (last) run left it to `FILE`"},
			&cli.BoolFlag{Name: "json", Usage: "print program, r0, result and ns per run as JSON"},
		),
		Action: func(c *cli.Context) error {
			repeat := c.Int("repeat")
			if repeat < 1 {
				return usagef("--repeat %d: must be at least 1", repeat)
			}
			mod, plat, err := loadObject(c)
			if err != nil {
				return err
			}
			prog, err := chooseProgram(mod, c.String("program"))
			if err != nil {
				return err
			}
			p := mod.Programs[prog]
			pt := plat.ProgramType(p.Type)
			if pt == nil {
				return fmt.Errorf("%s: program %s: section %q selects no %s program type, so its context is unknown", mod.Source, p.Name, p.Section, plat.Name)
			}
			input, err := readInput(c.String("input"), c.App.Reader)
			if err != nil {
				return err
			}
			if c.String("engine") == "native" {
				// Native code has no run-time checks: only verified code runs.
				if _, err := verifyModule(withPrograms(mod, []int{prog}), plat, defaultVerifierOptions(), c.App.ErrWriter); err != nil {
					return err
				}
			}
			rt, err := host.New(mod, plat)
			if err != nil {
				return fmt.Errorf("%s: %w", mod.Source, err)
			}
			vm, err := newEngine(c.String("engine"), c.String("arch"), mod, rt)
			if err != nil {
				return err
			}
			defer vm.Close()
			var r0 uint64
			var elapsed time.Duration
			var ctx *host.Context
			for i := 0; i < repeat; i++ {
				// Each run gets a fresh context, as each packet does at the hook.
				ctx, err = host.NewContext(pt, input, nil)
				if err != nil {
					return fmt.Errorf("%s: program %s: %w", mod.Source, p.Name, err)
				}
				start := time.Now()
				r0, err = vm.Run(prog, ctx)
				elapsed += time.Since(start)
				if err != nil {
					return fmt.Errorf("%s: %w", mod.Source, err)
				}
			}
			if out := c.String("output"); out != "" {
				if err := writeFileAtomic(out, ctx.Packet()); err != nil {
					return err
				}
			}
			result := resultOf(pt, r0)
			if c.Bool("json") {
				return json.NewEncoder(c.App.Writer).Encode(struct {
					Program  string  `json:"program"`
					R0       uint64  `json:"r0"`
					Result   uint64  `json:"result"`
					NsPerRun float64 `json:"ns_per_run"`
				}{p.Name, r0, result, float64(elapsed.Nanoseconds()) / float64(repeat)})
			}
			fmt.Fprintln(c.App.Writer, result)
			return nil
		},
	}
}

// resultOf is what the runtime delivers from r0: hooks with a 32-bit verdict
// see its low half.
func resultOf(pt *platform.ProgramType, r0 uint64) uint64 {
	if pt.ResultBits == 32 {
		return uint64(uint32(r0))
	}
	return r0
}

// chooseProgram returns the program --program names, or the only one.
func chooseProgram(mod *ir.Module, name string) (int, error) {
	if name == "" {
		if len(mod.Programs) == 1 {
			return 0, nil
		}
		names := make([]string, len(mod.Programs))
		for i, p := range mod.Programs {
			names[i] = p.Name
		}
		return 0, usagef("%s has %d programs %v: choose one with --program", mod.Source, len(names), names)
	}
	sel, err := selectPrograms(mod, name)
	if err != nil {
		return 0, err
	}
	return sel[0], nil
}

// readInput reads --input: a file, standard input for "-", nothing if unset.
func readInput(path string, stdin io.Reader) ([]byte, error) {
	switch path {
	case "":
		return nil, nil
	case "-":
		return io.ReadAll(stdin)
	}
	return os.ReadFile(path)
}
