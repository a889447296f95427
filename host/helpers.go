package host

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"

	"github.com/bpf2native/bpf2native/ir"
)

// helperImpls holds every helper by its canonical name; New binds each to the
// id the platform gives that name.
var helperImpls = map[string]HelperFunc{
	"bpf_map_lookup_elem":            mapLookup,
	"bpf_map_update_elem":            mapUpdate,
	"bpf_map_delete_elem":            mapDelete,
	"bpf_map_lookup_and_delete_elem": mapLookupAndDelete,
	"bpf_tail_call":                  tailCall,
	"bpf_get_prandom_u32":            func(c *Call) (uint64, error) { return uint64(uint32(c.RT.random())), nil },
	"bpf_ktime_get_ns":               func(c *Call) (uint64, error) { return c.RT.now(), nil },
	"bpf_ktime_get_boot_ns":          func(c *Call) (uint64, error) { return c.RT.now(), nil },
	"bpf_ktime_get_ms":               func(c *Call) (uint64, error) { return c.RT.now() / 1_000_000, nil },
	"bpf_ktime_get_boot_ms":          func(c *Call) (uint64, error) { return c.RT.now() / 1_000_000, nil },
	"bpf_get_smp_processor_id":       func(c *Call) (uint64, error) { return 0, nil },
	"bpf_get_current_pid_tgid":       func(c *Call) (uint64, error) { return FakePIDTGID, nil },
	"bpf_csum_diff":                  csumDiff,
	"bpf_ringbuf_output":             ringbufOutput,
	"bpf_map_push_elem":              mapPush,
	"bpf_map_pop_elem":               func(c *Call) (uint64, error) { return mapTake(c, true) },
	"bpf_map_peek_elem":              func(c *Call) (uint64, error) { return mapTake(c, false) },
	"bpf_trace_printk":               tracePrintk,
	"bpf_trace_printk2":              tracePrintk,
	"bpf_trace_printk3":              tracePrintk,
	"bpf_trace_printk4":              tracePrintk,
	"bpf_trace_printk5":              tracePrintk,
	"bpf_memcpy":                     memcpyS,
	"bpf_memcpy_s":                   memcpyS,
	"bpf_memmove":                    memcpyS,
	"bpf_memmove_s":                  memcpyS,
	"bpf_memcmp":                     memcmpS,
	"bpf_memcmp_s":                   memcmpS,
	"bpf_memset":                     memset,
}

// FakePIDTGID is what bpf_get_current_pid_tgid returns: tgid 1000 in the
// upper half, pid 1001 in the lower.
const FakePIDTGID = 1000<<32 | 1001

func negErrno(e int64) uint64 { return uint64(-e) }

func mapArg(c *Call, i int) (*Map, error) {
	m := c.RT.MapByHandle(c.Args[i])
	if m == nil {
		return nil, fmt.Errorf("argument %d (%#x) is not a map", i+1, c.Args[i])
	}
	return m, nil
}

func keyArg(c *Call, m *Map, i int) ([]byte, error) {
	k, err := c.Mem.Bytes(c.Args[i], uint64(m.KeySize), false)
	if err != nil {
		return nil, fmt.Errorf("key of map %s: %w", m.Name, err)
	}
	return k, nil
}

func mapLookup(c *Call) (uint64, error) {
	m, err := mapArg(c, 0)
	if err != nil {
		return 0, err
	}
	if m.st == stQueue || m.st == stRing || m.Kind == ir.MapProgArray {
		return 0, nil
	}
	key, err := keyArg(c, m, 1)
	if err != nil {
		return 0, err
	}
	s, ok := m.slot(key)
	if !ok {
		return 0, nil
	}
	if m.Kind == ir.MapArrayOfMaps || m.Kind == ir.MapHashOfMaps {
		inner := binary.LittleEndian.Uint32(m.value(s))
		if int(inner) >= len(c.RT.Maps) {
			return 0, nil
		}
		return c.RT.Maps[inner].Handle(), nil
	}
	return m.ValueAddr(s), nil
}

func mapUpdate(c *Call) (uint64, error) {
	m, err := mapArg(c, 0)
	if err != nil {
		return 0, err
	}
	if m.ReadOnly {
		return negErrno(1), nil // EPERM
	}
	if m.st == stSparse || m.Kind == ir.MapHashOfMaps {
		// Programs cannot store programs or maps, only user space can.
		return errno(ErrNotSupport), nil
	}
	if m.st == stQueue {
		return mapPush(&Call{ID: c.ID, Args: [5]uint64{c.Args[0], c.Args[2], c.Args[3]}, Mem: c.Mem, RT: c.RT, Run: c.Run})
	}
	key, err := keyArg(c, m, 1)
	if err != nil {
		return 0, err
	}
	val, err := c.Mem.Bytes(c.Args[2], uint64(m.ValueSize), false)
	if err != nil {
		return 0, fmt.Errorf("value of map %s: %w", m.Name, err)
	}
	return errno(m.Update(key, val, c.Args[3])), nil
}

func mapDelete(c *Call) (uint64, error) {
	m, err := mapArg(c, 0)
	if err != nil {
		return 0, err
	}
	if m.ReadOnly {
		return negErrno(1), nil
	}
	if m.st == stQueue || m.st == stRing {
		return errno(ErrInvalid), nil
	}
	key, err := keyArg(c, m, 1)
	if err != nil {
		return 0, err
	}
	return errno(m.Delete(key)), nil
}

// mapLookupAndDelete returns a pointer to a copy of the deleted value: the
// element's own memory is gone once it is deleted. The copy lives in the
// map's scratch value until the next such call.
func mapLookupAndDelete(c *Call) (uint64, error) {
	m, err := mapArg(c, 0)
	if err != nil {
		return 0, err
	}
	if m.st != stHash || m.Kind == ir.MapHashOfMaps || m.ReadOnly {
		return 0, nil
	}
	key, err := keyArg(c, m, 1)
	if err != nil {
		return 0, err
	}
	s, ok := m.slot(key)
	if !ok {
		return 0, nil
	}
	copy(m.taken, m.value(s))
	m.release(s)
	return addrOf(m.taken), nil
}

func tailCall(c *Call) (uint64, error) {
	m, err := mapArg(c, 1)
	if err != nil {
		return 0, err
	}
	if m.Kind != ir.MapProgArray {
		return 0, fmt.Errorf("map %s is a %s, not a prog_array", m.Name, m.Kind)
	}
	idx := uint32(c.Args[2])
	if c.Args[2] >= uint64(m.MaxEntries) || !m.live[idx] {
		return negErrno(2), nil // ENOENT
	}
	if c.Run == nil {
		return 0, fmt.Errorf("tail call outside a run")
	}
	if c.Run.TailCalls >= MaxTailCalls {
		return negErrno(7), nil // E2BIG
	}
	prog := int(binary.LittleEndian.Uint32(m.value(idx)))
	if prog >= len(c.RT.Module.Programs) {
		return negErrno(2), nil
	}
	c.Run.TailCalls++
	c.Run.TailTarget = prog
	return 0, nil
}

// csumDiff follows the platform: Linux computes a 32-bit ones'-complement
// sum of the complemented from-words and the to-words plus the seed
// (csum_partial, carries folded back); ebpf-for-windows adds the 16-bit
// words of to, subtracts those of from and adds the seed in plain int
// arithmetic.
func csumDiff(c *Call) (uint64, error) {
	fromSize, toSize := c.Args[1], c.Args[3]
	windows := c.RT.Platform != nil && c.RT.Platform.Name == "windows"
	if fromSize%4 != 0 || toSize%4 != 0 || (!windows && fromSize+toSize > 512) || fromSize > 1<<20 || toSize > 1<<20 {
		if windows {
			return uint64(^uint64(0)), nil // -1
		}
		return negErrno(22), nil
	}
	var from, to []byte
	var err error
	if fromSize > 0 {
		if from, err = c.Mem.Bytes(c.Args[0], fromSize, false); err != nil {
			return 0, fmt.Errorf("from: %w", err)
		}
	}
	if toSize > 0 {
		if to, err = c.Mem.Bytes(c.Args[2], toSize, false); err != nil {
			return 0, fmt.Errorf("to: %w", err)
		}
	}
	if windows {
		sum := int32(c.Args[4])
		for i := 0; i+1 < len(to); i += 2 {
			sum += int32(binary.LittleEndian.Uint16(to[i:]))
		}
		for i := 0; i+1 < len(from); i += 2 {
			sum -= int32(binary.LittleEndian.Uint16(from[i:]))
		}
		return uint64(int64(sum)), nil
	}
	return uint64(CsumDiffLinux(from, to, uint32(c.Args[4]))), nil
}

// CsumDiffLinux is bpf_csum_diff as Linux computes it on a little-endian
// host: csum_partial over ~from and to, seeded, folded to 32 bits.
func CsumDiffLinux(from, to []byte, seed uint32) uint32 {
	sum := uint64(seed)
	for i := 0; i+3 < len(from); i += 4 {
		sum += uint64(^binary.LittleEndian.Uint32(from[i:]))
	}
	for i := 0; i+3 < len(to); i += 4 {
		sum += uint64(binary.LittleEndian.Uint32(to[i:]))
	}
	for sum>>32 != 0 {
		sum = sum&0xffffffff + sum>>32
	}
	return uint32(sum)
}

func ringbufOutput(c *Call) (uint64, error) {
	m, err := mapArg(c, 0)
	if err != nil {
		return 0, err
	}
	if m.st != stRing {
		return errno(ErrInvalid), nil
	}
	if c.Args[2] > uint64(m.MaxEntries) {
		return errno(ErrMapFull), nil
	}
	data, err := c.Mem.Bytes(c.Args[1], c.Args[2], false)
	if err != nil {
		return 0, fmt.Errorf("data: %w", err)
	}
	return errno(m.Output(data)), nil
}

func mapPush(c *Call) (uint64, error) {
	m, err := mapArg(c, 0)
	if err != nil {
		return 0, err
	}
	if m.st != stQueue {
		return errno(ErrNotSupport), nil
	}
	v, err := c.Mem.Bytes(c.Args[1], uint64(m.ValueSize), false)
	if err != nil {
		return 0, fmt.Errorf("value: %w", err)
	}
	return errno(m.Push(v, c.Args[2])), nil
}

func mapTake(c *Call, pop bool) (uint64, error) {
	m, err := mapArg(c, 0)
	if err != nil {
		return 0, err
	}
	if m.st != stQueue {
		return errno(ErrNotSupport), nil
	}
	out, err := c.Mem.Bytes(c.Args[1], uint64(m.ValueSize), true)
	if err != nil {
		return 0, fmt.Errorf("value: %w", err)
	}
	var v []byte
	if pop {
		v, err = m.Pop()
	} else {
		v, err = m.Peek()
	}
	if err != nil {
		return errno(err), nil
	}
	copy(out, v)
	return 0, nil
}

func memcpyS(c *Call) (uint64, error) {
	dstSize, srcSize := c.Args[1], c.Args[3]
	if srcSize > dstSize {
		return negErrno(22), nil
	}
	if srcSize == 0 {
		return 0, nil
	}
	dst, err := c.Mem.Bytes(c.Args[0], srcSize, true)
	if err != nil {
		return 0, fmt.Errorf("destination: %w", err)
	}
	src, err := c.Mem.Bytes(c.Args[2], srcSize, false)
	if err != nil {
		return 0, fmt.Errorf("source: %w", err)
	}
	copy(dst, src) // copy handles overlap, so this is memmove too
	return 0, nil
}

func memcmpS(c *Call) (uint64, error) {
	n := min(c.Args[1], c.Args[3])
	var a, b []byte
	var err error
	if n > 0 {
		if a, err = c.Mem.Bytes(c.Args[0], n, false); err != nil {
			return 0, fmt.Errorf("memory1: %w", err)
		}
		if b, err = c.Mem.Bytes(c.Args[2], n, false); err != nil {
			return 0, fmt.Errorf("memory2: %w", err)
		}
	}
	r := bytes.Compare(a, b)
	if r == 0 {
		switch {
		case c.Args[1] < c.Args[3]:
			r = -1
		case c.Args[1] > c.Args[3]:
			r = 1
		}
	}
	return uint64(int64(r)), nil
}

func memset(c *Call) (uint64, error) {
	if c.Args[1] == 0 {
		return c.Args[0], nil
	}
	b, err := c.Mem.Bytes(c.Args[0], c.Args[1], true)
	if err != nil {
		return 0, fmt.Errorf("memory: %w", err)
	}
	for i := range b {
		b[i] = byte(c.Args[2])
	}
	return c.Args[0], nil
}

// tracePrintk serves Linux's bpf_trace_printk and Windows'
// bpf_trace_printk2..5: all take (fmt, fmt_size, args...), the Windows
// variants only differ in how many arguments the verifier lets through.
func tracePrintk(c *Call) (uint64, error) {
	size := c.Args[1]
	if size == 0 || size > 1024 {
		return negErrno(22), nil
	}
	f, err := c.Mem.Bytes(c.Args[0], size, false)
	if err != nil {
		return 0, fmt.Errorf("format: %w", err)
	}
	if i := bytes.IndexByte(f, 0); i >= 0 {
		f = f[:i]
	}
	out := formatPrintk(f, c.Args[2:], c.Mem)
	if w := c.RT.Trace; w != nil {
		if _, err := io.WriteString(w, out); err != nil {
			return 0, fmt.Errorf("trace output: %w", err)
		}
	}
	return uint64(len(out)), nil
}

// formatPrintk implements the subset of printf trace_printk accepts:
// flags and width, the l/ll/h/hh length modifiers, d i u x X c p s and %%.
func formatPrintk(f []byte, args []uint64, mem Memory) string {
	var out []byte
	next := 0
	arg := func() uint64 {
		if next >= len(args) {
			return 0
		}
		next++
		return args[next-1]
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			out = append(out, f[i])
			continue
		}
		j := i + 1
		for j < len(f) && bytes.IndexByte([]byte("-+ #0123456789"), f[j]) >= 0 {
			j++
		}
		flags := string(f[i+1 : j])
		long := 0
		for j < len(f) && (f[j] == 'l' || f[j] == 'h') {
			if f[j] == 'l' {
				long++
			} else {
				long--
			}
			j++
		}
		if j >= len(f) {
			out = append(out, f[i:]...)
			break
		}
		verb := f[j]
		i = j
		narrow := func(v uint64) uint64 {
			switch {
			case long >= 1:
				return v
			case long == -1:
				return uint64(uint16(v))
			case long <= -2:
				return uint64(uint8(v))
			}
			return uint64(uint32(v))
		}
		signed := func(v uint64) int64 {
			switch {
			case long >= 1:
				return int64(v)
			case long == -1:
				return int64(int16(v))
			case long <= -2:
				return int64(int8(v))
			}
			return int64(int32(v))
		}
		switch verb {
		case '%':
			out = append(out, '%')
		case 'd', 'i':
			out = fmt.Appendf(out, "%"+flags+"d", signed(arg()))
		case 'u':
			out = fmt.Appendf(out, "%"+flags+"d", narrow(arg()))
		case 'x', 'X':
			out = fmt.Appendf(out, "%"+flags+string(verb), narrow(arg()))
		case 'c':
			out = append(out, byte(arg()))
		case 'p':
			out = append(out, "0x"+strconv.FormatUint(arg(), 16)...)
		case 's':
			out = append(out, readString(mem, arg(), 256)...)
		default:
			out = append(out, '%')
			out = append(out, verb)
		}
	}
	return string(out)
}

// readString reads a NUL-terminated string byte by byte, so that it stops at
// the end of the region it starts in rather than failing.
func readString(mem Memory, addr uint64, max int) []byte {
	var s []byte
	for i := 0; i < max; i++ {
		b, err := mem.Bytes(addr+uint64(i), 1, false)
		if err != nil || b[0] == 0 {
			break
		}
		s = append(s, b[0])
	}
	return s
}
