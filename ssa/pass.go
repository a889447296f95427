package ssa

import (
	"fmt"
	"io"

	"github.com/cilium/ebpf/asm"
)

// Facts are what a verifier proved about register values. Questions are
// about a register just before instruction insn (an index into
// ir.Program.Insns) executes. A nil Facts knows nothing.
type Facts interface {
	// NonZero reports whether reg is known to be non-zero (as 64 bits).
	NonZero(insn int, reg asm.Register) bool
	// Range returns bounds known for reg, if any.
	Range(insn int, reg asm.Register) (Range, bool)
}

// Range bounds a 64-bit register value both as signed and as unsigned
// (a verifier tracks both; each excludes different things).
type Range struct {
	Min, Max   int64
	UMin, UMax uint64
}

// Options control Compile.
type Options struct {
	// Facts, when not nil, let divguard drop guards the facts make dead.
	Facts Facts
	// DumpAfter names a pass after which the function is written to Dump;
	// "all" dumps the lifted function and the function after every pass.
	DumpAfter string
	Dump      io.Writer
	// Check runs Check after every pass and fails on the first violation;
	// tests set it.
	Check bool
	// Disable names optional passes to skip.
	Disable []string
}

type pass struct {
	name string
	fn   func(*Func)
	// required passes run even when disabled: later stages rely on what
	// they establish.
	required bool
}

// passes is the pipeline, in order. The constraints below say why the
// order is what it is.
var passes = [...]pass{
	// Lifting leaves a copy for each register read that crosses a block
	// boundary and a phi per register at every join; most are trivial.
	{name: "early copyelim", fn: copyelim, required: true},
	{name: "early deadcode", fn: deadcodeCompact, required: true},
	{name: "opt", fn: opt},
	{name: "promote", fn: promote},
	{name: "cse", fn: cse},
	{name: "late opt", fn: opt},
	{name: "zeroext", fn: zeroext},
	{name: "divguard", fn: divguard},
	{name: "simplifycfg", fn: simplifyCFG},
	{name: "branchelim", fn: branchelim},
	{name: "late deadcode", fn: deadcode, required: true},
}

// passOrder lists "a before b" constraints, each with its reason. They
// are checked when the package starts, so a reordering that breaks one
// fails every test.
var passOrder = [...]struct{ a, b, why string }{
	{"early copyelim", "opt", "opt matches patterns on arguments, which must not hide behind copies"},
	{"opt", "promote", "promote recognizes stack accesses only once opt has folded FP+constant address arithmetic into the access offsets"},
	{"promote", "late opt", "promoted slots turn loads into the stored values, which late opt folds"},
	{"opt", "cse", "folding first makes equal computations look equal"},
	{"cse", "late opt", "cse makes equal arguments one value, which the x-x, x^x, x==x rules of late opt need"},
	{"late opt", "divguard", "divisors that become constants only after propagation are guards divguard can drop"},
	{"late opt", "zeroext", "late opt removes Trunc(ZeroExt(x)) pairs, leaving zeroext the ZeroExt(Trunc(x)) ones"},
	{"simplifycfg", "late deadcode", "simplifycfg leaves copies and dead values behind"},
	{"simplifycfg", "branchelim", "branchelim finds the arms simplifycfg emptied and bypassed, and triangles it left"},
	{"branchelim", "late deadcode", "branchelim's speculated values may be dead on the other path, and its cleanup leaves copies"},
	{"zeroext", "late deadcode", "zeroext leaves the bypassed extensions dead"},
}

func init() {
	index := map[string]int{}
	for i, p := range passes {
		if _, dup := index[p.name]; dup {
			panic(fmt.Sprintf("BUG: pass %q listed twice", p.name))
		}
		index[p.name] = i
	}
	for _, c := range passOrder {
		a, okA := index[c.a]
		b, okB := index[c.b]
		if !okA || !okB {
			panic(fmt.Sprintf("BUG: pass order names an unknown pass: %q before %q", c.a, c.b))
		}
		if a >= b {
			panic(fmt.Sprintf("BUG: pass %q must run before %q: %s", c.a, c.b, c.why))
		}
	}
}

// PassNames returns the names of the passes in pipeline order.
func PassNames() []string {
	names := make([]string, len(passes))
	for i, p := range passes {
		names[i] = p.name
	}
	return names
}

// Compile runs the pipeline on f.
func Compile(f *Func, opts Options) error {
	if opts.DumpAfter != "" && opts.Dump == nil {
		return fmt.Errorf("DumpAfter %q without a Dump writer", opts.DumpAfter)
	}
	if opts.DumpAfter != "" && opts.DumpAfter != "all" && !isPass(opts.DumpAfter) {
		return fmt.Errorf("DumpAfter names no pass: %q", opts.DumpAfter)
	}
	disabled := map[string]bool{}
	for _, name := range opts.Disable {
		if !isPass(name) {
			return fmt.Errorf("cannot disable %q: no such pass", name)
		}
		disabled[name] = true
	}
	f.facts = opts.Facts
	defer func() { f.facts = nil }()
	if opts.DumpAfter == "all" {
		if err := dump(opts.Dump, "lifted", f); err != nil {
			return err
		}
	}
	for _, p := range passes {
		if disabled[p.name] && !p.required {
			continue
		}
		p.fn(f)
		if opts.Check {
			if err := Check(f); err != nil {
				return fmt.Errorf("after %s: %w", p.name, err)
			}
		}
		if opts.DumpAfter == "all" || opts.DumpAfter == p.name {
			if err := dump(opts.Dump, p.name, f); err != nil {
				return err
			}
		}
	}
	return nil
}

func isPass(name string) bool {
	for _, p := range passes {
		if p.name == name {
			return true
		}
	}
	return false
}

func dump(w io.Writer, stage string, f *Func) error {
	if _, err := fmt.Fprintf(w, "# %s\n", stage); err != nil {
		return err
	}
	return f.Format(w)
}

// PruneCallArgs drops the arguments that calls between the functions of
// one program (funcs, indexed as CallLocal names them, each compiled)
// pass to parameters their callee never reads: such an argument becomes
// Undef, which backends pass no register for, and what only computed it
// (often a phi merging a register with the Undef a previous call left)
// goes away. It repeats until no callee loses a parameter, since a
// parameter passed only to another call may become unread.
func PruneCallArgs(funcs []*Func) {
	reads := func(f *Func) (r [5]bool) {
		for _, v := range f.Entry().Values {
			if v.Op == OpArg && v.Aux >= 0 && v.Aux < 5 {
				r[v.Aux] = true
			}
		}
		return r
	}
	for changed := true; changed; {
		changed = false
		params := make([][5]bool, len(funcs))
		for i, f := range funcs {
			params[i] = reads(f)
		}
		for _, f := range funcs {
			pruned := false
			for _, b := range f.Blocks {
				for _, v := range b.Values {
					if v.Op != OpCallLocal || v.Aux < 0 || int(v.Aux) >= len(funcs) {
						continue
					}
					for i := 0; i < 5; i++ {
						if !params[v.Aux][i] && v.Args[i].Op != OpUndef {
							v.Args[i] = f.Undef()
							pruned = true
						}
					}
				}
			}
			if pruned {
				before := reads(f)
				copyelim(f)
				deadcode(f)
				if reads(f) != before {
					changed = true
				}
			}
		}
	}
}
