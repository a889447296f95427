package main

import (
	"fmt"

	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
)

// programInfoHashes computes, by program name, the program-info hash the
// runtime compares with its own before it runs a driver's program. It
// refuses programs that call a helper the runtime gives the program
// context as a sixth argument: bpf2c's code passes the context to every
// helper, bpf2native's passes r1-r5 only, and such a helper would read
// whatever lies in the sixth argument's stack slot as the context.
func programInfoHashes(plat *platform.Platform, meta *metadata.Metadata) (map[string][]byte, error) {
	hashes := map[string][]byte{}
	for _, p := range meta.Programs {
		t := plat.ProgramType(p.Type)
		if t == nil {
			return nil, fmt.Errorf("program %s: section %q selects no %s program type, whose program information the runtime checks", p.Name, p.Section, plat.Name)
		}
		for _, id := range p.Helpers {
			if h := plat.Helpers[id]; h != nil && t.ImplicitContext(h) {
				return nil, fmt.Errorf("program %s: %s(%d) receives the program context as a sixth argument in %s programs (implicit context), which bpf2native's code does not pass yet", p.Name, h.Name, id, t.Name)
			}
		}
		h, err := plat.ProgramInfoHash(t, p.Helpers)
		if err != nil {
			return nil, fmt.Errorf("program %s: program-info hash: %w", p.Name, err)
		}
		hashes[p.Name] = h
	}
	return hashes, nil
}
