package main

import (
	"bytes"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"

	"github.com/urfave/cli/v2"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/inputs"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
)

func testCommand() *cli.Command {
	return &cli.Command{
		Name:      "test",
		Usage:     "differential test: native code against the interpreter on generated and given inputs",
		ArgsUsage: "OBJ",
		Flags: append(platformFlags(),
			archFlag(),
			&cli.StringFlag{Name: "program", Usage: "only the program called `NAME`"},
			&cli.StringFlag{Name: "inputs", Usage: "also run every file in `DIR` as an input"},
			&cli.IntFlag{Name: "n", Value: 1000, Usage: "generated inputs per program"},
			&cli.Int64Flag{Name: "seed", Value: 1, Usage: "seed of the input generator"},
		),
		Action: func(c *cli.Context) error {
			mod, plat, err := loadObject(c)
			if err != nil {
				return err
			}
			sel, err := selectPrograms(mod, c.String("program"))
			if err != nil {
				return err
			}
			if c.Int("n") < 0 {
				return usagef("-n %d: must not be negative", c.Int("n"))
			}
			// Native code runs unchecked in this process: only verified
			// programs are compared.
			if _, err := verifyModule(withPrograms(mod, sel), plat, defaultVerifierOptions(), c.App.ErrWriter); err != nil {
				return err
			}
			given, err := readInputDir(c.String("inputs"))
			if err != nil {
				return err
			}
			arch := c.String("arch")
			d := &differ{mod: mod, plat: plat, native: func(rt *host.Runtime) (engine, error) {
				return newEngine("native", arch, mod, rt)
			}}
			failed := false
			for _, prog := range sel {
				p := mod.Programs[prog]
				if plat.ProgramType(p.Type) == nil {
					return fmt.Errorf("%s: program %s: section %q selects no %s program type", mod.Source, p.Name, p.Section, plat.Name)
				}
				n := c.Int("n")
				all := append(inputs.Packets(rand.New(rand.NewSource(c.Int64("seed"))), min(n/8, 64), n/8, n-min(n/8, 64)-1-n/8), given...)
				report, err := d.program(prog, all)
				if err != nil {
					return err
				}
				if report != "" {
					failed = true
					fmt.Fprintf(c.App.Writer, "%s: program %s: native differs from the interpreter\n%s", mod.Source, p.Name, report)
					continue
				}
				fmt.Fprintf(c.App.Writer, "%s: program %s: %d inputs, native = interpreter\n", mod.Source, p.Name, len(all))
			}
			if failed {
				return exitStatus(exitFailure)
			}
			return nil
		},
	}
}

// readInputDir reads every regular file in dir, in name order.
func readInputDir(dir string) ([][]byte, error) {
	if dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, e := range entries {
		if e.Type().IsRegular() {
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// differ runs one module's programs on both engines.
type differ struct {
	mod  *ir.Module
	plat *platform.Platform
	// native returns the engine under test bound to rt.
	native func(rt *host.Runtime) (engine, error)
}

// outcome is everything a run leaves that a program's user can observe.
type outcome struct {
	result uint64
	err    string
	packet []byte
	ctx    []byte // the context's scalar fields; pointers differ by design
	maps   []host.MapSnapshot
}

// engines are a fresh pair of runtimes with the interpreter on one and
// native code on the other.
type engines struct {
	interp, native engine
	rtI, rtN       *host.Runtime
}

func (d *differ) engines() (*engines, error) {
	rtI, err := host.New(d.mod, d.plat)
	if err != nil {
		return nil, err
	}
	rtN, err := host.New(d.mod, d.plat)
	if err != nil {
		return nil, err
	}
	ei, err := newEngine("interp", "", d.mod, rtI)
	if err != nil {
		return nil, err
	}
	en, err := d.native(rtN)
	if err != nil {
		return nil, err
	}
	return &engines{interp: ei, native: en, rtI: rtI, rtN: rtN}, nil
}

func (e *engines) close() {
	e.interp.Close()
	e.native.Close()
}

// program runs every input through both engines, maps carrying over from
// one input to the next as they do at a hook, and returns a description of
// the first difference with the smallest input that still shows it, or "".
func (d *differ) program(prog int, all [][]byte) (string, error) {
	e, err := d.engines()
	if err != nil {
		return "", err
	}
	defer e.close()
	for i, in := range all {
		a, b, err := d.runBoth(e, prog, in)
		if err != nil {
			return "", err
		}
		if diff := describe(a, b); diff != "" {
			small, smallDiff, err := d.shrink(prog, in)
			if err != nil {
				return "", err
			}
			if small == nil {
				return fmt.Sprintf("  input %d of %d (%d bytes, after the inputs before it): %x\n%s", i, len(all), len(in), in, diff), nil
			}
			return fmt.Sprintf("  smallest input showing it (%d bytes, fresh maps): %x\n%s", len(small), small, smallDiff), nil
		}
	}
	return "", nil
}

func (d *differ) runBoth(e *engines, prog int, in []byte) (outcome, outcome, error) {
	a, err := d.runOne(e.interp, e.rtI, prog, in)
	if err != nil {
		return outcome{}, outcome{}, err
	}
	b, err := d.runOne(e.native, e.rtN, prog, in)
	return a, b, err
}

func (d *differ) runOne(en engine, rt *host.Runtime, prog int, in []byte) (outcome, error) {
	pt := d.plat.ProgramType(d.mod.Programs[prog].Type)
	ctx, err := host.NewContext(pt, in, nil)
	if err != nil {
		return outcome{}, err
	}
	var o outcome
	r0, runErr := en.Run(prog, ctx)
	if runErr != nil {
		o.err = runErr.Error()
	}
	o.result = resultOf(pt, r0)
	o.packet = append([]byte(nil), ctx.Packet()...)
	o.ctx = scalarFields(pt, ctx.Data())
	o.maps = rt.Snapshot()
	return o, nil
}

// scalarFields returns the bytes of the context's scalar fields.
func scalarFields(pt *platform.ProgramType, data []byte) []byte {
	var out []byte
	fields := append([]platform.Field(nil), pt.Context.Fields...)
	sort.Slice(fields, func(i, j int) bool { return fields[i].Offset < fields[j].Offset })
	for _, f := range fields {
		if f.Kind == platform.FieldScalar && f.Offset+f.Size <= len(data) {
			out = append(out, data[f.Offset:f.Offset+f.Size]...)
		}
	}
	return out
}

// describe says how two outcomes differ, or "" if they do not.
func describe(interp, native outcome) string {
	var b bytes.Buffer
	if interp.err != native.err {
		fmt.Fprintf(&b, "  error: interpreter %q, native %q\n", interp.err, native.err)
	}
	if interp.result != native.result {
		fmt.Fprintf(&b, "  result: interpreter %d, native %d\n", interp.result, native.result)
	}
	if !bytes.Equal(interp.packet, native.packet) {
		fmt.Fprintf(&b, "  packet after: interpreter %x, native %x\n", interp.packet, native.packet)
	}
	if !bytes.Equal(interp.ctx, native.ctx) {
		fmt.Fprintf(&b, "  context fields after: interpreter %x, native %x\n", interp.ctx, native.ctx)
	}
	for i := range interp.maps {
		mi, mn := interp.maps[i], native.maps[i]
		if !sameEntries(mi.Entries, mn.Entries) {
			fmt.Fprintf(&b, "  map %s after: interpreter %s, native %s\n", mi.Name, entriesString(mi.Entries), entriesString(mn.Entries))
		}
	}
	return b.String()
}

func sameEntries(a, b []host.Entry) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].Key, b[i].Key) || !bytes.Equal(a[i].Value, b[i].Value) {
			return false
		}
	}
	return true
}

func entriesString(es []host.Entry) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range es {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%x:%x", e.Key, e.Value)
	}
	b.WriteByte('}')
	return b.String()
}

// shrink looks for a smaller input that differs on fresh runtimes: first
// shorter prefixes, then removing chunks, then zeroing bytes. It returns
// nil if the input itself does not differ on fresh runtimes (the
// difference needs the inputs before it).
func (d *differ) shrink(prog int, in []byte) ([]byte, string, error) {
	differs := func(c []byte) (string, error) {
		e, err := d.engines()
		if err != nil {
			return "", err
		}
		defer e.close()
		a, b, err := d.runBoth(e, prog, c)
		if err != nil {
			return "", err
		}
		return describe(a, b), nil
	}
	diff, err := differs(in)
	if err != nil || diff == "" {
		return nil, "", err
	}
	cur := append([]byte(nil), in...)
	for chunk := len(cur) / 2; chunk >= 1; chunk /= 2 {
		for start := 0; start+chunk <= len(cur); {
			cand := append(append([]byte(nil), cur[:start]...), cur[start+chunk:]...)
			if dd, err := differs(cand); err != nil {
				return nil, "", err
			} else if dd != "" {
				cur, diff = cand, dd
				continue
			}
			start += chunk
		}
	}
	for i := range cur {
		if cur[i] == 0 {
			continue
		}
		cand := append([]byte(nil), cur...)
		cand[i] = 0
		if dd, err := differs(cand); err != nil {
			return nil, "", err
		} else if dd != "" {
			cur, diff = cand, dd
		}
	}
	return cur, diff, nil
}
