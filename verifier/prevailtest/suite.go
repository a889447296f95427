package prevailtest

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/verifier"
)

// Case is one test case of the suite.
type Case struct {
	File, Name string
	Options    []string
	Pre        []string
	Blocks     []Block
	Messages   []string
	// Exception is set on cases whose parsing must fail in PREVAIL; they
	// test PREVAIL's harness, not a verifier, and are skipped.
	Exception string
}

// Rejected reports whether PREVAIL rejects the case: some message is not
// a reachability note.
func (c *Case) Rejected() bool {
	for _, m := range c.Messages {
		// Reachability notes and failed observations (assertions of
		// PREVAIL's own invariants) are not verification errors.
		if !strings.Contains(m, "Code becomes unreachable") && !strings.Contains(m, "observation") {
			return true
		}
	}
	return false
}

// ReadFile reads the cases of one suite file. The suite's YAML is regular:
// documents separated by "---", top-level keys at column 0, lists inline
// ([...] of quoted strings) or as "  - item" lines, code blocks as
// "  <label>: |" followed by lines indented by four spaces. This reader
// handles exactly that layout and fails loudly on anything else.
func ReadFile(path string) ([]*Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cases []*Case
	for _, doc := range splitDocs(string(data)) {
		c, err := parseDoc(doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if c != nil {
			c.File = path
			cases = append(cases, c)
		}
	}
	return cases, nil
}

func splitDocs(s string) []string {
	var docs []string
	var cur []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimRight(l, " ") == "---" {
			docs = append(docs, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, l)
	}
	return append(docs, strings.Join(cur, "\n"))
}

var reTopKey = regexp.MustCompile(`^([a-z-]+):\s*(.*)$`)

func parseDoc(doc string) (*Case, error) {
	fields := map[string][]string{} // key → [inline value, following lines...]
	var order []string
	key := ""
	for _, l := range strings.Split(doc, "\n") {
		if strings.HasPrefix(l, "#") {
			continue
		}
		if m := reTopKey.FindStringSubmatch(l); m != nil {
			key = m[1]
			fields[key] = []string{m[2]}
			order = append(order, key)
			continue
		}
		if key != "" {
			fields[key] = append(fields[key], l)
		}
	}
	if _, ok := fields["test-case"]; !ok {
		return nil, nil
	}
	c := &Case{Name: strings.Trim(strings.TrimSpace(fields["test-case"][0]), `"`)}
	if v, ok := fields["expected-exception"]; ok {
		c.Exception = strings.TrimSpace(v[0])
	}
	var err error
	for _, k := range []string{"options", "pre", "messages"} {
		v, ok := fields[k]
		if !ok {
			continue
		}
		list, e := parseList(v)
		if e != nil && err == nil {
			err = fmt.Errorf("case %q: %s: %w", c.Name, k, e)
		}
		switch k {
		case "options":
			c.Options = list
		case "pre":
			c.Pre = list
		case "messages":
			c.Messages = list
		}
	}
	if v, ok := fields["code"]; ok {
		var b *Block
		for _, l := range v[1:] {
			t := strings.TrimSpace(l)
			switch {
			case t == "" || strings.HasPrefix(t, "#"):
			case strings.HasPrefix(l, "  <") && strings.HasSuffix(t, "|"):
				c.Blocks = append(c.Blocks, Block{Label: strings.TrimSuffix(strings.TrimPrefix(strings.SplitN(t, ">", 2)[0], "<"), ">")})
				b = &c.Blocks[len(c.Blocks)-1]
			case strings.HasPrefix(l, "  <") && strings.Contains(t, ">: "):
				// A one-line block: "  <label>: instruction".
				label, insn, _ := strings.Cut(t, ">: ")
				c.Blocks = append(c.Blocks, Block{Label: strings.TrimPrefix(label, "<")})
				b = &c.Blocks[len(c.Blocks)-1]
				if i := strings.Index(insn, ";"); i >= 0 {
					insn = insn[:i]
				}
				if insn = strings.TrimSpace(insn); insn != "" {
					b.Lines = append(b.Lines, insn)
				}
			case b != nil && strings.HasPrefix(l, "    "):
				if i := strings.Index(t, ";"); i >= 0 {
					t = strings.TrimSpace(t[:i])
				}
				if t != "" {
					b.Lines = append(b.Lines, t)
				}
			default:
				return nil, fmt.Errorf("case %q: unexpected code line %q", c.Name, l)
			}
		}
	}
	return c, err
}

var reQuoted = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"`)

// parseList reads an inline list ([...], possibly over several lines) or
// a block list of "- item" lines.
func parseList(v []string) ([]string, error) {
	inline := strings.TrimSpace(v[0])
	if strings.HasPrefix(inline, "[") {
		text := strings.Join(v, "\n")
		end := strings.LastIndex(text, "]")
		if end < 0 {
			return nil, fmt.Errorf("unterminated list")
		}
		body := text[strings.Index(text, "[")+1 : end]
		var out []string
		for _, m := range reQuoted.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		if len(out) == 0 && strings.TrimSpace(body) != "" {
			for _, item := range strings.Split(body, ",") {
				out = append(out, strings.TrimSpace(item))
			}
		}
		return out, nil
	}
	if inline != "" {
		return nil, fmt.Errorf("unexpected value %q", inline)
	}
	var out []string
	for _, l := range v[1:] {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if !strings.HasPrefix(t, "- ") {
			break
		}
		item := strings.TrimSpace(t[2:])
		if m := reQuoted.FindStringSubmatch(item); m != nil && strings.HasPrefix(item, `"`) {
			item = m[1]
		}
		out = append(out, item)
	}
	return out, nil
}

// Harness returns the fixed environment of PREVAIL's YAML harness: the
// program type with its 64-byte context, and the module's maps (index 0
// the data map every map fd names, index 1 a program array).
func Harness() (*platform.ProgramType, []*ir.Map) {
	pt := &platform.ProgramType{Name: "prevail_harness", Sections: []string{"prevail"}, ResultBits: 64,
		Context: platform.Context{Size: 64, Fields: []platform.Field{
			{Name: "data", Offset: 0, Size: 4, Kind: platform.FieldPacket},
			{Name: "data_end", Offset: 4, Size: 4, Kind: platform.FieldPacketEnd},
			{Name: "fields", Offset: 8, Size: 56, Kind: platform.FieldScalar, Writable: true},
		}}}
	maps := []*ir.Map{
		{Name: "fake", Kind: ir.MapArray, Type: 2, KeySize: 4, ValueSize: 4, MaxEntries: 4},
		{Name: "programs", Kind: ir.MapProgArray, Type: 3, KeySize: 4, ValueSize: 4, MaxEntries: 4},
	}
	return pt, maps
}

var (
	reRegCons   = regexp.MustCompile(`^r(\d+)\.([a-z_]+)\s*=\s*(.+)$`)
	reRegTypeIn = regexp.MustCompile(`^r(\d+)\.type in \{`)
	reStackCons = regexp.MustCompile(`^s\[(\d+)(?:\.\.\.(\d+))?\]\.type=number$`)
	reRange     = regexp.MustCompile(`^\[\s*(-?\d+)\s*,\s*(-?\d+)\s*\]$`)
)

func parseRange(s string) (lo, hi int64, ok bool) {
	if m := reRange.FindStringSubmatch(s); m != nil {
		a, e1 := strconv.ParseInt(m[1], 10, 64)
		b, e2 := strconv.ParseInt(m[2], 10, 64)
		return a, b, e1 == nil && e2 == nil
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, v, err == nil
}

// Entry translates pre constraints into an entry state. Constraints it
// cannot express (relations between variables, values of stack cells) are
// dropped: a weaker hypothesis describes more states, so dropping one can
// only make the verifier reject more, never accept an unsafe case.
func Entry(pre []string) (*verifier.EntryState, error) {
	e := &verifier.EntryState{}
	type regInfo struct {
		kind                string
		s, u, off           *[2]int64
		size, mapFD         int64
		numericSize         int64
		endOfPacket, hasAny bool
		mixed               bool
	}
	regs := map[int]*regInfo{}
	get := func(r int) *regInfo {
		if regs[r] == nil {
			regs[r] = &regInfo{size: -1, mapFD: -1, numericSize: -1}
		}
		return regs[r]
	}
	for _, c := range pre {
		c = strings.TrimSpace(c)
		if m := reRegTypeIn.FindStringSubmatch(c); m != nil {
			r, _ := strconv.Atoi(m[1])
			get(r).mixed = true
			continue
		}
		if m := reStackCons.FindStringSubmatch(c); m != nil {
			lo, _ := strconv.Atoi(m[1])
			hi := lo
			if m[2] != "" {
				hi, _ = strconv.Atoi(m[2])
			}
			e.StackNumbers = append(e.StackNumbers, [2]int{lo, hi + 1})
			continue
		}
		if strings.HasPrefix(c, "packet_size=") {
			if lo, _, ok := parseRange(strings.TrimPrefix(c, "packet_size=")); ok {
				e.PacketMin = max(lo, 0)
			}
			continue
		}
		if strings.HasPrefix(c, "meta_offset=") {
			if _, hi, ok := parseRange(strings.TrimPrefix(c, "meta_offset=")); ok {
				e.MetaMin = max(-hi, 0)
			}
			continue
		}
		m := reRegCons.FindStringSubmatch(c)
		if m == nil {
			continue // s[...] values, relations: dropped
		}
		r, _ := strconv.Atoi(m[1])
		ri := get(r)
		ri.hasAny = true
		field, val := m[2], strings.TrimSpace(m[3])
		if field == "type" {
			ri.kind = val
			continue
		}
		if field == "packet_offset" && val == "packet_size" {
			ri.endOfPacket = true
			continue
		}
		lo, hi, ok := parseRange(val)
		if !ok {
			continue // a relation
		}
		rg := &[2]int64{lo, hi}
		switch field {
		case "svalue":
			ri.s = rg
		case "uvalue":
			ri.u = rg
		case "ctx_offset", "stack_offset", "packet_offset", "shared_offset":
			ri.off = rg
		case "shared_region_size":
			ri.size = lo
		case "map_fd", "map_fd_programs":
			ri.mapFD = lo
		case "stack_numeric_size":
			ri.numericSize = lo
		}
	}
	// PREVAIL numbers one stack for all frames, r10 at stack_offset; ours
	// is the frame's 512 bytes with r10 at 512. Shift every stack offset.
	shift := int64(0)
	if ri := regs[10]; ri != nil && ri.kind == "stack" && ri.off != nil && ri.off[0] == ri.off[1] {
		shift = ri.off[0] - 512
	}
	for k := range e.StackNumbers {
		e.StackNumbers[k][0] -= int(shift)
		e.StackNumbers[k][1] -= int(shift)
	}
	for r, ri := range regs {
		if r > 10 {
			return nil, fmt.Errorf("register r%d", r)
		}
		if ri.kind == "" && !ri.mixed {
			continue
		}
		ev := &verifier.EntryValue{Num: verifier.NumTop}
		if ri.mixed || strings.HasPrefix(ri.kind, "r") {
			ev.Kind = verifier.Unknown
			e.Regs[r] = ev
			continue
		}
		off := verifier.NumTop
		if ri.off != nil {
			off = verifier.NumSRange(ri.off[0], ri.off[1])
		}
		switch ri.kind {
		case "number":
			ev.Kind = verifier.Scalar
			n := verifier.NumTop
			if ri.s != nil {
				n, _ = n.Meet(verifier.NumSRange(ri.s[0], ri.s[1]))
			}
			if ri.u != nil {
				n, _ = n.Meet(verifier.NumURange(uint64(ri.u[0]), uint64(ri.u[1])))
			}
			ev.Num = n
		case "ctx":
			ev.Kind, ev.Num = verifier.Ctx, off
		case "stack":
			if ri.off != nil {
				off = verifier.NumSRange(ri.off[0]-shift, ri.off[1]-shift)
			}
			ev.Kind, ev.Num = verifier.Stack, off
			if ri.numericSize > 0 && ri.off != nil && ri.off[0] == ri.off[1] {
				o := int(ri.off[0] - shift)
				e.StackNumbers = append(e.StackNumbers, [2]int{o, o + int(ri.numericSize)})
			}
		case "packet":
			ev.Kind, ev.Num = verifier.Packet, off
			if ri.endOfPacket {
				ev.Kind, ev.Num = verifier.PacketEnd, verifier.NumConst(0)
			}
		case "shared":
			ev.Kind, ev.Num, ev.Size, ev.Map = verifier.Shared, off, max(ri.size, 0), -1
			// The pointer's own value says whether it may be null.
			n := verifier.NumTop
			if ri.s != nil {
				n, _ = n.Meet(verifier.NumSRange(ri.s[0], ri.s[1]))
			}
			if ri.u != nil {
				n, _ = n.Meet(verifier.NumURange(uint64(ri.u[0]), uint64(ri.u[1])))
			}
			ev.Null = n.Contains(0)
		case "map_fd":
			ev.Kind, ev.Map = verifier.MapPtr, 0
		case "map_fd_programs":
			ev.Kind, ev.Map = verifier.MapPtr, 1
		default:
			return nil, fmt.Errorf("unknown type %q", ri.kind)
		}
		e.Regs[r] = ev
	}
	return e, nil
}

// Verify runs one case through the verifier.
func Verify(c *Case) (*verifier.ProgramResult, error) {
	prog, err := Assemble(strings.ReplaceAll(c.Name, " ", "_"), c.Blocks)
	if err != nil {
		return nil, err
	}
	entry, err := Entry(c.Pre)
	if err != nil {
		return nil, err
	}
	pt, maps := Harness()
	plat, err := platform.Get(platform.Linux)
	if err != nil {
		return nil, err
	}
	opts := verifier.Options{ProgramType: pt, Entry: entry,
		Limits: verifier.Limits{Iterations: 200000}}
	for _, o := range c.Options {
		switch o {
		case "!allow_division_by_zero":
			opts.ForbidDivisionByZero = true
		case "termination":
			opts.CheckTermination = true
		}
	}
	mod := &ir.Module{Source: c.File, Platform: platform.Linux, Programs: []*ir.Program{prog}, Maps: maps}
	res, err := verifier.Verify(mod, plat, opts)
	if err != nil {
		return nil, err
	}
	return res.Programs[0], nil
}
