package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// genCommand is not available on Windows: it compiles C through
// cilium/ebpf's bpf2go gen package, which does not build there. Generate on
// Linux or macOS (the generated package itself builds and runs everywhere).
func genCommand() *cli.Command {
	return &cli.Command{
		Name:            "gen",
		Usage:           "for go:generate (not on Windows: run it on Linux or macOS)",
		ArgsUsage:       "IDENT FILE.c|FILE.o [-- CFLAGS...]",
		SkipFlagParsing: true,
		Action: func(*cli.Context) error {
			return errors.New("gen: not available on Windows (cilium/ebpf's bpf2go gen package, which compiles the C, does not build there); run go generate on Linux or macOS")
		},
	}
}
