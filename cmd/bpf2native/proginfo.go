package main

import (
	"fmt"

	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
)

// programInfoHashes computes, by program name, the program-info hash the
// runtime compares with its own before it runs a driver's program.
func programInfoHashes(plat *platform.Platform, meta *metadata.Metadata) (map[string][]byte, error) {
	hashes := map[string][]byte{}
	for _, p := range meta.Programs {
		t := plat.ProgramType(p.Type)
		if t == nil {
			return nil, fmt.Errorf("program %s: section %q selects no %s program type, whose program information the runtime checks", p.Name, p.Section, plat.Name)
		}
		h, err := plat.ProgramInfoHash(t, p.Helpers)
		if err != nil {
			return nil, fmt.Errorf("program %s: program-info hash: %w", p.Name, err)
		}
		hashes[p.Name] = h
	}
	return hashes, nil
}
