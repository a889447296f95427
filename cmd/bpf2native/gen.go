//go:build !windows

package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/compiler"
	"github.com/bpf2native/bpf2native/gen"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
)

// windowsDriver returns what links and signs the .sys of --windows, with
// the key the signing flags select (the built-in test certificate when
// none is given).
func windowsDriver(c *cli.Context, stem string, plat *platform.Platform) (gen.DriverFunc, error) {
	if !c.Bool("windows") {
		return nil, nil
	}
	if !c.Bool("sign") && !c.IsSet("key") && !c.IsSet("pkcs12") {
		// Drivers are for shipping: unsigned ones load nowhere.
		if err := c.Set("sign", "true"); err != nil {
			return nil, err
		}
	}
	signer, err := signerFromFlags(c)
	if err != nil {
		return nil, err
	}
	return func(arch string, res *compiler.Result, mod *ir.Module) ([]byte, error) {
		image, err := linkDriverNamed(plat, res, mod, stem)
		if err != nil {
			return nil, err
		}
		return signer.Sign(c.Context, image)
	}, nil
}

func genCommand() *cli.Command {
	return &cli.Command{
		Name:  "gen",
		Usage: "for go:generate: compile C into eBPF and native code and write a Go package running it",
		ArgsUsage: "IDENT FILE.c|FILE.o [-- CFLAGS...]\n\n" +
			"   //go:generate go run github.com/bpf2native/bpf2native/cmd/bpf2native gen Counter counter.c -- -I.\n\n" +
			"   writes STEM_bpfel.o (the eBPF object), STEM_bpf2native.go (LoadIDENT, typed programs, maps\n" +
			"   and globals), native code per architecture (STEM_bpf2native_ARCH.o and .go) and\n" +
			"   STEM_bpf2native_other.go (the interpreter elsewhere); STEM is IDENT in lower case",
		Flags: append(platformFlags(),
			&cli.StringFlag{Name: "cc", Value: gen.DefaultCC, EnvVars: []string{"BPF2NATIVE_CC"}, Usage: "C compiler `CMD`"},
			&cli.StringFlag{Name: "strip", Value: gen.DefaultStrip, EnvVars: []string{"BPF2NATIVE_STRIP"}, Usage: "`CMD` stripping DWARF from the object"},
			&cli.BoolFlag{Name: "no-strip", Usage: "keep DWARF in the object"},
			&cli.StringFlag{Name: "cflags", EnvVars: []string{"BPF2NATIVE_CFLAGS"}, Usage: "C `FLAGS` (split at spaces) before those after --"},
			&cli.StringSliceFlag{Name: "type", Usage: "also declare the C type `NAME` in Go (repeatable)"},
			&cli.StringFlag{Name: "go-package", Usage: "Go package `NAME` (default $GOPACKAGE, which go generate sets, else the directory's name)"},
			&cli.StringFlag{Name: "output-dir", Value: ".", Usage: "write the files into `DIR`"},
			&cli.StringFlag{Name: "output-stem", Usage: "start file names with `STEM` (default IDENT in lower case)"},
			&cli.StringSliceFlag{Name: "arch", Usage: "compile native code for linux/`ARCH` (repeatable; default amd64 and arm64, where this build has the backend)"},
			&cli.BoolFlag{Name: "no-native", Usage: "generate no native code: the package always runs the interpreter"},
			&cli.BoolFlag{Name: "kernel", Usage: "also write bpf2go's cilium/ebpf bindings of the object (IDENTKernel...) to load it into a Linux kernel"},
			&cli.BoolFlag{Name: "windows", Usage: "also write the signed Windows drivers (STEM_windows_ARCH.sys) for ebpf-for-windows"},
			&cli.StringSliceFlag{Name: "windows-arch", Usage: "drivers for `ARCH` (repeatable; default amd64)"},
			&cli.BoolFlag{Name: "sign", Usage: "sign the Windows drivers (always on with --windows)"},
			&cli.StringFlag{Name: "key", Usage: "PEM private key `FILE` for the drivers' signature"},
			&cli.StringFlag{Name: "cert", Usage: "PEM certificate chain `FILE` (signer first)"},
			&cli.StringFlag{Name: "pkcs12", Usage: "PKCS#12 `FILE` holding key and chain"},
			&cli.StringFlag{Name: "pkcs12-password-env", Usage: "environment `VARIABLE` holding the PKCS#12 password"},
			&cli.StringFlag{Name: "pkcs12-password-file", Usage: "`FILE` holding the PKCS#12 password"},
			&cli.StringFlag{Name: "timestamp-url", Usage: "RFC 3161 time-stamping authority `URL`"},
		),
		Action: func(c *cli.Context) error {
			args := c.Args().Slice()
			var cflags []string
			for i, a := range args {
				if a == "--" {
					args, cflags = args[:i], args[i+1:]
					break
				}
			}
			if len(args) != 2 {
				return usagef("gen: expected IDENT and a C file or object, got %d arguments (C flags go after --)", len(args))
			}
			ident, source := args[0], args[1]
			cflags = append(strings.Fields(c.String("cflags")), cflags...)
			plat, err := selectedPlatform(c)
			if err != nil {
				return err
			}
			dir := c.String("output-dir")
			pkg := c.String("go-package")
			if pkg == "" {
				pkg = os.Getenv("GOPACKAGE")
			}
			if pkg == "" {
				abs, err := filepath.Abs(dir)
				if err != nil {
					return err
				}
				pkg = filepath.Base(abs)
			}
			stem := c.String("output-stem")
			if stem == "" {
				stem = strings.ToLower(ident)
			}
			var arches []string
			if c.IsSet("arch") {
				arches = c.StringSlice("arch")
				for _, a := range arches {
					if _, err := backend.LookupArch(a); err != nil {
						return usagef("--arch %q: unknown architecture (known: %s)", a, strings.Join(backend.ArchNames(), ", "))
					}
				}
			}
			var windowsArches []string
			if c.IsSet("windows-arch") {
				windowsArches = c.StringSlice("windows-arch")
			}
			driver, err := windowsDriver(c, stem, plat)
			if err != nil {
				return err
			}
			opts := gen.Options{
				Ident:            ident,
				Source:           source,
				CFlags:           cflags,
				CC:               c.String("cc"),
				Strip:            c.String("strip"),
				DisableStripping: c.Bool("no-strip"),
				Package:          pkg,
				OutputStem:       stem,
				Platform:         plat,
				Arches:           arches,
				NoNative:         c.Bool("no-native"),
				Types:            c.StringSlice("type"),
				Kernel:           c.Bool("kernel"),
				Windows:          c.Bool("windows"),
				WindowsArches:    windowsArches,
				Driver:           driver,
				Verifier:         defaultVerifierOptions(),
				Warnings:         c.App.ErrWriter,
			}
			files, err := gen.Generate(opts)
			var rejected *gen.RejectedError
			if errors.As(err, &rejected) {
				printDiagnostics(c.App.ErrWriter, rejected.Object, rejected.Verification)
				return exitStatus(exitFailure)
			}
			if err != nil {
				return err
			}
			return gen.WriteFiles(dir, stem, files)
		},
	}
}
