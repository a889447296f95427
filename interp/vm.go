package interp

import (
	"errors"
	"fmt"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
)

// Errors a run can end with, wrapped in a *Fault.
var (
	ErrBudget    = errors.New("instruction budget exhausted")
	ErrCallDepth = errors.New("call depth exceeds the frame limit")
	ErrFellOff   = errors.New("execution ran off the end of the function")
)

// StackSize is the size of each frame's stack; MaxFrames how many frames
// bpf-to-bpf calls may nest, the entry's included, as on Linux.
const (
	StackSize = 512
	MaxFrames = 8
)

// DefaultMaxInstructions is the budget of a run unless Options say
// otherwise: large enough for any real program, small enough that an
// endless loop ends in seconds.
const DefaultMaxInstructions = 1 << 30

// Options tune a VM.
type Options struct {
	// MaxInstructions bounds the instructions one run may execute (tail
	// calls included); 0 means DefaultMaxInstructions.
	MaxInstructions uint64
}

// Fault is an error raised by a running program, located at an instruction.
type Fault struct {
	Program string
	// Slot is the instruction's offset in 8-byte slots.
	Slot int
	Pos  ir.Position
	Err  error
}

func (f *Fault) Error() string {
	loc := fmt.Sprintf("program %s: instruction %d", f.Program, f.Slot)
	if f.Pos.Known() {
		loc += fmt.Sprintf(" (%s:%d:%d)", f.Pos.File, f.Pos.Line, f.Pos.Col)
	}
	return loc + ": " + f.Err.Error()
}

func (f *Fault) Unwrap() error { return f.Err }

// VM runs the programs of one module against one host.Runtime. It is not safe
// for concurrent use.
type VM struct {
	RT      *host.Runtime
	Options Options

	codes      []*Code
	mapHandles []uint64
	mapValues  []uint64 // 0 where the map has no directly addressable value
	m          machine
	executed   uint64
	ctxReads   ctxReads
}

// NewVM compiles every program of rt.Module.
func NewVM(rt *host.Runtime, opts Options) (*VM, error) {
	vm := &VM{RT: rt, Options: opts}
	for _, p := range rt.Module.Programs {
		c, err := Compile(rt.Module, p)
		if err != nil {
			return nil, err
		}
		vm.codes = append(vm.codes, c)
	}
	for i, m := range rt.Maps {
		vm.mapHandles = append(vm.mapHandles, m.Handle())
		v, err := rt.MapValueAddr(i)
		if err != nil {
			v = 0
		}
		vm.mapValues = append(vm.mapValues, v)
	}
	vm.m.stack = make([]byte, StackSize*MaxFrames)
	vm.m.top = host.Addr(vm.m.stack) + uint64(len(vm.m.stack))
	vm.m.vm = vm
	return vm, nil
}

// Program returns the index of the program called name, or -1.
func (vm *VM) Program(name string) int {
	for i, c := range vm.codes {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Executed returns how many instructions the last run executed.
func (vm *VM) Executed() uint64 { return vm.executed }

// Run runs program prog with ctx and returns r0 at its final exit.
func (vm *VM) Run(prog int, ctx *host.Context) (uint64, error) {
	if prog < 0 || prog >= len(vm.codes) {
		return 0, fmt.Errorf("no program %d (the module has %d)", prog, len(vm.codes))
	}
	if ctx == nil {
		return 0, fmt.Errorf("program %s: no context", vm.codes[prog].Name)
	}
	m := &vm.m
	limit := vm.Options.MaxInstructions
	if limit == 0 {
		limit = DefaultMaxInstructions
	}
	m.reset(ctx, limit)
	r0, err := m.run(prog)
	vm.executed = m.steps
	m.ctx, m.regions, m.cache, m.w = nil, nil, nil, [2]window{}
	return r0, err
}
