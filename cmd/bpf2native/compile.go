package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/compiler"
	elffront "github.com/bpf2native/bpf2native/frontend/elf"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
)

func compileCommand() *cli.Command {
	return &cli.Command{
		Name:      "compile",
		Usage:     "verify an object and compile its programs into native code",
		ArgsUsage: "OBJ",
		Flags: append(platformFlags(),
			&cli.StringFlag{Name: "o", Aliases: []string{"output"}, Usage: "write the result to `FILE`", Required: true},
			&cli.StringFlag{Name: "arch", Value: "amd64", Usage: "target architecture: " + strings.Join(backend.ArchNames(), ", ")},
			&cli.StringFlag{Name: "format", Value: "elf", Usage: "container: elf (relocatable object)"},
			&cli.StringFlag{Name: "program", Usage: "only the program called `NAME`"},
			&cli.BoolFlag{Name: "header", Usage: "also write a C header for the object beside it (OUT with .h)"},
			&cli.BoolFlag{Name: "no-verify", Usage: "skip verification (the code is then not proven safe)"},
		),
		Action: func(c *cli.Context) error {
			path, err := oneObject(c)
			if err != nil {
				return err
			}
			format := c.String("format")
			if format != "elf" {
				return usagef("--format %q: unknown container (known: elf)", format)
			}
			arch := c.String("arch")
			if _, err := backend.LookupArch(arch); err != nil {
				return usagef("--arch %q: unknown architecture (known: %s)", arch, strings.Join(backend.ArchNames(), ", "))
			}
			plat, err := selectedPlatform(c)
			if err != nil {
				return err
			}
			source, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			mod, err := elffront.Load(path, source, plat)
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
			noVerify := c.Bool("no-verify")
			if noVerify {
				fmt.Fprintf(c.App.ErrWriter, "%s: warning: --no-verify: the native code is NOT proven safe; a faulty program can crash or corrupt whatever runs it\n", path)
			}
			res, err := compiler.Compile(mod, source, compiler.Options{
				Platform: plat,
				Target:   backend.Target{Arch: arch, ABI: defaultABI(arch, format)},
				NoVerify: noVerify,
				Verifier: defaultVerifierOptions(),
			})
			if errors.Is(err, compiler.ErrRejected) && res != nil {
				printDiagnostics(c.App.ErrWriter, mod.Source, res.Verification)
				return exitStatus(exitFailure)
			}
			if err != nil {
				return err
			}
			out := c.String("o")
			object, err := elflink.Link(res.Object, res.Metadata)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if c.Bool("header") {
				header := strings.TrimSuffix(out, filepath.Ext(out)) + ".h"
				if err := writeFileAtomic(header, elflink.Header(res.Metadata, headerGuard(header))); err != nil {
					return err
				}
			}
			return writeFileAtomic(out, object)
		},
	}
}

// headerGuard derives an include guard from a header's file name.
func headerGuard(path string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(filepath.Base(path)) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return "BPF2NATIVE_" + b.String()
}
