// Package compiler is the pipeline from a decoded module to native code, as
// the command line and go:generate users run it: verify every program,
// hand the verifier's facts to the optimizer, generate code for a target,
// and describe the result for the linkers.
package compiler

import (
	"errors"
	"fmt"

	"github.com/cilium/ebpf/asm"

	"github.com/bpf2native/bpf2native/backend"
	// Every architecture the command line offers registers itself here.
	_ "github.com/bpf2native/bpf2native/backend/amd64"
	_ "github.com/bpf2native/bpf2native/backend/arm64"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/ssa"
	"github.com/bpf2native/bpf2native/verifier"
)

// ErrRejected is returned when the verifier refuses a program; the
// Result's Verification holds the diagnostics.
var ErrRejected = verifier.ErrRejected

// Options select what Compile does.
type Options struct {
	Platform *platform.Platform
	Target   backend.Target
	// NoVerify skips verification: the code is generated without facts and
	// without any proof that it is safe to run.
	NoVerify bool
	// Verifier options (limits, trace) when verifying.
	Verifier verifier.Options
	// Disable names optional SSA passes to skip.
	Disable []string
}

// Result is what Compile produced.
type Result struct {
	// Verification is nil when verification was skipped.
	Verification *verifier.Result
	Object       *backend.Object
	Metadata     *metadata.Metadata
}

// Compile verifies mod (unless told not to) and compiles it for
// opts.Target. source is the ELF object mod was read from, whose hash the
// metadata records. When a program is refused the error wraps ErrRejected
// and the returned Result carries the diagnostics.
func Compile(mod *ir.Module, source []byte, opts Options) (*Result, error) {
	if opts.Platform == nil {
		return nil, errors.New("compiler: no platform")
	}
	res := &Result{}
	var facts []ssa.Facts
	if !opts.NoVerify {
		v, err := verifier.Verify(mod, opts.Platform, opts.Verifier)
		if err != nil {
			return nil, err
		}
		res.Verification = v
		if !v.OK() {
			return res, v.Err()
		}
		facts = make([]ssa.Facts, len(mod.Programs))
		for i, p := range v.Programs {
			if p.Facts != nil {
				facts[i] = verifierFacts{p.Facts}
			}
		}
	}
	obj, err := backend.Compile(mod, opts.Target, backend.Options{Facts: facts, Disable: opts.Disable})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", mod.Source, err)
	}
	res.Object = obj
	res.Metadata = metadata.FromModule(mod, obj, source)
	return res, nil
}

// verifierFacts presents the verifier's per-instruction facts as the
// optimizer asks for them.
type verifierFacts struct{ f *verifier.Facts }

func (v verifierFacts) NonZero(insn int, reg asm.Register) bool {
	return v.f.NonZero(insn, int(reg))
}

func (v verifierFacts) Range(insn int, reg asm.Register) (ssa.Range, bool) {
	n, ok := v.f.Range(insn, int(reg))
	if !ok {
		return ssa.Range{}, false
	}
	return ssa.Range{Min: n.SMin, Max: n.SMax, UMin: n.UMin, UMax: n.UMax}, true
}
