// Package conformance runs the bpf_conformance test vectors (../shared/conformance) against
// an eBPF engine: the interpreter, or native code through the loader.
//
// The suite is the project's external oracle for ISA semantics, so this package follows
// the upstream runner closely (see ../shared/conformance/README.md): Parse reads a .data
// file by the same rules, Run executes the tests in-process through an Engine, and the
// plugin helpers let a command speak the upstream runner's child-process protocol, so the
// upstream tool can drive bpf2native engines too.
//
// Where upstream would silently skip a file (unknown section header, no result, no
// instructions), Parse returns an error and Run counts a failure: a suite that must pass
// completely should not shrink without anyone noticing.
package conformance
