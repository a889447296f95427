package verifier

import (
	"container/heap"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/cilium/ebpf/asm"
)

// Options tune one verification.
type Options struct {
	// Limits bound the analysis; zero fields take DefaultLimits' values.
	Limits Limits
	// Trace, if set, receives the abstract state before every instruction
	// of the final pass (the -v output).
	Trace io.Writer
	// ProgramType, if set, replaces the type each program's section
	// selects (test harnesses with a synthetic context use it).
	ProgramType *platform.ProgramType
	// Entry, if set, replaces the entry state (r1 = ctx, r10 = stack).
	Entry *EntryState
	// ForbidDivisionByZero rejects a division or modulo whose divisor may
	// be zero. eBPF defines the result (0, or the dividend), so it is off
	// by default; PREVAIL's !allow_division_by_zero cases turn it on.
	ForbidDivisionByZero bool
	// CheckTermination rejects loops the analysis cannot prove finite.
	// Without it a loop is accepted once its memory accesses are proven
	// safe for every iteration.
	CheckTermination bool
	// AllowPointerReturn accepts a pointer in r0 at the program's exit.
	// Off by default: the value would reach the runtime as a number.
	AllowPointerReturn bool
}

// Limits bound the work of one verification, so that an adversarial
// program gets a clear error instead of a hang or an exhausted memory.
type Limits struct {
	// Instructions bounds the size of one program.
	Instructions int
	// States bounds the number of (calling context, block) states kept.
	States int
	// Iterations bounds the number of block evaluations.
	Iterations int
	// Time bounds the wall time spent on one program.
	Time time.Duration
	// LoopIterations bounds how many times a loop may run when
	// Options.CheckTermination is set.
	LoopIterations int
}

// DefaultLimits are generous for real programs.
var DefaultLimits = Limits{Instructions: 1 << 20, States: 1 << 18, Iterations: 1 << 22, Time: time.Minute,
	LoopIterations: 100000}

// ErrRejected is wrapped by Result.Err when a program was rejected.
var ErrRejected = errors.New("program rejected by the verifier")

// Result is the outcome of verifying a module.
type Result struct {
	Programs []*ProgramResult
}

// ProgramResult is the outcome for one program.
type ProgramResult struct {
	Program *ir.Program
	// Diagnostics are the errors found, in instruction order; the program
	// is accepted if there are none.
	Diagnostics []Diagnostic
	// Facts are proven per-instruction facts, for later stages; nil if the
	// program was rejected.
	Facts *Facts
	// StackDepth is the deepest stack use over all call chains, in bytes.
	StackDepth int
	// Stats describe the work the analysis did.
	Stats Stats
}

// Stats count an analysis' work: block evaluations (the fixpoint's, the
// descending rounds' and the final pass's), abstract states kept (one per
// calling context and block), and rounds (induction facts, iv.go).
type Stats struct {
	BlockEvaluations, States, Rounds int
}

// OK reports whether every program was accepted.
func (r *Result) OK() bool {
	for _, p := range r.Programs {
		if len(p.Diagnostics) > 0 {
			return false
		}
	}
	return true
}

// Diagnostics returns every program's diagnostics.
func (r *Result) Diagnostics() []Diagnostic {
	var ds []Diagnostic
	for _, p := range r.Programs {
		ds = append(ds, p.Diagnostics...)
	}
	return ds
}

// Err returns nil if every program was accepted, or an error listing every
// diagnostic, one per line, wrapping ErrRejected.
func (r *Result) Err() error {
	ds := r.Diagnostics()
	if len(ds) == 0 {
		return nil
	}
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.Error()
	}
	return fmt.Errorf("%w:\n%s", ErrRejected, strings.Join(lines, "\n"))
}

// Program returns the result for the program called name, or nil.
func (r *Result) Program(name string) *ProgramResult {
	for _, p := range r.Programs {
		if p.Program.Name == name {
			return p
		}
	}
	return nil
}

// Diagnostic is one reason a program is rejected.
type Diagnostic struct {
	Program string
	// Insn is the index into Program.Insns, -1 for a diagnostic about the
	// whole program; Slot is the instruction's slot (the number objdump
	// prints).
	Insn, Slot int
	Pos        ir.Position
	Message    string
	// State is the abstract state the failing check saw, in short form.
	State string
}

// Error formats the diagnostic as one line:
// "file.c:42:7: program p: instruction 12: message".
func (d Diagnostic) Error() string {
	var b strings.Builder
	if d.Pos.Known() {
		fmt.Fprintf(&b, "%s:%d:", d.Pos.File, d.Pos.Line)
		if d.Pos.Col != 0 {
			fmt.Fprintf(&b, "%d:", d.Pos.Col)
		}
		b.WriteString(" ")
	}
	fmt.Fprintf(&b, "program %s: ", d.Program)
	if d.Insn >= 0 {
		fmt.Fprintf(&b, "instruction %d: ", d.Slot)
	}
	b.WriteString(d.Message)
	return b.String()
}

// Verify checks every program of mod against plat. The error is for
// inputs the verifier cannot work on at all; a rejected program is a
// Result with diagnostics.
func Verify(mod *ir.Module, plat *platform.Platform, opts Options) (*Result, error) {
	if mod == nil || plat == nil {
		return nil, errors.New("verifier: nil module or platform")
	}
	opts.Limits = opts.Limits.withDefaults()
	res := &Result{}
	for _, p := range mod.Programs {
		res.Programs = append(res.Programs, verifyProgram(mod, p, plat, opts))
	}
	return res, nil
}

func (l Limits) withDefaults() Limits {
	if l.Instructions <= 0 {
		l.Instructions = DefaultLimits.Instructions
	}
	if l.States <= 0 {
		l.States = DefaultLimits.States
	}
	if l.Iterations <= 0 {
		l.Iterations = DefaultLimits.Iterations
	}
	if l.Time <= 0 {
		l.Time = DefaultLimits.Time
	}
	if l.LoopIterations <= 0 {
		l.LoopIterations = DefaultLimits.LoopIterations
	}
	return l
}

// block is a basic block of one function, split after local calls so that
// the code after a call starts a block the callee's exit flows to.
type block struct {
	start, end int
	succs      []int
	fallsOff   bool
	// loopHead marks the heads of loops (loops.go): every cycle of the
	// CFG passes through one, so widening there makes the analysis finite.
	loopHead bool
}

type function struct {
	blocks  []block
	blockAt map[int]int
	// loopOf is, per block, the head of the innermost natural loop holding
	// it (-1 if none); loopParent is, per head, the head of the loop
	// enclosing its loop. irreducible marks heads of cycles with more than
	// one entry.
	loopOf, loopParent []int
	irreducible        []bool
	// loopWrites is, per loop head, the registers some instruction of
	// its loop may write (see analyzer.stamp).
	loopWrites map[int]uint16
}

// callCtx is a calling context: the chain of local calls that led to an
// activation of fn. Functions are analysed once per context, so a callee
// sees its caller's argument types exactly (no summary loses precision).
type callCtx struct {
	parent, callInsn, fn, depth int
}

type nodeKey struct{ ctx, block int }

type analyzer struct {
	mod  *ir.Module
	prog *ir.Program
	plat *platform.Platform
	pt   *platform.ProgramType
	opts Options

	fns      []function
	ctxs     []callCtx
	ctxIndex map[[2]int]int
	in       map[nodeKey]*State
	visits   map[nodeKey]int
	work     workList

	iterations int
	// evaluations counts every block evaluation, of every round and pass.
	evaluations int
	deadline    time.Time
	limitErr    string

	// collecting is set during the final pass, the only one that reports
	// diagnostics and records facts: earlier passes see states that are
	// not yet fixpoints.
	collecting bool
	diags      map[diagKey]Diagnostic
	facts      *Facts
	stackUse   []int
	next       map[nodeKey]*State // narrowing: states being recomputed
	// cur is the node being evaluated; backEdges collects, in the final
	// pass, the states reaching each loop head along a back edge.
	cur       nodeKey
	backEdges map[nodeKey][]*State
	// thresholds are the program's comparison constants, for widening.
	thresholds *thresholds
	// iv gathers each loop head's induction facts (iv.go) while ivUse,
	// those of the previous round, refine; ivOff disables them.
	iv    map[nodeKey]*ivInfo
	ivUse map[nodeKey]*ivInfo
	ivOff bool
	// segFailed are the segment hypotheses refuted (segment.go).
	segFailed map[segKey]bool
	// truncs are the 32-bit moves of pointers seen by the final pass;
	// truncUsed, those whose result a 32-bit pointer difference used.
	// Any other is reported: the low half of a pointer is no value.
	truncs    map[int]truncation
	truncUsed map[int]bool
	// stackDepth is the deepest call chain's stack, from the final pass.
	stackDepth int
}

type truncation struct {
	state string
	src   asm.Register
	v     Value
}

type diagKey struct {
	insn int
	msg  string
}

func verifyProgram(mod *ir.Module, p *ir.Program, plat *platform.Platform, opts Options) *ProgramResult {
	a := &analyzer{mod: mod, prog: p, plat: plat, opts: opts, diags: map[diagKey]Diagnostic{}}
	res := &ProgramResult{Program: p}
	fail := func(msg string) *ProgramResult {
		res.Diagnostics = []Diagnostic{{Program: p.Name, Insn: -1, Slot: -1, Message: msg}}
		return res
	}
	a.pt = opts.ProgramType
	if a.pt == nil {
		a.pt = plat.ProgramType(p.Type)
		if a.pt == nil {
			return fail(fmt.Sprintf("section %q selects no program type of platform %s", p.Section, plat.Name))
		}
	}
	if len(p.Insns) > opts.Limits.Instructions {
		return fail(fmt.Sprintf("%d instructions exceed the limit of %d", len(p.Insns), opts.Limits.Instructions))
	}
	a.buildCFG()
	a.thresholds = programThresholds(p)
	a.deadline = time.Now().Add(opts.Limits.Time)
	a.iv = map[nodeKey]*ivInfo{}
	// Induction facts (iv.go) refine loop heads. Each round uses the
	// facts the previous one gathered, frozen, and gathers them anew: the
	// result stands once a round confirms the facts it used (its states
	// are a fixpoint under them, and its edges prove them). Otherwise the
	// next round uses the weaker of both, and after a few rounds none.
	a.segFailed = map[segKey]bool{}
	segRetries := 0
	for round := 0; ; round++ {
		a.iv = map[nodeKey]*ivInfo{}
		a.diags = map[diagKey]Diagnostic{}
		res.Stats.Rounds++
		a.run()
		if a.limitErr != "" {
			return fail("analysis stopped: " + a.limitErr)
		}
		a.narrow()
		a.collect()
		if a.limitErr != "" {
			return fail("analysis stopped: " + a.limitErr)
		}
		// A segment hypothesis (segment.go) that a back edge did not
		// bring back is never made again; the round it cost does not
		// count against the induction facts' rounds.
		if a.segRefuted() && segRetries < 4 {
			segRetries++
			round--
		}
		switch {
		case a.ivUse == nil && (a.ivOff || !ivHasFacts(a.iv)):
		case a.ivUse != nil && ivConfirms(a.iv, a.ivUse):
			// Sound; if the round found stronger facts (an inner loop's
			// entry now bounded by an outer loop's facts) and still
			// reports errors, use them: a program already accepted
			// needs no more precision.
			if round < 3 && len(a.diags) > 0 && !ivConfirms(a.ivUse, a.iv) {
				a.ivUse = a.iv
				continue
			}
		case round >= 4:
			a.ivUse, a.ivOff = nil, true
			continue
		case a.ivUse == nil:
			a.ivUse = a.iv
			continue
		default:
			a.ivUse = ivWeaker(a.ivUse, a.iv)
			continue
		}
		break
	}
	res.Stats.BlockEvaluations, res.Stats.States = a.evaluations, len(a.in)
	res.StackDepth = a.stackDepth
	for _, d := range a.diags {
		res.Diagnostics = append(res.Diagnostics, d)
	}
	sort.Slice(res.Diagnostics, func(i, j int) bool {
		di, dj := res.Diagnostics[i], res.Diagnostics[j]
		if di.Insn != dj.Insn {
			return di.Insn < dj.Insn
		}
		return di.Message < dj.Message
	})
	if len(res.Diagnostics) == 0 {
		res.Facts = a.facts
	}
	return res
}

// buildCFG splits each function into blocks.
func (a *analyzer) buildCFG() {
	p := a.prog
	a.fns = make([]function, len(p.Funcs))
	for fi, fn := range p.Funcs {
		leaders := map[int]bool{fn.Start: true}
		for i := fn.Start; i < fn.End; i++ {
			ins := &p.Insns[i]
			switch {
			case isCondJump(ins) || isJa(ins):
				leaders[ins.Target] = true
				leaders[i+1] = true
			case ins.OpCode.JumpOp() == asm.Exit || ins.IsLocalCall():
				leaders[i+1] = true
			}
		}
		var starts []int
		for s := range leaders {
			if s < fn.End {
				starts = append(starts, s)
			}
		}
		sort.Ints(starts)
		f := function{blockAt: map[int]int{}}
		for k, s := range starts {
			end := fn.End
			if k+1 < len(starts) {
				end = starts[k+1]
			}
			f.blockAt[s] = k
			f.blocks = append(f.blocks, block{start: s, end: end})
		}
		for k := range f.blocks {
			b := &f.blocks[k]
			last := &p.Insns[b.end-1]
			fall := func() {
				if b.end < fn.End {
					b.succs = append(b.succs, f.blockAt[b.end])
				} else {
					b.fallsOff = true
				}
			}
			switch {
			case last.OpCode.JumpOp() == asm.Exit:
			case isJa(last):
				b.succs = append(b.succs, f.blockAt[last.Target])
			case isCondJump(last):
				fall()
				b.succs = append(b.succs, f.blockAt[last.Target])
			default:
				fall()
			}
		}
		f.findLoops()
		f.findLoopWrites(p.Insns)
		a.fns[fi] = f
	}
}

func isJa(ins *ir.Instruction) bool {
	return ins.OpCode.Class().IsJump() && ins.OpCode.JumpOp() == asm.Ja
}

func isCondJump(ins *ir.Instruction) bool {
	if !ins.OpCode.Class().IsJump() {
		return false
	}
	switch ins.OpCode.JumpOp() {
	case asm.Ja, asm.Call, asm.Exit, asm.InvalidJumpOp:
		return false
	}
	return true
}

// workList orders pending nodes by context, then by block: outer code
// before inner loops' exits, which keeps the number of re-evaluations low.
type workList struct {
	items   []nodeKey
	pending map[nodeKey]bool
}

func (w *workList) Len() int { return len(w.items) }
func (w *workList) Less(i, j int) bool {
	a, b := w.items[i], w.items[j]
	if a.ctx != b.ctx {
		return a.ctx < b.ctx
	}
	return a.block < b.block
}
func (w *workList) Swap(i, j int) { w.items[i], w.items[j] = w.items[j], w.items[i] }
func (w *workList) Push(x any)    { w.items = append(w.items, x.(nodeKey)) }
func (w *workList) Pop() any {
	x := w.items[len(w.items)-1]
	w.items = w.items[:len(w.items)-1]
	return x
}

func (w *workList) add(k nodeKey) {
	if !w.pending[k] {
		w.pending[k] = true
		heap.Push(w, k)
	}
}

// widenAfter is how many times a loop head is joined plainly before
// widening: a few plain rounds let short constant loops converge exactly.
const widenAfter = 8

// narrowRounds is the number of descending iterations after the fixpoint,
// which recover bounds that widening overshot (a loop counter's exit
// value, for one).
const narrowRounds = 2

// run computes the fixpoint from the entry state.
func (a *analyzer) run() {
	a.ctxs = []callCtx{{parent: -1, callInsn: -1, fn: 0, depth: 1}}
	a.ctxIndex = map[[2]int]int{}
	a.in = map[nodeKey]*State{}
	a.visits = map[nodeKey]int{}
	a.work = workList{pending: map[nodeKey]bool{}}
	a.stackUse = make([]int, len(a.prog.Funcs))
	entry := a.entryState()
	k := nodeKey{0, 0}
	a.in[k] = entry
	a.work.add(k)
	for a.work.Len() > 0 && a.limitErr == "" {
		k := heap.Pop(&a.work).(nodeKey)
		delete(a.work.pending, k)
		a.iterations++
		if a.iterations > a.opts.Limits.Iterations {
			a.limitErr = fmt.Sprintf("more than %d block evaluations (limit)", a.opts.Limits.Iterations)
			return
		}
		if a.iterations%1024 == 0 && time.Now().After(a.deadline) {
			a.limitErr = fmt.Sprintf("analysis took longer than %v (limit)", a.opts.Limits.Time)
			return
		}
		a.runBlock(k, a.in[k])
	}
}

// flow propagates st along an edge into node k.
func (a *analyzer) flow(k nodeKey, st *State) {
	if hasSegs(st) {
		st = st.clone()
		materializeSegs(st)
	}
	if f := &a.fns[a.ctxs[k.ctx].fn]; f.blocks[k.block].loopHead {
		// An edge from the loop's body closes an iteration; others enter.
		back := k.ctx == a.cur.ctx && f.inLoop(k.block, a.cur.block)
		if back {
			st = st.clone()
			ghostReduce(st)
		}
		if a.collecting && back && a.opts.CheckTermination {
			a.backEdges[k] = append(a.backEdges[k], st.clone())
		}
		a.recordIV(k, st, back)
		st = st.clone()
		a.stamp(k, st)
	}
	if a.collecting {
		return
	}
	if a.next != nil {
		a.next[k] = join(a.next[k], st, false)
		return
	}
	old := a.in[k]
	if old == nil {
		if len(a.in) >= a.opts.Limits.States {
			a.limitErr = fmt.Sprintf("more than %d abstract states (limit)", a.opts.Limits.States)
			return
		}
		a.in[k] = st.clone()
		a.work.add(k)
		return
	}
	if leq(st, old) {
		return
	}
	a.visits[k]++
	widen := a.fns[a.ctxs[k.ctx].fn].blocks[k.block].loopHead && a.visits[k] > widenAfter
	a.in[k] = joinT(old, st, widen, a.thresholds)
	a.work.add(k)
}

// narrow runs descending iterations: each recomputes every state from its
// predecessors' outputs without widening. Starting from a post-fixpoint,
// each result is again one, so every round is sound.
func (a *analyzer) narrow() {
	for range narrowRounds {
		a.next = map[nodeKey]*State{{0, 0}: a.in[nodeKey{0, 0}]}
		keys := a.sortedKeys()
		for _, k := range keys {
			a.runBlock(k, a.in[k])
		}
		// A node the new round does not reach keeps no state.
		a.in = a.next
		a.next = nil
	}
}

func (a *analyzer) sortedKeys() []nodeKey {
	keys := make([]nodeKey, 0, len(a.in))
	for k := range a.in {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].ctx != keys[j].ctx {
			return keys[i].ctx < keys[j].ctx
		}
		return keys[i].block < keys[j].block
	})
	return keys
}

// collect is the final pass: it reports diagnostics and records facts from
// the fixpoint states.
func (a *analyzer) collect() {
	a.collecting = true
	a.facts = newFacts(len(a.prog.Insns))
	a.backEdges = map[nodeKey][]*State{}
	a.truncs, a.truncUsed = map[int]truncation{}, map[int]bool{}
	for _, k := range a.sortedKeys() {
		a.runBlock(k, a.in[k])
	}
	for i, t := range a.truncs {
		if !a.truncUsed[i] {
			a.report(i, nil, "32-bit move of r%d, which is %s, not a number: it would truncate a pointer", t.src, untrunc(t.v))
			for k, d := range a.diags {
				if k.insn == i && d.State == "" {
					d.State = t.state
					a.diags[k] = d
				}
			}
		}
	}
	if a.opts.CheckTermination {
		a.checkTermination()
	}
	a.stackDepth = a.checkStackDepth()
	a.collecting = false
}

// report records a diagnostic at instruction i (final pass only).
func (a *analyzer) report(i int, st *State, format string, args ...any) {
	if !a.collecting {
		return
	}
	msg := fmt.Sprintf(format, args...)
	k := diagKey{i, msg}
	if _, ok := a.diags[k]; ok {
		return
	}
	d := Diagnostic{Program: a.prog.Name, Insn: i, Slot: -1, Message: msg}
	if i >= 0 {
		d.Slot = a.prog.Insns[i].Slot
		d.Pos = a.prog.Insns[i].Pos
	}
	if st != nil {
		d.State = st.String()
	}
	a.diags[k] = d
}

// runBlock evaluates block k from state in and propagates its outputs.
func (a *analyzer) runBlock(k nodeKey, in *State) {
	if in == nil {
		return
	}
	c := a.ctxs[k.ctx]
	b := &a.fns[c.fn].blocks[k.block]
	a.cur = k
	a.evaluations++
	if b.loopHead {
		in = a.refineIV(k, in)
	}
	st := in.clone()
	for i := b.start; i < b.end; i++ {
		ins := &a.prog.Insns[i]
		if a.collecting {
			a.facts.record(i, st)
			if a.opts.Trace != nil {
				fmt.Fprintf(a.opts.Trace, "%s %d: %v\n    %s\n", a.prog.Funcs[c.fn].Name, ins.Slot, ins.Instruction, st)
			}
		}
		switch {
		case ins.IsLocalCall():
			a.localCall(k, i, st)
			return
		case ins.OpCode.Class() == asm.JumpClass && ins.OpCode.JumpOp() == asm.Exit:
			a.exit(k, i, st)
			return
		case isJa(ins):
			a.flow(nodeKey{k.ctx, b.succs[0]}, st)
			return
		case isCondJump(ins):
			fall, taken := a.branch(i, st)
			if fall != nil {
				a.flow(nodeKey{k.ctx, b.succs[0]}, fall)
			}
			if taken != nil {
				a.flow(nodeKey{k.ctx, b.succs[len(b.succs)-1]}, taken)
			}
			return
		}
		if st = a.exec(i, st); st == nil {
			return
		}
	}
	if b.fallsOff {
		a.report(b.end-1, st, "control runs off the end of function %s", a.prog.Funcs[c.fn].Name)
		return
	}
	a.flow(nodeKey{k.ctx, b.succs[0]}, st)
}

// maxFrames is the deepest call chain allowed, as on Linux.
const maxFrames = 8

// localCall enters the callee in a new calling context.
func (a *analyzer) localCall(k nodeKey, i int, st *State) {
	ins := &a.prog.Insns[i]
	c := a.ctxs[k.ctx]
	callee := a.prog.Insns[ins.Target].Func
	for p := k.ctx; p >= 0; p = a.ctxs[p].parent {
		if a.ctxs[p].fn == callee {
			a.report(i, st, "illegal recursion: %s calls itself", a.prog.Funcs[callee].Name)
			return
		}
	}
	if c.depth >= maxFrames {
		a.report(i, st, "too many call stack frames: more than %d nested calls", maxFrames)
		return
	}
	key := [2]int{k.ctx, i}
	ci, ok := a.ctxIndex[key]
	if !ok {
		ci = len(a.ctxs)
		a.ctxs = append(a.ctxs, callCtx{parent: k.ctx, callInsn: i, fn: callee, depth: c.depth + 1})
		a.ctxIndex[key] = ci
	}
	caller := st.top()
	f := &Frame{Fn: callee}
	for r := 1; r <= 5; r++ {
		f.Regs[r] = caller.Regs[r]
	}
	f.Regs[10] = Value{Kind: Stack, Num: NumConst(StackSize), Frame: len(st.Frames)}
	st.Frames = append(st.Frames, f)
	a.flow(nodeKey{ci, 0}, st)
}

// exit returns from a function: to the caller's continuation, or out of
// the program, whose result must be a number.
func (a *analyzer) exit(k nodeKey, i int, st *State) {
	r0 := st.top().Regs[0]
	c := a.ctxs[k.ctx]
	if c.parent < 0 {
		if r0.Kind == Uninit {
			a.report(i, st, "r0 is uninitialized at exit")
			return
		}
		if r0.Kind != Scalar && !a.opts.AllowPointerReturn {
			a.report(i, st, "program returns %s in r0: only numbers may be returned (pointer leak)", r0)
		}
		if r0.Kind == Scalar && a.pt.Results != nil {
			a.checkResult(i, st, r0.Num)
		}
		return
	}
	top := len(st.Frames) - 1
	st.Frames = st.Frames[:top]
	caller := st.top()
	caller.Regs[0] = r0
	for r := 1; r <= 5; r++ {
		caller.Regs[r] = uninit()
	}
	// Pointers into the finished frame dangle, and what was known of its
	// bytes ends with it.
	st.forEachValue(func(v *Value) {
		if v.Kind == Stack && v.Frame >= top {
			*v = unknown()
		}
	})
	dropSegsFrom(st, top)
	pb := &a.fns[a.ctxs[c.parent].fn].blocks
	callBlock := a.fns[a.ctxs[c.parent].fn].blockAt[a.blockStartOf(c.parent, c.callInsn)]
	b := (*pb)[callBlock]
	if b.fallsOff {
		a.report(c.callInsn, st, "control runs off the end of function %s after a call", a.prog.Funcs[a.ctxs[c.parent].fn].Name)
		return
	}
	a.flow(nodeKey{c.parent, b.succs[0]}, st)
}

// checkResult reports a result r0 (whose number is n) that may lie
// outside the verdicts the program type defines: the runtime reads the low
// ResultBits bits as a signed integer.
func (a *analyzer) checkResult(i int, st *State, n Num) {
	v := n
	if a.pt.ResultBits == 32 {
		v = n.trunc32().sext(4)
	}
	r := *a.pt.Results
	if v.SMin >= r.Min && v.SMax <= r.Max {
		return
	}
	width := "r0"
	if a.pt.ResultBits == 32 {
		width = "w0"
	}
	a.report(i, st, "%s at exit may be %s, outside [%d, %d], the results a %s program may return", width, offsetRange(v.SMin, v.SMax), r.Min, r.Max, a.pt.Name)
}

// blockStartOf returns the start of the block holding instruction i in
// context ctx's function.
func (a *analyzer) blockStartOf(ctx, i int) int {
	f := &a.fns[a.ctxs[ctx].fn]
	j := sort.Search(len(f.blocks), func(j int) bool { return f.blocks[j].end > i })
	return f.blocks[j].start
}

// checkStackDepth sums, along every call chain, the stack each function
// uses (rounded up to 8 bytes, as the native frames are), and reports each
// chain that first exceeds one frame's 512 bytes at its call instruction.
// It runs in the final pass, from the stack use that pass measured: the
// chain's frames live on one native stack together, whatever other errors
// the program has.
func (a *analyzer) checkStackDepth() int {
	deepest := 0
	chainDepth := func(ci int) int {
		total := 0
		for p := ci; p >= 0; p = a.ctxs[p].parent {
			total += (a.stackUse[a.ctxs[p].fn] + 7) &^ 7
		}
		return total
	}
	for ci := range a.ctxs {
		total := chainDepth(ci)
		deepest = max(deepest, total)
		c := a.ctxs[ci]
		if total <= StackSize || c.parent < 0 || chainDepth(c.parent) > StackSize {
			continue
		}
		var names []string
		for p := ci; p >= 0; p = a.ctxs[p].parent {
			names = append([]string{a.prog.Funcs[a.ctxs[p].fn].Name}, names...)
		}
		a.report(c.callInsn, nil, "stack depth %d bytes across calls %s exceeds %d", total, strings.Join(names, " -> "), StackSize)
	}
	return deepest
}

// entryState is r1 = ctx, r10 = the stack top, or Options.Entry.
func (a *analyzer) entryState() *State {
	if a.opts.Entry != nil {
		return a.opts.Entry.state()
	}
	f := &Frame{Fn: 0}
	f.Regs[1] = Value{Kind: Ctx, Num: NumConst(0)}
	f.Regs[10] = Value{Kind: Stack, Num: NumConst(StackSize)}
	return &State{Frames: []*Frame{f}}
}

// programThresholds collects the constants the program's conditional
// jumps compare against, with their neighbours, as widening thresholds.
func programThresholds(p *ir.Program) *thresholds {
	set := map[uint64]bool{}
	for i := range p.Insns {
		ins := &p.Insns[i]
		if !isCondJump(ins) || ins.OpCode.Source() != asm.ImmSource {
			continue
		}
		c := uint64(ins.Constant)
		if ins.OpCode.Class() == asm.Jump32Class {
			c = uint64(uint32(ins.Constant))
		}
		for _, t := range []uint64{c - 1, c, c + 1} {
			if t < 1<<32 {
				set[t] = true
			}
		}
	}
	th := &thresholds{}
	for t := range set {
		th.up = append(th.up, t)
	}
	sort.Slice(th.up, func(i, j int) bool { return th.up[i] < th.up[j] })
	return th
}
