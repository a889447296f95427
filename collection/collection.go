package collection

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	elffront "github.com/bpf2native/bpf2native/frontend/elf"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/interp"
	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/loader"
	"github.com/bpf2native/bpf2native/platform"
)

// Engine selects what runs a collection's programs.
type Engine int

const (
	// EngineAuto is native code where this build can run it (and the
	// package embeds it), the interpreter elsewhere. BPF2NATIVE_ENGINE
	// overrides it.
	EngineAuto Engine = iota
	// EngineNative is the embedded native code; Load fails where it cannot
	// run.
	EngineNative
	// EngineInterp is the reference interpreter.
	EngineInterp
)

func (e Engine) String() string {
	switch e {
	case EngineAuto:
		return "auto"
	case EngineNative:
		return "native"
	case EngineInterp:
		return "interp"
	}
	return fmt.Sprintf("Engine(%d)", int(e))
}

// ParseEngine returns the engine called s: "auto" (or ""), "native" or
// "interp".
func ParseEngine(s string) (Engine, error) {
	switch s {
	case "", "auto":
		return EngineAuto, nil
	case "native":
		return EngineNative, nil
	case "interp":
		return EngineInterp, nil
	}
	return 0, fmt.Errorf("unknown engine %q (known: auto, native, interp)", s)
}

// EngineEnv is the environment variable that overrides EngineAuto.
const EngineEnv = "BPF2NATIVE_ENGINE"

// NativeSupported reports whether this build can run native code in
// process: linux/amd64 or linux/arm64 with cgo.
func NativeSupported() bool { return nativeSupported }

// ErrNoNative is returned when native code is asked for where there is none
// to run.
var ErrNoNative = errors.New("no native code for this build")

// Errors of map operations, as host reports them; test with errors.Is.
var (
	ErrKeyNotExist = host.ErrKeyNotExist
	ErrKeyExist    = host.ErrKeyExist
	ErrMapFull     = host.ErrMapFull
	// ErrReadOnly is returned when writing a loaded constant (.rodata)
	// variable: set constants on the Spec, before Load.
	ErrReadOnly = errors.New("variable is constant once loaded")
	// ErrClosed is returned by operations on a closed Collection.
	ErrClosed = errors.New("collection is closed")
)

// SpecArgs is what a generated package embeds.
type SpecArgs struct {
	// Name names the collection in errors (the generator's identifier).
	Name string
	// Platform is the platform whose numbering the object follows:
	// "windows" or "linux".
	Platform string
	// Object is the eBPF ELF object clang built.
	Object []byte
	// Native is the linker/elf object of native code for this build's
	// architecture, or nil.
	Native []byte
}

// Spec is a collection before it is loaded: its global sections can still
// be changed, and every Load starts from them.
type Spec struct {
	name   string
	plat   *platform.Platform
	mod    *ir.Module
	native []byte
	mu     sync.Mutex
}

// NewSpec decodes the embedded eBPF object.
func NewSpec(args SpecArgs) (*Spec, error) {
	plat, err := platform.Get(args.Platform)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", args.Name, err)
	}
	mod, err := elffront.Load(args.Name, args.Object, plat)
	if err != nil {
		return nil, err
	}
	// Every global section gets bytes of its own, which VariableSpec.Set
	// writes (.bss has none until then).
	for _, m := range mod.Maps {
		if m.IsGlobal() && len(m.Init) != int(m.ValueSize) {
			init := make([]byte, m.ValueSize)
			copy(init, m.Init)
			m.Init = init
		}
	}
	return &Spec{name: args.Name, plat: plat, mod: mod, native: args.Native}, nil
}

// Name returns the collection's name.
func (s *Spec) Name() string { return s.name }

// Module returns the decoded module; callers must not change it.
func (s *Spec) Module() *ir.Module { return s.mod }

// HasNative reports whether the package embeds native code for this build's
// architecture.
func (s *Spec) HasNative() bool { return len(s.native) > 0 }

// Option changes how Load loads.
type Option func(*options)

type options struct {
	engine Engine
	trace  io.Writer
	interp interp.Options
}

// WithEngine selects the engine (default EngineAuto).
func WithEngine(e Engine) Option { return func(o *options) { o.engine = e } }

// WithTrace sends bpf_trace_printk output to w (default: discarded).
func WithTrace(w io.Writer) Option { return func(o *options) { o.trace = w } }

// WithMaxInstructions bounds the instructions one interpreted run may
// execute; native code has no such bound (the verifier proved it ends).
func WithMaxInstructions(n uint64) Option {
	return func(o *options) { o.interp.MaxInstructions = n }
}

// Load creates the collection's maps and globals, from the Spec's current
// global values, and binds its programs to an engine.
func (s *Spec) Load(opts ...Option) (*Collection, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	engine := o.engine
	if engine == EngineAuto {
		if env := os.Getenv(EngineEnv); env != "" {
			e, err := ParseEngine(env)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", s.name, EngineEnv, err)
			}
			engine = e
		}
	}
	if engine == EngineAuto {
		engine = EngineInterp
		if nativeSupported && s.HasNative() {
			engine = EngineNative
		}
	}
	mod := s.snapshot()
	rt, err := host.New(mod, s.plat)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	rt.Trace = o.trace
	c := &Collection{spec: s, mod: mod, rt: rt, engine: engine}
	switch engine {
	case EngineNative:
		if !s.HasNative() {
			return nil, fmt.Errorf("%s: %w (the package embeds native code only for the architectures it was generated for)", s.name, ErrNoNative)
		}
		if !nativeSupported {
			return nil, fmt.Errorf("%s: %w: %w", s.name, ErrNoNative, loader.ErrUnsupported)
		}
		img, err := loader.LoadELF(s.native, mod, rt)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		c.run = img
	case EngineInterp:
		vm, err := interp.NewVM(rt, o.interp)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		c.run = interpRunner{vm}
	default:
		return nil, fmt.Errorf("%s: unknown engine %v", s.name, engine)
	}
	return c, nil
}

// snapshot copies the module with global sections of its own, so that
// later changes to the Spec do not reach a loaded collection.
func (s *Spec) snapshot() *ir.Module {
	s.mu.Lock()
	defer s.mu.Unlock()
	mod := *s.mod
	mod.Maps = make([]*ir.Map, len(s.mod.Maps))
	for i, m := range s.mod.Maps {
		cp := *m
		cp.Init = append([]byte(nil), m.Init...)
		mod.Maps[i] = &cp
	}
	return &mod
}

// global returns the index of the global section called section.
func (s *Spec) global(section string) (int, error) {
	for i, m := range s.mod.Maps {
		if m.IsGlobal() && m.Section == section {
			return i, nil
		}
	}
	return -1, fmt.Errorf("%s: no global section %s", s.name, section)
}

// runner is an engine bound to a runtime.
type runner interface {
	Run(prog int, ctx *host.Context) (uint64, error)
	Close() error
}

type interpRunner struct{ vm *interp.VM }

func (r interpRunner) Run(prog int, ctx *host.Context) (uint64, error) { return r.vm.Run(prog, ctx) }
func (interpRunner) Close() error                                      { return nil }

// Collection is a loaded collection: maps and globals in a runtime, programs
// bound to an engine.
type Collection struct {
	spec   *Spec
	mod    *ir.Module
	rt     *host.Runtime
	engine Engine

	mu     sync.Mutex
	run    runner
	closed bool
}

// Engine returns the engine running the programs: EngineNative or
// EngineInterp.
func (c *Collection) Engine() Engine { return c.engine }

// Runtime returns the host runtime holding the maps. Use it only while no
// program runs (it is not safe for concurrent use).
func (c *Collection) Runtime() *host.Runtime { return c.rt }

// Close releases the native code; later runs return ErrClosed.
func (c *Collection) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return c.run.Close()
}

// Program returns the program called name.
func (c *Collection) Program(name string) (*Program, error) {
	for i, p := range c.mod.Programs {
		if p.Name == name {
			pt := c.rt.Platform.ProgramType(p.Type)
			return &Program{c: c, index: i, name: name, typ: pt}, nil
		}
	}
	return nil, fmt.Errorf("%s: no program %s", c.spec.name, name)
}

// lockedMap returns the runtime's map called name.
func (c *Collection) hostMap(name string) (*host.Map, error) {
	for i, m := range c.mod.Maps {
		if !m.IsGlobal() && m.Name == name {
			return c.rt.Maps[i], nil
		}
	}
	return nil, fmt.Errorf("%s: no map %s", c.spec.name, name)
}

func (c *Collection) hostGlobal(section string) (*host.Map, error) {
	for i, m := range c.mod.Maps {
		if m.IsGlobal() && m.Section == section {
			return c.rt.Maps[i], nil
		}
	}
	return nil, fmt.Errorf("%s: no global section %s", c.spec.name, section)
}

// Program is one program of a loaded collection.
type Program struct {
	c     *Collection
	index int
	name  string
	typ   *platform.ProgramType
}

// Name returns the program's name.
func (p *Program) Name() string { return p.name }

// Type returns the program type its section selects, or nil when the
// platform does not know it (then only Run with a context of one's own
// works).
func (p *Program) Type() *platform.ProgramType { return p.typ }

// NewContext builds the context of one run of the program over packet (for
// program types without a packet, the data the context points to).
func (p *Program) NewContext(packet []byte) (*host.Context, error) {
	if p.typ == nil {
		return nil, fmt.Errorf("%s: program %s: its section selects no %s program type, so its context is unknown", p.c.spec.name, p.name, p.c.rt.Platform.Name)
	}
	return host.NewContext(p.typ, packet, nil)
}

// Run runs the program once with ctx and returns its result: the low 32
// bits of r0 for hooks whose verdict is 32 bits (xdp, bind, ...), r0 in
// full for the rest. The packet and context are left as the program left
// them (ctx.Packet(), ctx.Data()).
func (p *Program) Run(ctx *host.Context) (uint64, error) {
	p.c.mu.Lock()
	defer p.c.mu.Unlock()
	if p.c.closed {
		return 0, ErrClosed
	}
	r0, err := p.c.run.Run(p.index, ctx)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", p.c.spec.name, err)
	}
	if p.typ != nil && p.typ.ResultBits == 32 {
		r0 = uint64(uint32(r0))
	}
	return r0, nil
}

// RunPacket runs the program once on a copy of packet and returns its
// result, as Run does.
func (p *Program) RunPacket(packet []byte) (uint64, error) {
	ctx, err := p.NewContext(packet)
	if err != nil {
		return 0, err
	}
	return p.Run(ctx)
}
