// Command bpf2native compiles eBPF objects ahead of time into native code
// and runs them under its reference interpreter. See the README for the
// subcommands; every error is one line on stderr and the exit status says
// what happened: 0 success, 1 the input was refused or a program failed,
// 2 the command line was wrong.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	elffront "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks errors in how the command was called.
type usageError struct{ error }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run is main without the process: tests call it directly.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	unknown := false
	app.CommandNotFound = func(_ *cli.Context, name string) {
		fmt.Fprintf(stderr, "bpf2native: unknown command %q\n", name)
		unknown = true
	}
	err := app.Run(args)
	if unknown {
		return exitUsage
	}
	if err == nil {
		return exitOK
	}
	var exit exitStatus
	if errors.As(err, &exit) {
		return int(exit)
	}
	fmt.Fprintf(stderr, "bpf2native: %v\n", err)
	var usage usageError
	if errors.As(err, &usage) {
		return exitUsage
	}
	return exitFailure
}

// exitStatus is returned by commands that have already reported their
// outcome and only need the process to end with a status.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	onUsage := func(_ *cli.Context, err error, _ bool) error { return usageError{err} }
	app := &cli.App{
		Name:            "bpf2native",
		Usage:           "compile eBPF objects ahead of time into native code",
		Reader:          stdin,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		OnUsageError:    onUsage,
		ExitErrHandler:  func(*cli.Context, error) {},
		Commands: []*cli.Command{
			inspectCommand(),
			objdumpCommand(),
			verifyCommand(),
			compileCommand(),
			testCommand(),
			genCommand(),
			signCommand(),
			verifySignatureCommand(),
			runCommand(),
			conformanceCommand(),
			conformancePluginCommand(),
		},
	}
	for _, c := range app.Commands {
		c.OnUsageError = onUsage
	}
	return app
}

// platformFlags select the platform whose numbering an object follows.
func platformFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "platform", Value: platform.Windows, Usage: "runtime the object targets: windows or linux"},
		&cli.StringFlag{Name: "program-types", Usage: "`FILE` describing extra program types and helpers (platform/FORMAT.md)"},
	}
}

func selectedPlatform(c *cli.Context) (*platform.Platform, error) {
	name := c.String("platform")
	if name != platform.Windows && name != platform.Linux {
		return nil, usagef("--platform %q: must be windows or linux", name)
	}
	return platformNamed(name, c.String("program-types"))
}

// platformNamed returns a built-in platform, extended by a description
// file when one is given.
func platformNamed(name, programTypes string) (*platform.Platform, error) {
	plat, err := platform.Get(name)
	if err != nil {
		return nil, err
	}
	if programTypes != "" {
		return platform.Extend(plat, programTypes)
	}
	return plat, nil
}

// oneObject returns the single object argument of a command.
func oneObject(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", usagef("%s: expected one object file, got %d arguments", c.Command.Name, c.NArg())
	}
	return c.Args().First(), nil
}

// loadObject reads the command's object for the selected platform.
func loadObject(c *cli.Context) (*ir.Module, *platform.Platform, error) {
	path, err := oneObject(c)
	if err != nil {
		return nil, nil, err
	}
	plat, err := selectedPlatform(c)
	if err != nil {
		return nil, nil, err
	}
	mod, err := elffront.LoadFile(path, plat)
	if err != nil {
		return nil, nil, err
	}
	return mod, plat, nil
}

// selectPrograms returns the programs a --program flag names, all of them
// when it is empty.
func selectPrograms(mod *ir.Module, name string) ([]int, error) {
	var sel []int
	for i, p := range mod.Programs {
		if name == "" || p.Name == name {
			sel = append(sel, i)
		}
	}
	if len(sel) == 0 {
		return nil, fmt.Errorf("%s: no program named %q", mod.Source, name)
	}
	return sel, nil
}
