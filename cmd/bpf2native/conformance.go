package main

import (
	"github.com/urfave/cli/v2"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/conformance"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/interp"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/loader"
	"github.com/bpf2native/bpf2native/platform"
)

// conformanceEngine returns the engine an --engine value names.
func conformanceEngine(name, arch string) (conformance.Engine, error) {
	switch name {
	case "interp":
		return interp.RunBytecode, nil
	case "native":
		target, err := hostTarget(arch)
		if err != nil {
			return nil, err
		}
		return func(code, mem []byte) (uint64, error) { return runNativeBytecode(target, code, mem) }, nil
	}
	return nil, usagef("--engine %q: unknown engine (known: interp, native)", name)
}

// runNativeBytecode compiles raw bytecode for target and runs it in this
// process with r1 pointing at a copy of mem and r2 holding its length, as
// the conformance suite expects. The suite's programs are not verified:
// they are known-good and use r1 as plain memory, which no program type's
// context describes.
func runNativeBytecode(target backend.Target, code, mem []byte) (uint64, error) {
	insns, err := ir.Decode(code)
	if err != nil {
		return 0, err
	}
	p, err := ir.NewProgram("main", insns, nil)
	if err != nil {
		return 0, err
	}
	mod := &ir.Module{Source: "conformance", Platform: platform.Linux, Programs: []*ir.Program{p}}
	rt, err := host.New(mod, nil)
	if err != nil {
		return 0, err
	}
	// The suite's only helper, id 5, must exist and return normally.
	if err := rt.Bind(interp.ConformanceHelperID, "conformance_noop", func(c *host.Call) (uint64, error) { return c.Args[0], nil }); err != nil {
		return 0, err
	}
	obj, err := backend.Compile(mod, target, backend.Options{})
	if err != nil {
		return 0, err
	}
	img, err := loader.Load(obj, mod, rt)
	if err != nil {
		return 0, err
	}
	defer img.Close()
	return img.Run(0, host.NewMemoryContext(mem))
}

func engineFlag() cli.Flag {
	return &cli.StringFlag{Name: "engine", Value: "interp", Usage: "what runs the programs: interp or native"}
}

func archFlag() cli.Flag {
	return &cli.StringFlag{Name: "arch", Usage: "with --engine native: the architecture to compile for (default: this machine's)"}
}

func conformanceCommand() *cli.Command {
	return &cli.Command{
		Name:      "conformance",
		Usage:     "run bpf_conformance .data tests (files or directories)",
		ArgsUsage: "PATH...",
		Flags:     []cli.Flag{engineFlag(), archFlag()},
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				return usagef("conformance: expected at least one test file or directory")
			}
			engine, err := conformanceEngine(c.String("engine"), c.String("arch"))
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
			engine, err := conformanceEngine("interp", "")
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
