// Command bench measures bpf2native's engines against the same C source
// built by gcc -O2, on the compute-heavy testdata programs, in one run so
// that the ratios compare numbers taken under the same machine load.
//
//	go run ./bench            (or: make bench)
//
// It prints a Markdown table for docs/BENCHMARKS.md.
package main
