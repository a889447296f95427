package interp

import (
	"fmt"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
)

// Helper binds a helper id for RunBytecode.
type Helper struct {
	ID int32
	Fn host.HelperFunc
}

// ConformanceHelperID is the one helper the conformance suite calls; it must
// accept any argument and return normally.
const ConformanceHelperID = 5

// RunBytecode runs raw bytecode as the conformance suite does: r1 points to a
// private copy of mem and r2 holds its length; helper 5 returns r1. Its
// signature is conformance.Engine's; NewBytecodeVM binds more helpers.
func RunBytecode(code, mem []byte) (uint64, error) {
	vm, ctx, err := NewBytecodeVM(code, mem, Options{})
	if err != nil {
		return 0, err
	}
	return vm.Run(0, ctx)
}

// NewBytecodeVM prepares raw bytecode for repeated runs: a VM over a module
// holding just that program, and its memory context. helpers are bound after
// the conformance helper 5, so they may replace it.
func NewBytecodeVM(code, mem []byte, opts Options, helpers ...Helper) (*VM, *host.Context, error) {
	insns, err := ir.Decode(code)
	if err != nil {
		return nil, nil, fmt.Errorf("decoding bytecode: %w", err)
	}
	p, err := ir.NewProgram("main", insns, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("decoding bytecode: %w", err)
	}
	mod := &ir.Module{Programs: []*ir.Program{p}}
	rt, err := host.New(mod, nil)
	if err != nil {
		return nil, nil, err
	}
	if err := rt.Bind(ConformanceHelperID, "conformance_unwind", func(c *host.Call) (uint64, error) { return c.Args[0], nil }); err != nil {
		return nil, nil, fmt.Errorf("BUG: %w", err)
	}
	for _, h := range helpers {
		if err := rt.Bind(h.ID, fmt.Sprintf("helper%d", h.ID), h.Fn); err != nil {
			return nil, nil, err
		}
	}
	vm, err := NewVM(rt, opts)
	if err != nil {
		return nil, nil, err
	}
	return vm, host.NewMemoryContext(mem), nil
}
