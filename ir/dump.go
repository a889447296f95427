package ir

import (
	"fmt"
	"io"
	"strings"

	"github.com/cilium/ebpf/asm"
)

// FormatInstruction prints instruction i of p in cilium/ebpf's notation,
// with what ir resolved spelled out: the target slot of jumps, the callee of
// local calls, the map of map loads and the helper id of helper calls.
// helperName may be nil; otherwise it names helper ids ("" if unknown).
func (m *Module) FormatInstruction(p *Program, i int, helperName func(int32) string) string {
	ins := &p.Insns[i]
	switch {
	case ins.IsLoadFromMap() && ins.Map != NoMap:
		name := m.Maps[ins.Map].Name
		if ins.Src == asm.PseudoMapFD {
			return fmt.Sprintf("LoadMapPtr dst: %s map: %s", ins.Dst, name)
		}
		return fmt.Sprintf("LoadMapValue dst: %s map: %s off: %d", ins.Dst, name, ins.MapOffset())
	case ins.IsLocalCall():
		return fmt.Sprintf("Call %s", p.Funcs[p.Insns[ins.Target].Func].Name)
	case ins.IsHelperCall():
		s := fmt.Sprintf("Call helper %d", ins.HelperID())
		if helperName != nil {
			if name := helperName(ins.HelperID()); name != "" {
				s += " " + name
			}
		}
		return s
	}
	// cilium/ebpf appends the symbolic reference it kept; ir has resolved it.
	s := fmt.Sprint(ins.Instruction.WithReference(""))
	if isJump(&ins.Instruction) {
		s += fmt.Sprintf(" -> %d", p.Insns[ins.Target].Slot)
	}
	return s
}

// Dump writes the module as stable text: one line per map, then each
// program with its functions, instructions and source positions.
func (m *Module) Dump(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "module platform=%s license=%q\n", m.Platform, m.License)
	for _, mp := range m.Maps {
		fmt.Fprintf(&b, "%s\n", mp)
	}
	for _, p := range m.Programs {
		fmt.Fprintf(&b, "program %s section=%q type=%s helpers=%v maps=%s\n",
			p.Name, p.Section, p.Type, p.Helpers, m.mapNames(p.MapRefs))
		for _, fn := range p.Funcs {
			fmt.Fprintf(&b, "func %s\n", fn.Name)
			for i := fn.Start; i < fn.End; i++ {
				ins := &p.Insns[i]
				fmt.Fprintf(&b, "%6d: %s", ins.Slot, m.FormatInstruction(p, i, nil))
				if ins.Pos.Known() {
					fmt.Fprintf(&b, "  ; %s:%d:%d", ins.Pos.File, ins.Pos.Line, ins.Pos.Col)
				}
				b.WriteByte('\n')
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (m *Module) mapNames(refs []int) string {
	names := make([]string, len(refs))
	for i, r := range refs {
		names[i] = m.Maps[r].Name
	}
	return "[" + strings.Join(names, " ") + "]"
}

// String describes a map on one line.
func (mp *Map) String() string {
	if mp.IsGlobal() {
		ro := ""
		if mp.ReadOnly {
			ro = " readonly"
		}
		return fmt.Sprintf("global %s section=%s size=%d%s", mp.Name, mp.Section, mp.ValueSize, ro)
	}
	s := fmt.Sprintf("map %s kind=%s type=%d key=%d value=%d max=%d flags=%#x pinning=%d",
		mp.Name, mp.Kind, mp.Type, mp.KeySize, mp.ValueSize, mp.MaxEntries, mp.Flags, mp.Pinning)
	if mp.Inner != nil {
		s += fmt.Sprintf(" inner=(%s)", mp.Inner)
	}
	if len(mp.Entries) > 0 {
		s += fmt.Sprintf(" entries=%d", len(mp.Entries))
	}
	return s
}
