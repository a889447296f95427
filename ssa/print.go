package ssa

import (
	"fmt"
	"io"
	"strings"
)

// String returns the function's dump; see Format.
func (f *Func) String() string {
	var b strings.Builder
	f.format(&b)
	return b.String()
}

// Format writes the function as stable text, one line per value:
//
//	func name
//	b1: <- b0 b3
//	  v5 = Phi <i64> v2 v9
//	  v7 = Ult64 v5 v4
//	  If v7 -> b2 b3
//
// Types are printed only where the op does not fix them (Phi, Copy).
func (f *Func) Format(w io.Writer) error {
	var b strings.Builder
	f.format(&b)
	_, err := io.WriteString(w, b.String())
	return err
}

func (f *Func) format(w *strings.Builder) {
	fmt.Fprintf(w, "func %s\n", f.Name)
	for _, b := range f.Blocks {
		fmt.Fprintf(w, "b%d:", b.ID)
		if len(b.Preds) > 0 {
			w.WriteString(" <-")
			for _, p := range b.Preds {
				fmt.Fprintf(w, " b%d", p.ID)
			}
		}
		w.WriteByte('\n')
		for _, v := range b.Values {
			fmt.Fprintf(w, "  %s\n", v.LongString())
		}
		w.WriteString("  " + b.Kind.String())
		for _, c := range b.Controls {
			fmt.Fprintf(w, " v%d", c.ID)
		}
		if len(b.Succs) > 0 {
			w.WriteString(" ->")
			for _, s := range b.Succs {
				fmt.Fprintf(w, " b%d", s.ID)
			}
		}
		w.WriteByte('\n')
	}
}

func (v *Value) String() string { return fmt.Sprintf("v%d", v.ID) }

// LongString returns the value's line in a dump: "v12 = Add64 v3 v7".
func (v *Value) LongString() string {
	var w strings.Builder
	fmt.Fprintf(&w, "v%d = %s", v.ID, v.Op)
	if v.Op.Info().Type == TypeInvalid {
		fmt.Fprintf(&w, " <%s>", v.Type)
	}
	if aux := v.auxString(); aux != "" {
		fmt.Fprintf(&w, " [%s]", aux)
	}
	for _, a := range v.Args {
		if a == nil {
			w.WriteString(" <nil>")
			continue
		}
		fmt.Fprintf(&w, " v%d", a.ID)
	}
	return w.String()
}

func (v *Value) auxString() string {
	switch v.Op.Info().Aux {
	case AuxInt64, AuxInt32:
		return fmt.Sprint(v.Aux)
	case AuxBool:
		return fmt.Sprint(v.Aux != 0)
	case AuxArg:
		return fmt.Sprintf("r%d", v.Aux+1)
	case AuxOff:
		return fmt.Sprint(v.Off)
	case AuxMap:
		return v.mapName()
	case AuxMapOff:
		return fmt.Sprintf("%s+%d", v.mapName(), v.Off)
	case AuxHelper:
		if f := v.Block.Func; f != nil && f.helperName != nil {
			if name := f.helperName(int32(v.Aux)); name != "" {
				return fmt.Sprintf("%d %s", v.Aux, name)
			}
		}
		return fmt.Sprint(v.Aux)
	case AuxCallee:
		if p := v.Block.Func.Program; p != nil && v.Aux >= 0 && int(v.Aux) < len(p.Funcs) {
			return p.Funcs[v.Aux].Name
		}
		return fmt.Sprintf("func%d", v.Aux)
	case AuxVar:
		return fmt.Sprintf("var%d", v.Aux)
	}
	return ""
}

func (v *Value) mapName() string {
	if m := v.Block.Func.Module; m != nil && v.Aux >= 0 && int(v.Aux) < len(m.Maps) {
		return m.Maps[v.Aux].Name
	}
	return fmt.Sprintf("map%d", v.Aux)
}
