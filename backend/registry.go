package backend

import (
	"fmt"
	"sort"
	"sync"
)

// Arch is an ISA the compiler targets, registered by its package (for
// example backend/amd64) under the name the --arch flag uses. Every arch
// is compiled into every binary: bpf2native cross-compiles, so the choice
// is made at run time, not by build tags.
type Arch struct {
	// Name is the --arch value: "amd64", "arm64".
	Name string
	// ABIs are the conventions the arch supports; the first is the
	// default.
	ABIs []*ABI
	// NewMachine returns a machine generating code under abi.
	NewMachine func(abi *ABI) Machine
	// Fill is the pattern Compile pads the text with between functions
	// (amd64: int3; arm64: udf), repeated from each function's end; every
	// function's size is a multiple of its length. Empty means zeros.
	Fill []byte
}

// ABI returns the arch's ABI called name, or the default for "".
func (a *Arch) ABI(name string) (*ABI, error) {
	if name == "" {
		return a.ABIs[0], nil
	}
	for _, abi := range a.ABIs {
		if abi.Name == name {
			return abi, nil
		}
	}
	return nil, fmt.Errorf("arch %s has no ABI %q", a.Name, name)
}

var (
	archMu sync.Mutex
	archs  = map[string]*Arch{}
)

// Register makes an arch available to Compile; packages call it from init.
func Register(a *Arch) {
	archMu.Lock()
	defer archMu.Unlock()
	if _, dup := archs[a.Name]; dup {
		panic(fmt.Sprintf("BUG: arch %s registered twice", a.Name))
	}
	if len(a.ABIs) == 0 {
		panic(fmt.Sprintf("BUG: arch %s has no ABI", a.Name))
	}
	archs[a.Name] = a
}

// LookupArch returns the registered arch called name.
func LookupArch(name string) (*Arch, error) {
	archMu.Lock()
	defer archMu.Unlock()
	if a, ok := archs[name]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("unknown arch %q (have %v)", name, archNamesLocked())
}

// ArchNames returns the registered arch names, sorted.
func ArchNames() []string {
	archMu.Lock()
	defer archMu.Unlock()
	return archNamesLocked()
}

func archNamesLocked() []string {
	names := make([]string, 0, len(archs))
	for n := range archs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
