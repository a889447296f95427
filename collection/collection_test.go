package collection

import (
	"errors"
	"os"
	"testing"
)

func spec(t *testing.T, native []byte) *Spec {
	t.Helper()
	obj, err := os.ReadFile("../testdata/xdp_counters.o")
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSpec(SpecArgs{Name: "xdp_counters", Platform: "windows", Object: obj, Native: native})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestParseEngine(t *testing.T) {
	for s, want := range map[string]Engine{"": EngineAuto, "auto": EngineAuto, "native": EngineNative, "interp": EngineInterp} {
		if e, err := ParseEngine(s); err != nil || e != want {
			t.Errorf("ParseEngine(%q) = %v, %v", s, e, err)
		}
		if want != EngineAuto && want.String() != s {
			t.Errorf("%v prints as %q", want, want.String())
		}
	}
	if _, err := ParseEngine("jit"); err == nil {
		t.Error("ParseEngine(jit) succeeded")
	}
}

func TestEngineSelection(t *testing.T) {
	s := spec(t, nil)
	// Without native code, auto is the interpreter everywhere.
	c, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Engine() != EngineInterp {
		t.Errorf("auto without native code: %v", c.Engine())
	}
	if _, err := s.Load(WithEngine(EngineNative)); !errors.Is(err, ErrNoNative) {
		t.Errorf("native without native code: %v, want ErrNoNative", err)
	}
	t.Setenv(EngineEnv, "native")
	if _, err := s.Load(); !errors.Is(err, ErrNoNative) {
		t.Errorf("%s=native without native code: %v, want ErrNoNative", EngineEnv, err)
	}
	// An explicit engine wins over the environment.
	if c, err := s.Load(WithEngine(EngineInterp)); err != nil || c.Engine() != EngineInterp {
		t.Errorf("explicit interp under %s=native: %v", EngineEnv, err)
	}
	t.Setenv(EngineEnv, "jit")
	if _, err := s.Load(); err == nil {
		t.Errorf("%s=jit accepted", EngineEnv)
	}
}

func TestBindErrors(t *testing.T) {
	s := spec(t, nil)
	c, err := s.Load(WithEngine(EngineInterp))
	if err != nil {
		t.Fatal(err)
	}
	b := c.Bind()
	if p := b.Program("xdp_count"); p == nil || b.Err() != nil {
		t.Fatalf("program: %v", b.Err())
	}
	// proto_traffic: u32 → struct traffic (16 bytes).
	type traffic struct{ Packets, Bytes uint64 }
	if m := BindMap[uint32, traffic](b, "proto_traffic"); m == nil || b.Err() != nil {
		t.Fatalf("map: %v", b.Err())
	}
	if BindMap[uint64, traffic](b, "proto_traffic"); b.Err() == nil {
		t.Error("an 8-byte key type bound to a 4-byte key")
	}
	b = c.Bind()
	if b.Program("nope"); b.Err() == nil {
		t.Error("missing program bound")
	}
	b = s.Bind()
	if b.Program("xdp_count"); b.Err() == nil {
		t.Error("a program bound to a Spec")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	p, _ := c.Program("xdp_count")
	if _, err := p.RunPacket(make([]byte, 64)); !errors.Is(err, ErrClosed) {
		t.Errorf("run after Close: %v", err)
	}
}
