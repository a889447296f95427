package main

import (
	"github.com/urfave/cli/v2"

	"github.com/bpf2native/bpf2native/conformance"
	"github.com/bpf2native/bpf2native/interp"
)

// conformanceEngine returns the engine an --engine value names.
func conformanceEngine(name string) (conformance.Engine, error) {
	switch name {
	case "interp":
		return interp.RunBytecode, nil
	}
	return nil, usagef("--engine %q: unknown engine (known: interp)", name)
}

func engineFlag() cli.Flag {
	return &cli.StringFlag{Name: "engine", Value: "interp", Usage: "what runs the programs: interp"}
}

func conformanceCommand() *cli.Command {
	return &cli.Command{
		Name:      "conformance",
		Usage:     "run bpf_conformance .data tests (files or directories)",
		ArgsUsage: "PATH...",
		Flags:     []cli.Flag{engineFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("conformance: expected at least one test file or directory")
			}
			engine, err := conformanceEngine(c.String("engine"))
			if err != nil {
				return err
			}
			_, failed, err := conformance.Run(engine, c.Args().Slice(), c.App.Writer)
			if err != nil {
				return err
			}
			if failed > 0 {
				return exitStatus(exitFailure)
			}
			return nil
		},
	}
}

func conformancePluginCommand() *cli.Command {
	return &cli.Command{
		Name:  "conformance-plugin",
		Usage: "serve bpf_conformance's plugin protocol (program as hex on stdin, memory as the first argument)",
		// The upstream runner passes its own arguments (memory as hex, --elf,
		// plugin options), which are not ours to parse as flags.
		SkipFlagParsing: true,
		ArgsUsage:       "[MEMORY] [--elf]",
		Action: func(c *cli.Context) error {
			engine, err := conformanceEngine("interp")
			if err != nil {
				return err
			}
			status := conformance.ServePlugin(engine, c.Args().Slice(), c.App.Reader, c.App.Writer, c.App.ErrWriter)
			if status != 0 {
				return exitStatus(status)
			}
			return nil
		},
	}
}
