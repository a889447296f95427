package main

import (
	"fmt"
	"runtime"

	"github.com/bpf2native/bpf2native/backend"
	_ "github.com/bpf2native/bpf2native/compiler" // registers the architectures
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/interp"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/loader"
)

// engine runs the programs of one module.
type engine interface {
	Run(prog int, ctx *host.Context) (uint64, error)
	Close() error
}

// hostTarget is the target whose code this process can run: the host's
// architecture with its C convention.
func hostTarget(arch string) (backend.Target, error) {
	if arch == "" {
		arch = runtime.GOARCH
	}
	if arch != runtime.GOARCH {
		return backend.Target{}, usagef("--arch %s: native code runs in this process, which is %s (run an %s build of bpf2native, e.g. under qemu-%s)",
			arch, runtime.GOARCH, arch, qemuName(arch))
	}
	return backend.Target{Arch: arch, ABI: defaultABI(arch, "elf")}, nil
}

func qemuName(arch string) string {
	if arch == "arm64" {
		return "aarch64"
	}
	return "x86_64"
}

// defaultABI is the calling convention a container implies for an arch.
func defaultABI(arch, format string) string {
	switch {
	case format == "pe":
		return "windows"
	case arch == "arm64":
		return "aapcs64"
	}
	return "sysv"
}

// newEngine returns the interpreter or the native code of mod, bound to rt.
// Native code is compiled from mod as given: callers verify first.
func newEngine(name, arch string, mod *ir.Module, rt *host.Runtime) (engine, error) {
	switch name {
	case "interp":
		vm, err := interp.NewVM(rt, interp.Options{})
		if err != nil {
			return nil, err
		}
		return interpEngine{vm}, nil
	case "native":
		target, err := hostTarget(arch)
		if err != nil {
			return nil, err
		}
		obj, err := backend.Compile(mod, target, backend.Options{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", mod.Source, err)
		}
		return loader.Load(obj, mod, rt)
	}
	return nil, usagef("--engine %q: unknown engine (known: interp, native)", name)
}

type interpEngine struct{ vm *interp.VM }

func (e interpEngine) Run(prog int, ctx *host.Context) (uint64, error) { return e.vm.Run(prog, ctx) }
func (interpEngine) Close() error                                      { return nil }
