package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/compiler"
	elffront "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/ir"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/linker/pe"
	"github.com/bpf2native/bpf2native/platform"
)

func compileCommand() *cli.Command {
	return &cli.Command{
		Name:      "compile",
		Usage:     "verify an object and compile its programs into native code",
		ArgsUsage: "OBJ",
		Flags: append(append(platformFlags(),
			&cli.StringFlag{Name: "o", Aliases: []string{"output"}, Usage: "write the result to `FILE`", Required: true},
			&cli.StringFlag{Name: "arch", Value: "amd64", Usage: "target architecture: " + strings.Join(backend.ArchNames(), ", ")},
			&cli.StringFlag{Name: "format", Value: "elf", Usage: "container: elf (relocatable object) or pe (Windows driver, .sys)"},
			&cli.StringFlag{Name: "program", Usage: "only the program called `NAME`"},
			&cli.BoolFlag{Name: "header", Usage: "also write a C header for the object beside it (OUT with .h)"},
			&cli.StringFlag{Name: "driver", Usage: "with --format elf: also write the signed Windows driver to `FILE` (the test certificate unless --key/--cert or --pkcs12)"},
			&cli.BoolFlag{Name: "no-verify", Usage: "skip verification (the code is then not proven safe)"},
			&cli.BoolFlag{Name: "allow-unverified", Usage: "allow --sign together with --no-verify"},
			&cli.BoolFlag{Name: "MD", Usage: "write a Make dependency file for the output (OUT.d unless -MF names it)"},
			&cli.StringFlag{Name: "MF", Aliases: []string{"depfile"}, Usage: "write the Make dependency file to `FILE` (implies -MD)"},
			&cli.BoolFlag{Name: "Werror", Usage: "treat warnings as errors"},
			&cli.BoolFlag{Name: "time-passes", Aliases: []string{"stats"}, Usage: "print the time and counts of each stage on stderr"},
		), signFlags()...),
		Action: func(c *cli.Context) error {
			start := time.Now()
			path, err := oneObject(c)
			if err != nil {
				return err
			}
			format := c.String("format")
			if format != "elf" && format != "pe" {
				return usagef("--format %q: unknown container (known: elf, pe)", format)
			}
			if format == "pe" && c.IsSet("platform") && c.String("platform") != "windows" {
				return usagef("--format pe builds a Windows driver: --platform %s does not apply", c.String("platform"))
			}
			if c.Bool("no-verify") && c.Bool("sign") && !c.Bool("allow-unverified") {
				return usagef("--sign with --no-verify would sign code nobody proved safe; add --allow-unverified to mean it")
			}
			signer, err := signerFromFlags(c)
			if err != nil {
				return err
			}
			driver := c.String("driver")
			if driver != "" {
				if format != "elf" {
					return usagef("--driver goes with --format elf: --format pe writes the driver itself")
				}
				if c.String("platform") != platform.Windows {
					return usagef("--driver builds an ebpf-for-windows driver: the object must follow --platform windows")
				}
				if c.Bool("no-verify") && !c.Bool("allow-unverified") {
					return usagef("--driver with --no-verify would sign code nobody proved safe; add --allow-unverified to mean it")
				}
			}
			driverSigner := signer
			if driver != "" && driverSigner == nil {
				if err := c.Set("sign", "true"); err != nil {
					return err
				}
				if driverSigner, err = signerFromFlags(c); err != nil {
					return err
				}
				signer = nil // --sign was not asked for the object itself
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
				fmt.Fprintf(c.App.ErrWriter, "%s: %s: --no-verify: the native code is NOT proven safe; a faulty program can crash or corrupt whatever runs it\n", path, warningWord(c))
				if c.Bool("Werror") {
					return exitStatus(exitFailure)
				}
			}
			stats := &passStats{}
			stats.stage("read and decode", start, len(source))
			if format == "pe" {
				if plat, err = platformNamed(platform.Windows, c.String("program-types")); err != nil {
					return err
				}
				if mod, err = elffront.Load(path, source, plat); err != nil {
					return err
				}
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
			stats.stage("verify and compile", time.Now(), len(res.Object.Text))
			out := c.String("o")
			var object []byte
			if format == "pe" {
				object, err = linkDriver(plat, res, mod, out)
			} else {
				object, err = elflink.Link(res.Object, res.Metadata)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			if signer != nil {
				if object, err = signer.Sign(c.Context, object); err != nil {
					return fmt.Errorf("%s: signing: %w", out, err)
				}
			}
			stats.stage("link", time.Now(), len(object))
			if c.Bool("header") && format == "elf" {
				header := strings.TrimSuffix(out, filepath.Ext(out)) + ".h"
				if err := writeFileAtomic(header, elflink.Header(res.Metadata, headerGuard(header))); err != nil {
					return err
				}
			}
			if driver != "" {
				// The driver's code follows the Windows convention of
				// its arch, so it is compiled again for it.
				dres, err := compiler.Compile(mod, source, compiler.Options{
					Platform: plat,
					Target:   backend.Target{Arch: arch, ABI: defaultABI(arch, "pe")},
					NoVerify: noVerify,
					Verifier: defaultVerifierOptions(),
				})
				if err != nil {
					return err
				}
				sys, err := linkDriver(plat, dres, mod, driver)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				if sys, err = driverSigner.Sign(c.Context, sys); err != nil {
					return fmt.Errorf("%s: signing: %w", driver, err)
				}
				if err := writeFileAtomic(driver, sys); err != nil {
					return err
				}
			}
			if err := writeFileAtomic(out, object); err != nil {
				return err
			}
			if depfile := c.String("MF"); depfile != "" || c.Bool("MD") {
				if depfile == "" {
					depfile = out + ".d"
				}
				inputs := []string{path}
				for _, f := range []string{"program-types", "key", "cert", "pkcs12", "pkcs12-password-file"} {
					if v := c.String(f); v != "" {
						inputs = append(inputs, v)
					}
				}
				targets := []string{out}
				if driver != "" {
					targets = append(targets, driver)
				}
				if err := writeFileAtomic(depfile, makeRule(targets, inputs)); err != nil {
					return err
				}
			}
			stats.stage("write", time.Now(), len(object))
			if c.Bool("time-passes") {
				insns := 0
				for _, p := range mod.Programs {
					insns += len(p.Insns)
				}
				stats.print(c.App.ErrWriter, len(mod.Programs), insns, len(res.Object.Text))
			}
			return nil
		},
	}
}

// warningWord is how a warning is labelled: as an error under -Werror.
func warningWord(c *cli.Context) string {
	if c.Bool("Werror") {
		return "error"
	}
	return "warning"
}

// makeRule is a Make rule saying that targets depend on inputs, plus an
// empty rule per input so that make does not fail when one is deleted
// (what gcc's -MP adds).
func makeRule(targets, inputs []string) []byte {
	var b strings.Builder
	for i, t := range targets {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(makeEscape(t))
	}
	b.WriteString(":")
	for _, in := range inputs {
		b.WriteString(" " + makeEscape(in))
	}
	b.WriteString("\n")
	for _, in := range inputs {
		b.WriteString("\n" + makeEscape(in) + ":\n")
	}
	return []byte(b.String())
}

// makeEscape escapes what make would otherwise split or expand in a file
// name.
func makeEscape(name string) string {
	r := strings.NewReplacer(" ", "\\ ", "#", "\\#", "$", "$$")
	return r.Replace(name)
}

// passStats records how long each stage of compile took, like clang's
// -ftime-report.
type passStats struct {
	last   time.Time
	stages []stageStat
}

type stageStat struct {
	name  string
	took  time.Duration
	bytes int
}

func (s *passStats) stage(name string, now time.Time, bytes int) {
	if s.last.IsZero() {
		s.last = now
	}
	t := time.Now()
	s.stages = append(s.stages, stageStat{name, t.Sub(s.last), bytes})
	s.last = t
}

func (s *passStats) print(w io.Writer, programs, insns, codeBytes int) {
	var total time.Duration
	for _, st := range s.stages {
		total += st.took
	}
	fmt.Fprintf(w, "=== bpf2native compile: %d programs, %d eBPF instructions in, %d bytes of machine code out\n", programs, insns, codeBytes)
	for _, st := range s.stages {
		fmt.Fprintf(w, "  %-20s %10.3f ms %6.1f%%  %d bytes\n", st.name, float64(st.took.Microseconds())/1000, 100*float64(st.took)/float64(max(total, 1)), st.bytes)
	}
	fmt.Fprintf(w, "  %-20s %10.3f ms\n", "total", float64(total.Microseconds())/1000)
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

// instructionCounts lists each program's eBPF instruction count, which a
// driver's metadata records.
func instructionCounts(mod *ir.Module) []int {
	counts := make([]int, len(mod.Programs))
	for i, p := range mod.Programs {
		counts[i] = len(p.Insns)
	}
	return counts
}

// linkDriver links compiled code into a driver named after out: bpf2c names
// a module after its source, and its global sections' maps after the
// module.
func linkDriver(plat *platform.Platform, res *compiler.Result, mod *ir.Module, out string) ([]byte, error) {
	return linkDriverNamed(plat, res, mod, strings.TrimSuffix(filepath.Base(out), filepath.Ext(out)))
}

func linkDriverNamed(plat *platform.Platform, res *compiler.Result, mod *ir.Module, name string) ([]byte, error) {
	hashes, err := programInfoHashes(plat, res.Metadata)
	if err != nil {
		return nil, err
	}
	return pe.Link(res.Object, res.Metadata, pe.Options{
		Name:              name,
		InstructionCounts: instructionCounts(mod),
		ProgramInfoHashes: hashes,
	})
}
