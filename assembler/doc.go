// Package assembler turns the text assembly dialect of the bpf_conformance test suite
// (see ../shared/conformance/README.md) into raw eBPF bytecode.
//
// The conformance files carry their programs as text, so the project needs an assembler
// to run them; it exists for that suite and for hand-written test programs, not as a
// general-purpose eBPF toolchain. The output is the wire format of RFC 9669: 8-byte
// little-endian slots, with lddw taking two. There is deliberately no disassembler here:
// cilium/ebpf's asm package already prints instructions and is the project's
// disassembler.
//
// The dialect, briefly: one instruction or label per line; registers %r0..%r10;
// immediates in decimal or 0x hex; memory operands [%rN+off]; jump targets are a label
// or +N/-N, in slots counted from the next one; the first exit instruction is implicitly
// labelled "exit". Every error names the source line.
package assembler
