//go:build !windows

package gen

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cilium/ebpf"
	bpf2go "github.com/cilium/ebpf/cmd/bpf2go/gen"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/compiler"
	elffront "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/ir"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/verifier"
)

// DefaultArches are the architectures native code is generated for unless
// Options say otherwise: the Linux hosts the loader runs code on.
var DefaultArches = []string{"amd64", "arm64"}

// Default tools, as `make deps` installs them.
const (
	DefaultCC    = "clang-19"
	DefaultStrip = "llvm-strip-19"
)

// DriverFunc links and signs the Windows driver (.sys) of one architecture
// from the compiled code: linker/pe and sign plug in here.
type DriverFunc func(arch string, res *compiler.Result, mod *ir.Module) ([]byte, error)

// ErrNoDriver is returned for Options.Windows without Options.Driver.
var ErrNoDriver = errors.New("no Windows driver linker given (Options.Driver)")

// Options describe one generation.
type Options struct {
	// Ident is the identifier the generated names start with: "Counter"
	// gives CounterObjects and LoadCounter (unexported names when Ident
	// is, as bpf2go does).
	Ident string
	// Source is a C file, compiled with CC, or (ending in .o) an eBPF
	// object clang already built, used as is.
	Source string
	// CFlags are passed to the C compiler after bpf2go's defaults (-O2
	// -mcpu=v1), which they may override.
	CFlags []string
	// CC and Strip are the compiler and stripper (DefaultCC,
	// DefaultStrip when empty); DisableStripping keeps DWARF.
	CC, Strip        string
	DisableStripping bool
	// Workdir is the directory paths in debug info are made relative to
	// (the package directory go generate runs in); the current directory
	// when empty.
	Workdir string
	// Package is the Go package name of the generated files.
	Package string
	// OutputStem starts every file name; strings.ToLower(Ident) when
	// empty.
	OutputStem string
	// Platform is the runtime whose numbering of program types, helpers
	// and map types the object follows.
	Platform *platform.Platform
	// Arches are the architectures to compile native code for, Linux's
	// C convention (DefaultArches when nil). An arch this build of
	// bpf2native has no backend for is skipped with a warning when it was
	// defaulted, an error when it was asked for.
	Arches []string
	// NoNative generates no native code: the package always runs the
	// interpreter.
	NoNative bool
	// Types names further C types to declare in Go (bpf2go's --type);
	// the types of map keys and values and of global variables always
	// are.
	Types []string
	// Kernel also writes bpf2go's cilium/ebpf bindings of the eBPF object
	// (names start with Ident+"Kernel"), so the package can load it into
	// a Linux kernel.
	Kernel bool
	// Windows also compiles the Windows drivers, for shipping; Driver
	// links and signs them.
	Windows       bool
	WindowsArches []string
	Driver        DriverFunc
	// Verifier tunes the verifier (by default as `bpf2native verify`
	// does: termination checked).
	Verifier verifier.Options
	// Warnings receives one line per warning; nil discards them.
	Warnings io.Writer
}

// File is one generated file.
type File struct {
	Name string
	Data []byte
}

// RejectedError is returned when the verifier refuses a program.
type RejectedError struct {
	// Object is the eBPF object's file name.
	Object       string
	Verification *verifier.Result
}

func (e *RejectedError) Error() string {
	n := len(e.Verification.Diagnostics())
	return fmt.Sprintf("%s: the verifier refused the object (%d diagnostics)", e.Object, n)
}

func (e *RejectedError) Unwrap() error { return compiler.ErrRejected }

// Generate produces the files of opts, in name order. It writes nothing:
// WriteFiles does.
func Generate(opts Options) ([]File, error) {
	if !token.IsIdentifier(opts.Ident) {
		return nil, fmt.Errorf("%q is not a Go identifier", opts.Ident)
	}
	if !token.IsIdentifier(opts.Package) {
		return nil, fmt.Errorf("package %q is not a Go identifier", opts.Package)
	}
	if opts.Platform == nil {
		return nil, errors.New("no platform")
	}
	stem := opts.OutputStem
	if stem == "" {
		stem = strings.ToLower(opts.Ident)
	}
	if strings.ContainsAny(stem, "/\\\n\"` ") {
		return nil, fmt.Errorf("output stem %q: not a plain file name", stem)
	}
	objectName := stem + "_bpfel.o"
	object, err := buildObject(opts, objectName)
	if err != nil {
		return nil, err
	}
	files := []File{{objectName, object}}

	spec, err := ebpf.LoadCollectionSpecFromReader(bytes.NewReader(object))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", objectName, err)
	}
	// The module describes what the generated code binds to.
	mod, err := elffront.Load(objectName, object, opts.Platform)
	if err != nil {
		return nil, err
	}

	var arches []string
	if !opts.NoNative {
		arches, err = nativeArches(opts)
		if err != nil {
			return nil, err
		}
		if len(arches) > 0 {
			if err := checkNative(mod, opts.Platform); err != nil {
				return nil, err
			}
		}
	}
	for _, arch := range arches {
		elf, err := compileNative(opts, objectName, object, backend.Target{Arch: arch, ABI: linuxABI(arch)}, func(res *compiler.Result, _ *ir.Module) ([]byte, error) {
			return elflink.Link(res.Object, res.Metadata)
		})
		if err != nil {
			return nil, err
		}
		files = append(files, File{nativeObjectName(stem, arch), elf})
	}
	if len(arches) == 0 {
		// Nothing native anywhere: the interpreter's package still
		// verifies, so that what runs was proven safe everywhere alike.
		if err := verifyOnly(opts, objectName, object); err != nil {
			return nil, err
		}
	}

	api, err := generateAPI(opts, stem, objectName, spec, mod, arches)
	if err != nil {
		return nil, err
	}
	files = append(files, api...)

	if opts.Kernel {
		f, err := generateKernel(opts, stem, objectName, spec)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	if opts.Windows {
		sys, err := windowsDrivers(opts, stem, objectName, object)
		if err != nil {
			return nil, err
		}
		files = append(files, sys...)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// buildObject compiles the C source as bpf2go does, or reads the object
// given instead.
func buildObject(opts Options, objectName string) ([]byte, error) {
	if strings.HasSuffix(opts.Source, ".o") {
		if len(opts.CFlags) > 0 {
			return nil, fmt.Errorf("%s: C flags given for an object that is not compiled", opts.Source)
		}
		return os.ReadFile(opts.Source)
	}
	workdir := opts.Workdir
	if workdir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		workdir = wd
	}
	workdir, err := filepath.Abs(workdir)
	if err != nil {
		return nil, err
	}
	source, err := filepath.Abs(opts.Source)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(source); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "bpf2native-gen")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	target, _, err := bpf2go.FindTarget("bpfel")
	if err != nil {
		return nil, err
	}
	cc, strip := opts.CC, opts.Strip
	if cc == "" {
		cc = DefaultCC
	}
	if strip == "" {
		strip = DefaultStrip
	}
	dest := filepath.Join(tmp, objectName)
	err = bpf2go.Compile(bpf2go.CompileArgs{
		CC:               cc,
		Strip:            strip,
		Flags:            slices.Clone(opts.CFlags),
		Workdir:          workdir,
		Source:           source,
		Dest:             dest,
		Target:           target,
		DisableStripping: opts.DisableStripping,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: compile: %w", opts.Source, err)
	}
	return os.ReadFile(dest)
}

func nativeArches(opts Options) ([]string, error) {
	asked := opts.Arches != nil
	want := opts.Arches
	if !asked {
		want = DefaultArches
	}
	var arches []string
	for _, arch := range want {
		if slices.Contains(arches, arch) {
			continue
		}
		if _, err := backend.LookupArch(arch); err != nil {
			if asked {
				return nil, fmt.Errorf("--arch %s: %w", arch, err)
			}
			warnf(opts, "%s: no %s backend in this build of bpf2native: linux/%s runs the interpreter", opts.Source, arch, arch)
			continue
		}
		arches = append(arches, arch)
	}
	sort.Strings(arches)
	return arches, nil
}

func warnf(opts Options, format string, args ...any) {
	if opts.Warnings != nil {
		fmt.Fprintf(opts.Warnings, "warning: "+format+"\n", args...)
	}
}

// linuxABI is the C convention of linux/arch.
func linuxABI(arch string) string {
	if arch == "arm64" {
		return "aapcs64"
	}
	return "sysv"
}

// checkNative refuses programs whose context native code cannot serve yet:
// Linux's 32-bit packet pointers (xdp_md.data, __sk_buff.data), which the
// kernel rewrites into loads of the real pointers, as the interpreter does;
// the native backends do not rewrite them yet, and the truncated pointers
// would fault.
func checkNative(mod *ir.Module, plat *platform.Platform) error {
	for _, p := range mod.Programs {
		pt := plat.ProgramType(p.Type)
		if pt == nil {
			continue
		}
		for _, f := range pt.Context.Fields {
			switch f.Kind {
			case platform.FieldPacket, platform.FieldPacketEnd, platform.FieldPacketMeta:
				if f.Size == 4 {
					return fmt.Errorf("%s: program %s: the %s context of platform %s has 32-bit packet pointers (%s), which native code does not support yet; use another platform or generate an interpreter-only package (--no-native)",
						mod.Source, p.Name, pt.Name, plat.Name, f.Name)
				}
			}
		}
	}
	return nil
}

// compileNative verifies and compiles the object for target, and links
// the result with link.
func compileNative(opts Options, objectName string, object []byte, target backend.Target, link func(*compiler.Result, *ir.Module) ([]byte, error)) ([]byte, error) {
	// A module of its own per target: nothing compiled for one can leak
	// into another.
	mod, err := elffront.Load(objectName, object, opts.Platform)
	if err != nil {
		return nil, err
	}
	res, err := compiler.Compile(mod, object, compiler.Options{Platform: opts.Platform, Target: target, Verifier: verifierOptions(opts)})
	if errors.Is(err, compiler.ErrRejected) && res != nil && res.Verification != nil {
		return nil, &RejectedError{Object: objectName, Verification: res.Verification}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %s/%s: %w", objectName, target.Arch, target.ABI, err)
	}
	out, err := link(res, mod)
	if err != nil {
		return nil, fmt.Errorf("%s: %s/%s: %w", objectName, target.Arch, target.ABI, err)
	}
	return out, nil
}

func verifierOptions(opts Options) verifier.Options {
	if opts.Verifier == (verifier.Options{}) {
		return verifier.Options{CheckTermination: true}
	}
	return opts.Verifier
}

func verifyOnly(opts Options, objectName string, object []byte) error {
	mod, err := elffront.Load(objectName, object, opts.Platform)
	if err != nil {
		return err
	}
	res, err := verifier.Verify(mod, opts.Platform, verifierOptions(opts))
	if err != nil {
		return fmt.Errorf("%s: %w", objectName, err)
	}
	if !res.OK() {
		return &RejectedError{Object: objectName, Verification: res}
	}
	return nil
}

func windowsDrivers(opts Options, stem, objectName string, object []byte) ([]File, error) {
	if opts.Platform.Name != platform.Windows {
		return nil, fmt.Errorf("--windows: the driver is for ebpf-for-windows, whose numbering the object must follow (--platform windows, not %s)", opts.Platform.Name)
	}
	if opts.Driver == nil {
		return nil, fmt.Errorf("--windows: %w", ErrNoDriver)
	}
	arches := opts.WindowsArches
	if arches == nil {
		arches = []string{"amd64"}
	}
	var files []File
	for _, arch := range arches {
		a, err := backend.LookupArch(arch)
		if err != nil {
			return nil, fmt.Errorf("--windows: %w", err)
		}
		abi := "windows"
		if _, err := a.ABI(abi); err != nil {
			return nil, fmt.Errorf("--windows: %w", err)
		}
		sys, err := compileNative(opts, objectName, object, backend.Target{Arch: arch, ABI: abi}, func(res *compiler.Result, mod *ir.Module) ([]byte, error) {
			return opts.Driver(arch, res, mod)
		})
		if err != nil {
			return nil, err
		}
		files = append(files, File{stem + "_windows_" + arch + ".sys", sys})
	}
	return files, nil
}

func nativeObjectName(stem, arch string) string { return stem + "_bpf2native_" + arch + ".o" }

// generateKernel writes bpf2go's bindings of the object, for loading it
// into a Linux kernel with cilium/ebpf.
func generateKernel(opts Options, stem, objectName string, spec *ebpf.CollectionSpec) (File, error) {
	_, goarches, err := bpf2go.FindTarget("bpfel")
	if err != nil {
		return File{}, err
	}
	var maps, variables, programs []string
	for name := range spec.Maps {
		if !strings.HasPrefix(name, ".") {
			maps = append(maps, name)
		}
	}
	for name := range spec.Variables {
		variables = append(variables, name)
	}
	for name := range spec.Programs {
		programs = append(programs, name)
	}
	var buf bytes.Buffer
	err = bpf2go.Generate(bpf2go.GenerateArgs{
		Package:     opts.Package,
		Stem:        opts.Ident + "Kernel",
		Constraints: goarches.Constraint(),
		Maps:        maps,
		Variables:   variables,
		Programs:    programs,
		// The Go types are those of the bpf2native API: cilium/ebpf's
		// Map.Lookup and Variable.Get take them as they are.
		Types:      nil,
		ObjectFile: objectName,
		Output:     &buf,
		Identifier: identifier,
	})
	if err != nil {
		return File{}, fmt.Errorf("kernel bindings: %w", err)
	}
	return File{stem + "_kernel_bpfel.go", buf.Bytes()}, nil
}

// WriteFiles writes files into dir, each atomically, and removes the
// files an earlier generation with the same stem wrote that this one did
// not (native code of an architecture no longer generated, say).
func WriteFiles(dir, stem string, files []File) error {
	keep := map[string]bool{}
	for _, f := range files {
		keep[f.Name] = true
		if old, err := os.ReadFile(filepath.Join(dir, f.Name)); err == nil && bytes.Equal(old, f.Data) {
			continue // unchanged: keep its time, so builds see nothing new
		}
		if err := writeFileAtomic(filepath.Join(dir, f.Name), f.Data); err != nil {
			return err
		}
	}
	for _, pattern := range []string{stem + "_bpf2native*.go", stem + "_bpf2native_*.o", stem + "_kernel_bpfel.go", stem + "_windows_*.sys"} {
		old, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			return err
		}
		for _, path := range old {
			if !keep[filepath.Base(path)] {
				if err := os.Remove(path); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// formatGo gofmts generated source, reporting the source with the error.
func formatGo(name string, src []byte) ([]byte, error) {
	out, err := format.Source(src)
	if err != nil {
		return nil, fmt.Errorf("BUG: generated %s does not parse: %w\n%s", name, err, src)
	}
	return out, nil
}

// identifier turns a C name into an exported Go one: "min_len" → "MinLen",
// as cilium/ebpf's bpf2go does.
func identifier(str string) string {
	prev := rune(-1)
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsLetter(r):
			if prev == -1 {
				r = unicode.ToUpper(r)
			}
		case r == '_':
			switch {
			case prev == -1:
				fallthrough
			case unicode.IsDigit(prev) || (unicode.IsLetter(prev) && unicode.IsLower(prev)):
				r = -1
			}
		case unicode.IsDigit(r):
		default:
			return -1
		}
		prev = r
		return r
	}, str)
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
