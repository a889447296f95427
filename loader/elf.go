package loader

import (
	"fmt"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/metadata"
)

// LoadELF loads an object linker/elf wrote, applying its relocations itself.
// mod is the module the object was compiled from and rt its runtime: the
// object's programs and table slots are matched to them by name, so a
// mismatched module is an error rather than wrong code.
func LoadELF(data []byte, mod *ir.Module, rt *host.Runtime) (*Image, error) {
	obj, meta, err := elflink.ReadObject(data)
	if err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	if err := bindToModule(obj, meta, mod); err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	return Load(obj, mod, rt)
}

// bindToModule rewrites obj's program and map indices, which follow the
// metadata, into indices of mod.
func bindToModule(obj *backend.Object, meta *metadata.Metadata, mod *ir.Module) error {
	if mod == nil {
		return fmt.Errorf("no module")
	}
	if meta.Platform != mod.Platform {
		return fmt.Errorf("object is for platform %q, module for %q", meta.Platform, mod.Platform)
	}
	progs := map[string]int{}
	for i, p := range mod.Programs {
		progs[p.Name] = i
	}
	for i := range obj.Funcs {
		f := &obj.Funcs[i]
		if f.Program < 0 {
			continue
		}
		name := meta.Programs[f.Program].Name
		p, ok := progs[name]
		if !ok {
			return fmt.Errorf("object's program %s is not in module %s", name, mod.Source)
		}
		f.Program = p
	}
	maps, globals := map[string]int{}, map[string]int{}
	for i, m := range mod.Maps {
		if m.IsGlobal() {
			globals[m.Section] = i
		} else {
			maps[m.Name] = i
		}
	}
	for i, s := range meta.Slots {
		var (
			idx int
			ok  bool
		)
		name := meta.SlotName(i)
		if s.Kind == metadata.SlotGlobal {
			idx, ok = globals[name]
			if ok && mod.Maps[idx].ValueSize != meta.Globals[s.Index].Size {
				return fmt.Errorf("global section %s: %d bytes in the object, %d in the module", name, meta.Globals[s.Index].Size, mod.Maps[idx].ValueSize)
			}
		} else {
			idx, ok = maps[name]
			if ok {
				a, b := &meta.Maps[s.Index], mod.Maps[idx]
				if a.KeySize != b.KeySize || a.ValueSize != b.ValueSize || a.MaxEntries != b.MaxEntries || a.Type != b.Type {
					return fmt.Errorf("map %s differs between the object and the module", name)
				}
			}
		}
		if !ok {
			return fmt.Errorf("object's %s %s is not in module %s", s.Kind, name, mod.Source)
		}
		obj.Maps[i] = idx
	}
	return nil
}
