package counter

import (
	"encoding/binary"
	"errors"
	"maps"
	"os"
	"runtime"
	"testing"

	"github.com/bpf2native/bpf2native/collection"
)

// XDP verdicts.
const (
	xdpDrop = 1
	xdpPass = 2
)

// packet returns an Ethernet frame of n bytes with the given EtherType and,
// for IPv4, IP protocol.
func packet(n int, ethProto uint16, ipProto uint8) []byte {
	p := make([]byte, max(n, 14))
	copy(p[0:6], []byte{0x02, 0, 0, 0, 0, 1})
	copy(p[6:12], []byte{0x02, 0, 0, 0, 0, 2})
	binary.BigEndian.PutUint16(p[12:], ethProto)
	if ethProto == 0x0800 && n >= 34 {
		p[14] = 0x45
		p[14+9] = ipProto
	}
	return p[:n]
}

var traffic = []struct {
	name string
	pkt  []byte
	want uint64
}{
	{"tcp", packet(60, 0x0800, 6), xdpPass},
	{"udp", packet(80, 0x0800, 17), xdpPass},
	{"tcp again", packet(1500, 0x0800, 6), xdpPass},
	{"ipv6", packet(70, 0x86dd, 0), xdpPass},
	{"arp", packet(42, 0x0806, 0), xdpPass},
	{"runt", packet(12, 0x0800, 6), xdpDrop},
}

// result is everything a run of the traffic leaves behind.
type result struct {
	verdicts []uint64
	flows    map[CounterFlowKey]CounterCounters
	total    uint64
	dropped  uint64
}

// countTraffic loads Counter with min_len set to 14 and runs the traffic
// through it.
func countTraffic(t *testing.T, opts ...collection.Option) result {
	t.Helper()
	spec, err := LoadCounterSpec()
	if err != nil {
		t.Fatal(err)
	}
	// A constant, set before load: shorter frames are dropped.
	spec.Variables.MinLen.Set(14)
	objs, err := spec.Load(opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	var r result
	for _, tc := range traffic {
		v, err := objs.CountPackets.RunPacket(tc.pkt)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if v != tc.want {
			t.Errorf("%s: verdict %d, want %d", tc.name, v, tc.want)
		}
		r.verdicts = append(r.verdicts, v)
	}
	r.flows = maps.Collect(objs.Flows.Iterate())
	r.total = objs.TotalPackets.Get()
	r.dropped = objs.DroppedPackets.Get()
	return r
}

func TestCounter(t *testing.T) {
	r := countTraffic(t)
	want := map[CounterFlowKey]CounterCounters{
		{EthProto: 0x0800, IpProto: 6}:  {Packets: 2, Bytes: 60 + 1500},
		{EthProto: 0x0800, IpProto: 17}: {Packets: 1, Bytes: 80},
		{EthProto: 0x86dd}:              {Packets: 1, Bytes: 70},
		{EthProto: 0x0806}:              {Packets: 1, Bytes: 42},
	}
	if !maps.Equal(r.flows, want) {
		t.Errorf("flows:\n got %v\nwant %v", r.flows, want)
	}
	if r.total != 6 || r.dropped != 1 {
		t.Errorf("total %d, dropped %d; want 6 and 1", r.total, r.dropped)
	}
}

// TestNativeMatchesInterpreter runs the same traffic natively and under the
// interpreter: verdicts, map and globals must agree.
func TestNativeMatchesInterpreter(t *testing.T) {
	if !collection.NativeSupported() {
		t.Skipf("no native code on %s/%s (or without cgo): the interpreter runs", runtime.GOOS, runtime.GOARCH)
	}
	native := countTraffic(t, collection.WithEngine(collection.EngineNative))
	interp := countTraffic(t, collection.WithEngine(collection.EngineInterp))
	if !equalResults(native, interp) {
		t.Errorf("native and interpreter disagree:\nnative %+v\ninterp %+v", native, interp)
	}
}

func equalResults(a, b result) bool {
	if len(a.verdicts) != len(b.verdicts) {
		return false
	}
	for i := range a.verdicts {
		if a.verdicts[i] != b.verdicts[i] {
			return false
		}
	}
	return maps.Equal(a.flows, b.flows) && a.total == b.total && a.dropped == b.dropped
}

func TestDefaultEngine(t *testing.T) {
	objs, err := LoadCounter()
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	want := collection.EngineInterp
	if collection.NativeSupported() {
		want = collection.EngineNative
	}
	if env := os.Getenv(collection.EngineEnv); env != "" {
		want, _ = collection.ParseEngine(env)
	}
	if objs.Engine() != want {
		t.Errorf("engine %v on %s/%s, want %v", objs.Engine(), runtime.GOOS, runtime.GOARCH, want)
	}
}

// TestMapsAndGlobalsFromGo changes the map and the globals from Go between
// runs, as a control plane would.
func TestMapsAndGlobalsFromGo(t *testing.T) {
	objs, err := LoadCounter()
	if err != nil {
		t.Fatal(err)
	}
	defer objs.Close()
	tcp := CounterFlowKey{EthProto: 0x0800, IpProto: 6}

	if _, err := objs.Flows.Lookup(tcp); !errors.Is(err, collection.ErrKeyNotExist) {
		t.Fatalf("lookup in an empty map: %v, want ErrKeyNotExist", err)
	}
	if err := objs.Flows.Update(tcp, CounterCounters{Packets: 100, Bytes: 1000}, collection.UpdateNoExist); err != nil {
		t.Fatal(err)
	}
	if _, err := objs.CountPackets.RunPacket(packet(64, 0x0800, 6)); err != nil {
		t.Fatal(err)
	}
	got, err := objs.Flows.Lookup(tcp)
	if err != nil {
		t.Fatal(err)
	}
	if want := (CounterCounters{Packets: 101, Bytes: 1064}); got != want {
		t.Errorf("after a run: %+v, want %+v", got, want)
	}
	if err := objs.Flows.Delete(tcp); err != nil {
		t.Fatal(err)
	}
	if err := objs.Flows.Delete(tcp); !errors.Is(err, collection.ErrKeyNotExist) {
		t.Errorf("second delete: %v, want ErrKeyNotExist", err)
	}

	// A writable global, reset from Go; a constant, refused once loaded.
	if got := objs.TotalPackets.Get(); got != 1 {
		t.Errorf("total_packets %d, want 1", got)
	}
	if err := objs.TotalPackets.Set(41); err != nil {
		t.Fatal(err)
	}
	if _, err := objs.CountPackets.RunPacket(packet(64, 0x0800, 6)); err != nil {
		t.Fatal(err)
	}
	if got := objs.TotalPackets.Get(); got != 42 {
		t.Errorf("total_packets %d, want 42", got)
	}
	if err := objs.MinLen.Set(100); !errors.Is(err, collection.ErrReadOnly) {
		t.Errorf("setting a loaded constant: %v, want ErrReadOnly", err)
	}
	if err := objs.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := objs.CountPackets.RunPacket(packet(64, 0x0800, 6)); !errors.Is(err, collection.ErrClosed) {
		t.Errorf("run after Close: %v, want ErrClosed", err)
	}
}
