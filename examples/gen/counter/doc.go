// Package counter counts packets by protocol with an XDP program, counter.c,
// which bpf2native compiles ahead of time: `go generate` writes the
// counter_* files, and LoadCounter runs the program natively on linux/amd64
// (and linux/arm64 once its backend lands) and under bpf2native's
// interpreter everywhere else, behind the same typed API.
//
// The C follows ebpf-for-windows' numbering and context (bpf2native's
// default platform), so the same source also becomes a Windows driver.
package counter

//go:generate go run github.com/bpf2native/bpf2native/cmd/bpf2native gen Counter counter.c -- -mcpu=v3 -Wall -Werror
