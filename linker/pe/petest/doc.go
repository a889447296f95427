// Package petest loads a driver written by linker/pe into a test process
// on linux/amd64 (an amd64 driver) or linux/arm64 (an arm64 one) and
// drives it as Windows and the ebpf-for-windows runtime would: it maps the
// image section by section (never writable and executable at once),
// applies its base relocations, resolves its imports to stubs that record
// the NMR registration, calls DriverEntry and the NMR attach callback in
// the driver's convention (Microsoft x64; on arm64 the Windows ARM64
// convention, which for these functions is AAPCS64's), reads the metadata
// table the driver hands over, fills each program's runtime context (helper
// and map tables) from a host.Runtime and runs programs through their
// entries in the table. It exists for tests; nothing else should load
// drivers this way.
package petest
