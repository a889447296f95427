package interp

// The grouped ALU, jump, load and store cases of run follow one pattern each
// (they were written from a table); keep them uniform when editing.

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/bpf2native/bpf2native/host"
)

var le = binary.LittleEndian

// frame is what a bpf-to-bpf call saves for its caller.
type frame struct {
	ret   int32
	saved [4]uint64 // r6-r9
}

// machine is the state of one run. The VM keeps one and reuses its stack.
type machine struct {
	vm      *VM
	stack   []byte
	ctx     *host.Context
	regions []host.Region // the context's
	// cache is the last non-context region an access hit; loops over a map
	// value or the packet hit it again and again.
	cache *host.Region
	call  host.Call
	state host.RunState
	steps uint64
	// The accessible stack: sb holds the bytes from sLo up to the top of
	// the outermost frame, so callees can reach their callers' frames.
	sLo uint64
	sb  []byte
}

func (m *machine) reset(ctx *host.Context) {
	clear(m.stack)
	m.ctx = ctx
	m.regions = ctx.Regions()
	m.cache = nil
	m.steps = 0
	m.state = host.RunState{TailTarget: -1}
}

// setDepth makes frames 0..depth the accessible stack and returns r10.
func (m *machine) setDepth(depth int) uint64 {
	top := host.Addr(m.stack) + uint64(len(m.stack))
	m.sb = m.stack[len(m.stack)-(depth+1)*StackSize:]
	m.sLo = top - uint64(depth+1)*StackSize
	return top - uint64(depth)*StackSize
}

func (m *machine) fault(code *Code, pc int, err error, steps uint64) error {
	m.steps = steps
	return &Fault{Program: code.Name, Slot: int(code.slots[pc]), Pos: code.pos[pc], Err: err}
}

// Bytes implements host.Memory with every access checked, so helpers see
// exactly the memory the program may.
func (m *machine) Bytes(addr, n uint64, write bool) ([]byte, error) {
	if n == 0 {
		return nil, nil
	}
	if o := addr - m.sLo; o < uint64(len(m.sb)) && n <= uint64(len(m.sb))-o {
		return m.sb[o : o+n : o+n], nil
	}
	if c := m.cache; c != nil && c.Contains(addr) {
		return c.Bytes(addr, n, write)
	}
	for i := range m.regions {
		if r := &m.regions[i]; r.Contains(addr) {
			if !r.IsContext() {
				m.cache = r
			}
			return r.Bytes(addr, n, write)
		}
	}
	if r := m.vm.RT.RegionSet().Find(addr); r != nil {
		m.cache = r
		return r.Bytes(addr, n, write)
	}
	return nil, m.outside(addr, n, write)
}

// outside explains an access that hit no region.
func (m *machine) outside(addr, n uint64, write bool) error {
	e := &host.AccessError{Write: write, Addr: addr, Size: n}
	top := host.Addr(m.stack) + uint64(len(m.stack))
	switch {
	case addr < 4096:
		e.Reason = "null pointer dereference"
	case addr-m.sLo < uint64(len(m.sb)):
		e.Reason = "crosses the top of the stack"
	case addr < m.sLo && m.sLo-addr <= uint64(len(m.stack)):
		e.Reason = fmt.Sprintf("below the current stack frame (r10%+d)", int64(addr-(m.sLo+StackSize)))
	case addr-top < StackSize:
		e.Reason = "above the top of the stack"
	default:
		// A near miss past the end of a buffer is the common bug; say which.
		near := m.vm.RT.RegionSet().Below(addr)
		for i := range m.regions {
			if r := &m.regions[i]; r.Addr <= addr && (near == nil || r.Addr > near.Addr) {
				near = r
			}
		}
		if near != nil && addr-(near.Addr+near.Size) < 4096 {
			e.Reason = fmt.Sprintf("%d bytes past the end of %s (%d bytes at %#x)", addr-(near.Addr+near.Size), near.Name, near.Size, near.Addr)
			break
		}
		e.Reason = "outside every region"
	}
	return e
}

func (m *machine) load(addr, n uint64) (uint64, error) {
	if n == 4 && m.ctx != nil {
		if v, ok := m.ctx.Virtual(addr, n); ok {
			return v, nil
		}
	}
	b, err := m.Bytes(addr, n, false)
	if err != nil {
		return 0, err
	}
	switch n {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(le.Uint16(b)), nil
	case 4:
		return uint64(le.Uint32(b)), nil
	}
	return le.Uint64(b), nil
}

func (m *machine) store(addr, n, v uint64) error {
	b, err := m.Bytes(addr, n, true)
	if err != nil {
		return err
	}
	switch n {
	case 1:
		b[0] = byte(v)
	case 2:
		le.PutUint16(b, uint16(v))
	case 4:
		le.PutUint32(b, uint32(v))
	default:
		le.PutUint64(b, v)
	}
	return nil
}

// atomic runs an atomic operation of op (the instruction's imm) on n bytes
// at addr with operand *src; fetching forms leave the old value in *src
// (cmpxchg in *r0). Natural alignment is required, as on every target.
func (m *machine) atomic(addr, n uint64, op uint64, src, r0 *uint64) error {
	if addr%n != 0 {
		return &host.AccessError{Write: true, Addr: addr, Size: n, Reason: "atomic operation on a misaligned address"}
	}
	b, err := m.Bytes(addr, n, true)
	if err != nil {
		return err
	}
	if n == 4 {
		p := (*uint32)(unsafe.Pointer(&b[0]))
		v := uint32(*src)
		var old uint32
		switch op &^ 1 {
		case 0x00:
			old = atomic.AddUint32(p, v) - v
		case 0x40:
			old = atomic.OrUint32(p, v)
		case 0x50:
			old = atomic.AndUint32(p, v)
		case 0xa0:
			for {
				old = atomic.LoadUint32(p)
				if atomic.CompareAndSwapUint32(p, old, old^v) {
					break
				}
			}
		case 0xe0:
			old = atomic.SwapUint32(p, v)
		case 0xf0:
			want := uint32(*r0)
			for {
				old = atomic.LoadUint32(p)
				if old != want || atomic.CompareAndSwapUint32(p, old, v) {
					break
				}
			}
			*r0 = uint64(old)
			return nil
		default:
			return fmt.Errorf("BUG: atomic operation %#x passed decoding", op)
		}
		if op&1 != 0 {
			*src = uint64(old)
		}
		return nil
	}
	p := (*uint64)(unsafe.Pointer(&b[0]))
	v := *src
	var old uint64
	switch op &^ 1 {
	case 0x00:
		old = atomic.AddUint64(p, v) - v
	case 0x40:
		old = atomic.OrUint64(p, v)
	case 0x50:
		old = atomic.AndUint64(p, v)
	case 0xa0:
		for {
			old = atomic.LoadUint64(p)
			if atomic.CompareAndSwapUint64(p, old, old^v) {
				break
			}
		}
	case 0xe0:
		old = atomic.SwapUint64(p, v)
	case 0xf0:
		want := *r0
		for {
			old = atomic.LoadUint64(p)
			if old != want || atomic.CompareAndSwapUint64(p, old, v) {
				break
			}
		}
		*r0 = old
		return nil
	default:
		return fmt.Errorf("BUG: atomic operation %#x passed decoding", op)
	}
	if op&1 != 0 {
		*src = old
	}
	return nil
}

// packetLoad is a legacy ld abs/ind: a big-endian load from the packet; out
// of bounds ends the program with r0 = 0, as on Linux.
func (m *machine) packetLoad(off uint32, n uint32) (uint64, bool) {
	pkt := m.ctx.Packet()
	if int32(off) < 0 || uint64(off)+uint64(n) > uint64(len(pkt)) {
		return 0, false
	}
	b := pkt[off : off+n]
	switch n {
	case 1:
		return uint64(b[0]), true
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), true
	}
	return uint64(binary.BigEndian.Uint32(b)), true
}

func (m *machine) run(prog int, limit uint64) (uint64, error) {
	vm := m.vm
	code := vm.codes[prog]
	insns := code.insns
	var r [16]uint64
	var frames [MaxFrames]frame
	depth := 0
	r[1], r[2], r[10] = m.ctx.R1(), m.ctx.R2(), m.setDepth(0)
	sLo, sb := m.sLo, m.sb
	steps := uint64(0)
	pc := 0
	for {
		in := &insns[pc]
		pc++
		steps++
		switch in.op {
		case opAdd + v64Imm:
			d := in.dst & 15
			r[d] += in.imm
		case opAdd + v64Reg:
			d := in.dst & 15
			r[d] += r[in.src&15]
		case opAdd + v32Imm:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) + uint32(in.imm))
		case opAdd + v32Reg:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) + uint32(r[in.src&15]))
		case opSub + v64Imm:
			d := in.dst & 15
			r[d] -= in.imm
		case opSub + v64Reg:
			d := in.dst & 15
			r[d] -= r[in.src&15]
		case opSub + v32Imm:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) - uint32(in.imm))
		case opSub + v32Reg:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) - uint32(r[in.src&15]))
		case opMul + v64Imm:
			d := in.dst & 15
			r[d] *= in.imm
		case opMul + v64Reg:
			d := in.dst & 15
			r[d] *= r[in.src&15]
		case opMul + v32Imm:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) * uint32(in.imm))
		case opMul + v32Reg:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) * uint32(r[in.src&15]))
		case opOr + v64Imm:
			d := in.dst & 15
			r[d] |= in.imm
		case opOr + v64Reg:
			d := in.dst & 15
			r[d] |= r[in.src&15]
		case opOr + v32Imm:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) | uint32(in.imm))
		case opOr + v32Reg:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) | uint32(r[in.src&15]))
		case opAnd + v64Imm:
			d := in.dst & 15
			r[d] &= in.imm
		case opAnd + v64Reg:
			d := in.dst & 15
			r[d] &= r[in.src&15]
		case opAnd + v32Imm:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) & uint32(in.imm))
		case opAnd + v32Reg:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) & uint32(r[in.src&15]))
		case opXor + v64Imm:
			d := in.dst & 15
			r[d] ^= in.imm
		case opXor + v64Reg:
			d := in.dst & 15
			r[d] ^= r[in.src&15]
		case opXor + v32Imm:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) ^ uint32(in.imm))
		case opXor + v32Reg:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) ^ uint32(r[in.src&15]))
		case opDiv + v64Imm:
			d := in.dst & 15
			if b := in.imm; b == 0 {
				r[d] = 0
			} else {
				r[d] /= b
			}
		case opDiv + v64Reg:
			d := in.dst & 15
			if b := r[in.src&15]; b == 0 {
				r[d] = 0
			} else {
				r[d] /= b
			}
		case opDiv + v32Imm:
			d := in.dst & 15
			if b := uint32(in.imm); b == 0 {
				r[d] = 0
			} else {
				r[d] = uint64(uint32(r[d]) / b)
			}
		case opDiv + v32Reg:
			d := in.dst & 15
			if b := uint32(r[in.src&15]); b == 0 {
				r[d] = 0
			} else {
				r[d] = uint64(uint32(r[d]) / b)
			}
		case opSDiv + v64Imm:
			d := in.dst & 15
			if b := in.imm; b == 0 {
				r[d] = 0
			} else {
				r[d] = uint64(int64(r[d]) / int64(b))
			}
		case opSDiv + v64Reg:
			d := in.dst & 15
			if b := r[in.src&15]; b == 0 {
				r[d] = 0
			} else {
				r[d] = uint64(int64(r[d]) / int64(b))
			}
		case opSDiv + v32Imm:
			d := in.dst & 15
			if b := uint32(in.imm); b == 0 {
				r[d] = 0
			} else {
				r[d] = uint64(uint32(int32(r[d]) / int32(b)))
			}
		case opSDiv + v32Reg:
			d := in.dst & 15
			if b := uint32(r[in.src&15]); b == 0 {
				r[d] = 0
			} else {
				r[d] = uint64(uint32(int32(r[d]) / int32(b)))
			}
		case opMod + v64Imm:
			d := in.dst & 15
			if b := in.imm; b != 0 {
				r[d] %= b
			}
		case opMod + v64Reg:
			d := in.dst & 15
			if b := r[in.src&15]; b != 0 {
				r[d] %= b
			}
		case opMod + v32Imm:
			d := in.dst & 15
			if b := uint32(in.imm); b == 0 {
				r[d] = uint64(uint32(r[d]))
			} else {
				r[d] = uint64(uint32(r[d]) % b)
			}
		case opMod + v32Reg:
			d := in.dst & 15
			if b := uint32(r[in.src&15]); b == 0 {
				r[d] = uint64(uint32(r[d]))
			} else {
				r[d] = uint64(uint32(r[d]) % b)
			}
		case opSMod + v64Imm:
			d := in.dst & 15
			if b := in.imm; b != 0 {
				r[d] = uint64(int64(r[d]) % int64(b))
			}
		case opSMod + v64Reg:
			d := in.dst & 15
			if b := r[in.src&15]; b != 0 {
				r[d] = uint64(int64(r[d]) % int64(b))
			}
		case opSMod + v32Imm:
			d := in.dst & 15
			if b := uint32(in.imm); b == 0 {
				r[d] = uint64(uint32(r[d]))
			} else {
				r[d] = uint64(uint32(int32(r[d]) % int32(b)))
			}
		case opSMod + v32Reg:
			d := in.dst & 15
			if b := uint32(r[in.src&15]); b == 0 {
				r[d] = uint64(uint32(r[d]))
			} else {
				r[d] = uint64(uint32(int32(r[d]) % int32(b)))
			}
		case opLsh + v64Imm:
			d := in.dst & 15
			r[d] <<= in.imm & 63
		case opLsh + v64Reg:
			d := in.dst & 15
			r[d] <<= r[in.src&15] & 63
		case opLsh + v32Imm:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) << (uint32(in.imm) & 31))
		case opLsh + v32Reg:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) << (uint32(r[in.src&15]) & 31))
		case opRsh + v64Imm:
			d := in.dst & 15
			r[d] >>= in.imm & 63
		case opRsh + v64Reg:
			d := in.dst & 15
			r[d] >>= r[in.src&15] & 63
		case opRsh + v32Imm:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) >> (uint32(in.imm) & 31))
		case opRsh + v32Reg:
			d := in.dst & 15
			r[d] = uint64(uint32(r[d]) >> (uint32(r[in.src&15]) & 31))
		case opArsh + v64Imm:
			d := in.dst & 15
			r[d] = uint64(int64(r[d]) >> (in.imm & 63))
		case opArsh + v64Reg:
			d := in.dst & 15
			r[d] = uint64(int64(r[d]) >> (r[in.src&15] & 63))
		case opArsh + v32Imm:
			d := in.dst & 15
			r[d] = uint64(uint32(int32(r[d]) >> (uint32(in.imm) & 31)))
		case opArsh + v32Reg:
			d := in.dst & 15
			r[d] = uint64(uint32(int32(r[d]) >> (uint32(r[in.src&15]) & 31)))
		case opMov + v64Imm:
			d := in.dst & 15
			r[d] = in.imm
		case opMov + v64Reg:
			d := in.dst & 15
			r[d] = r[in.src&15]
		case opMov + v32Imm:
			d := in.dst & 15
			r[d] = in.imm
		case opMov + v32Reg:
			d := in.dst & 15
			r[d] = uint64(uint32(r[in.src&15]))
		case opJeq + v64Imm:
			if r[in.dst&15] == in.imm {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJeq + v64Reg:
			if r[in.dst&15] == r[in.src&15] {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJeq + v32Imm:
			if uint32(r[in.dst&15]) == uint32(in.imm) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJeq + v32Reg:
			if uint32(r[in.dst&15]) == uint32(r[in.src&15]) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJgt + v64Imm:
			if r[in.dst&15] > in.imm {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJgt + v64Reg:
			if r[in.dst&15] > r[in.src&15] {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJgt + v32Imm:
			if uint32(r[in.dst&15]) > uint32(in.imm) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJgt + v32Reg:
			if uint32(r[in.dst&15]) > uint32(r[in.src&15]) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJge + v64Imm:
			if r[in.dst&15] >= in.imm {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJge + v64Reg:
			if r[in.dst&15] >= r[in.src&15] {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJge + v32Imm:
			if uint32(r[in.dst&15]) >= uint32(in.imm) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJge + v32Reg:
			if uint32(r[in.dst&15]) >= uint32(r[in.src&15]) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJset + v64Imm:
			if r[in.dst&15]&in.imm != 0 {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJset + v64Reg:
			if r[in.dst&15]&r[in.src&15] != 0 {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJset + v32Imm:
			if uint32(r[in.dst&15])&uint32(in.imm) != 0 {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJset + v32Reg:
			if uint32(r[in.dst&15])&uint32(r[in.src&15]) != 0 {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJne + v64Imm:
			if r[in.dst&15] != in.imm {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJne + v64Reg:
			if r[in.dst&15] != r[in.src&15] {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJne + v32Imm:
			if uint32(r[in.dst&15]) != uint32(in.imm) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJne + v32Reg:
			if uint32(r[in.dst&15]) != uint32(r[in.src&15]) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJlt + v64Imm:
			if r[in.dst&15] < in.imm {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJlt + v64Reg:
			if r[in.dst&15] < r[in.src&15] {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJlt + v32Imm:
			if uint32(r[in.dst&15]) < uint32(in.imm) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJlt + v32Reg:
			if uint32(r[in.dst&15]) < uint32(r[in.src&15]) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJle + v64Imm:
			if r[in.dst&15] <= in.imm {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJle + v64Reg:
			if r[in.dst&15] <= r[in.src&15] {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJle + v32Imm:
			if uint32(r[in.dst&15]) <= uint32(in.imm) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJle + v32Reg:
			if uint32(r[in.dst&15]) <= uint32(r[in.src&15]) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJsgt + v64Imm:
			if int64(r[in.dst&15]) > int64(in.imm) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJsgt + v64Reg:
			if int64(r[in.dst&15]) > int64(r[in.src&15]) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJsgt + v32Imm:
			if int32(uint32(r[in.dst&15])) > int32(uint32(in.imm)) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJsgt + v32Reg:
			if int32(uint32(r[in.dst&15])) > int32(uint32(r[in.src&15])) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJsge + v64Imm:
			if int64(r[in.dst&15]) >= int64(in.imm) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJsge + v64Reg:
			if int64(r[in.dst&15]) >= int64(r[in.src&15]) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJsge + v32Imm:
			if int32(uint32(r[in.dst&15])) >= int32(uint32(in.imm)) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJsge + v32Reg:
			if int32(uint32(r[in.dst&15])) >= int32(uint32(r[in.src&15])) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJslt + v64Imm:
			if int64(r[in.dst&15]) < int64(in.imm) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJslt + v64Reg:
			if int64(r[in.dst&15]) < int64(r[in.src&15]) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJslt + v32Imm:
			if int32(uint32(r[in.dst&15])) < int32(uint32(in.imm)) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJslt + v32Reg:
			if int32(uint32(r[in.dst&15])) < int32(uint32(r[in.src&15])) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJsle + v64Imm:
			if int64(r[in.dst&15]) <= int64(in.imm) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJsle + v64Reg:
			if int64(r[in.dst&15]) <= int64(r[in.src&15]) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJsle + v32Imm:
			if int32(uint32(r[in.dst&15])) <= int32(uint32(in.imm)) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opJsle + v32Reg:
			if int32(uint32(r[in.dst&15])) <= int32(uint32(r[in.src&15])) {
				if steps > limit {
					return 0, m.fault(code, pc-1, ErrBudget, steps)
				}
				pc = int(in.tgt)
			}
		case opLdxB:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - sLo; o < uint64(len(sb)) {
				r[in.dst&15] = uint64(sb[o])
			} else {
				v, err := m.load(a, 1)
				if err != nil {
					return 0, m.fault(code, pc-1, err, steps)
				}
				r[in.dst&15] = v
			}
		case opLdxH:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - sLo; o <= uint64(len(sb)-2) {
				r[in.dst&15] = uint64(le.Uint16(sb[o:]))
			} else {
				v, err := m.load(a, 2)
				if err != nil {
					return 0, m.fault(code, pc-1, err, steps)
				}
				r[in.dst&15] = v
			}
		case opLdxW:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - sLo; o <= uint64(len(sb)-4) {
				r[in.dst&15] = uint64(le.Uint32(sb[o:]))
			} else {
				v, err := m.load(a, 4)
				if err != nil {
					return 0, m.fault(code, pc-1, err, steps)
				}
				r[in.dst&15] = v
			}
		case opLdxDW:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - sLo; o <= uint64(len(sb)-8) {
				r[in.dst&15] = le.Uint64(sb[o:])
			} else {
				v, err := m.load(a, 8)
				if err != nil {
					return 0, m.fault(code, pc-1, err, steps)
				}
				r[in.dst&15] = v
			}
		case opLdxSB:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - sLo; o < uint64(len(sb)) {
				r[in.dst&15] = uint64(int8(sb[o]))
			} else {
				v, err := m.load(a, 1)
				if err != nil {
					return 0, m.fault(code, pc-1, err, steps)
				}
				r[in.dst&15] = uint64(int8(v))
			}
		case opLdxSH:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - sLo; o <= uint64(len(sb)-2) {
				r[in.dst&15] = uint64(int16(le.Uint16(sb[o:])))
			} else {
				v, err := m.load(a, 2)
				if err != nil {
					return 0, m.fault(code, pc-1, err, steps)
				}
				r[in.dst&15] = uint64(int16(v))
			}
		case opLdxSW:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - sLo; o <= uint64(len(sb)-4) {
				r[in.dst&15] = uint64(int32(le.Uint32(sb[o:])))
			} else {
				v, err := m.load(a, 4)
				if err != nil {
					return 0, m.fault(code, pc-1, err, steps)
				}
				r[in.dst&15] = uint64(int32(v))
			}
		case opStB:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			if o := a - sLo; o < uint64(len(sb)) {
				sb[o] = byte(in.imm)
			} else if err := m.store(a, 1, in.imm); err != nil {
				return 0, m.fault(code, pc-1, err, steps)
			}
		case opStH:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			if o := a - sLo; o <= uint64(len(sb)-2) {
				le.PutUint16(sb[o:], uint16(in.imm))
			} else if err := m.store(a, 2, in.imm); err != nil {
				return 0, m.fault(code, pc-1, err, steps)
			}
		case opStW:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			if o := a - sLo; o <= uint64(len(sb)-4) {
				le.PutUint32(sb[o:], uint32(in.imm))
			} else if err := m.store(a, 4, in.imm); err != nil {
				return 0, m.fault(code, pc-1, err, steps)
			}
		case opStDW:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			if o := a - sLo; o <= uint64(len(sb)-8) {
				le.PutUint64(sb[o:], in.imm)
			} else if err := m.store(a, 8, in.imm); err != nil {
				return 0, m.fault(code, pc-1, err, steps)
			}
		case opStxB:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			if o := a - sLo; o < uint64(len(sb)) {
				sb[o] = byte(r[in.src&15])
			} else if err := m.store(a, 1, r[in.src&15]); err != nil {
				return 0, m.fault(code, pc-1, err, steps)
			}
		case opStxH:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			if o := a - sLo; o <= uint64(len(sb)-2) {
				le.PutUint16(sb[o:], uint16(r[in.src&15]))
			} else if err := m.store(a, 2, r[in.src&15]); err != nil {
				return 0, m.fault(code, pc-1, err, steps)
			}
		case opStxW:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			if o := a - sLo; o <= uint64(len(sb)-4) {
				le.PutUint32(sb[o:], uint32(r[in.src&15]))
			} else if err := m.store(a, 4, r[in.src&15]); err != nil {
				return 0, m.fault(code, pc-1, err, steps)
			}
		case opStxDW:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			if o := a - sLo; o <= uint64(len(sb)-8) {
				le.PutUint64(sb[o:], r[in.src&15])
			} else if err := m.store(a, 8, r[in.src&15]); err != nil {
				return 0, m.fault(code, pc-1, err, steps)
			}
		case opNeg64:
			r[in.dst&15] = -r[in.dst&15]
		case opNeg32:
			r[in.dst&15] = uint64(-uint32(r[in.dst&15]))
		case opMovSX8x64:
			r[in.dst&15] = uint64(int64(int8(r[in.src&15])))
		case opMovSX16x64:
			r[in.dst&15] = uint64(int64(int16(r[in.src&15])))
		case opMovSX32x64:
			r[in.dst&15] = uint64(int64(int32(r[in.src&15])))
		case opMovSX8x32:
			r[in.dst&15] = uint64(uint32(int32(int8(r[in.src&15]))))
		case opMovSX16x32:
			r[in.dst&15] = uint64(uint32(int32(int16(r[in.src&15]))))
		case opLe16:
			r[in.dst&15] = uint64(uint16(r[in.dst&15]))
		case opLe32:
			r[in.dst&15] = uint64(uint32(r[in.dst&15]))
		case opNop:
		case opBe16:
			r[in.dst&15] = uint64(bits.ReverseBytes16(uint16(r[in.dst&15])))
		case opBe32:
			r[in.dst&15] = uint64(bits.ReverseBytes32(uint32(r[in.dst&15])))
		case opBe64:
			r[in.dst&15] = bits.ReverseBytes64(r[in.dst&15])
		case opJa:
			if steps > limit {
				return 0, m.fault(code, pc-1, ErrBudget, steps)
			}
			pc = int(in.tgt)
		case opLdMap:
			r[in.dst&15] = vm.mapHandles[in.tgt]
		case opLdMapValue:
			base := vm.mapValues[in.tgt]
			if base == 0 {
				mp := vm.RT.Maps[in.tgt]
				return 0, m.fault(code, pc-1, fmt.Errorf("%w: value load from %s map %s", ErrUnsupported, mp.Kind, mp.Name), steps)
			}
			r[in.dst&15] = base + in.imm
		case opAtomic32, opAtomic64:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			n := uint64(4)
			if in.op == opAtomic64 {
				n = 8
			}
			if err := m.atomic(a, n, in.imm, &r[in.src&15], &r[0]); err != nil {
				return 0, m.fault(code, pc-1, err, steps)
			}
		case opLdAbsB, opLdAbsH, opLdAbsW, opLdIndB, opLdIndH, opLdIndW:
			off := uint32(in.imm)
			if in.op >= opLdIndB {
				off += uint32(r[in.src&15])
			}
			n := [...]uint32{1, 2, 4}[(in.op-opLdAbsB)%3]
			v, ok := m.packetLoad(off, n)
			if !ok {
				m.steps = steps
				return 0, nil
			}
			r[0] = v
		case opCall, opCallx:
			id := in.imm
			if in.op == opCallx {
				id = r[in.dst&15]
				if id > 1<<31-1 {
					return 0, m.fault(code, pc-1, fmt.Errorf("callx: r%d holds %#x, not a helper id", in.dst, id), steps)
				}
			}
			c := &m.call
			*c = host.Call{ID: int32(id), Args: [5]uint64{r[1], r[2], r[3], r[4], r[5]}, Mem: m, Run: &m.state}
			v, err := vm.RT.CallHelper(c)
			if err != nil {
				return 0, m.fault(code, pc-1, err, steps)
			}
			r[0] = v
			if t := m.state.TailTarget; t >= 0 {
				// The current program is abandoned, frames and all, and the
				// target starts afresh on the same context, as
				// ebpf-for-windows' runtime runs it.
				m.state.TailTarget = -1
				if t >= len(vm.codes) {
					return 0, m.fault(code, pc-1, fmt.Errorf("BUG: tail call to program %d of %d", t, len(vm.codes)), steps)
				}
				code, insns, pc, depth = vm.codes[t], vm.codes[t].insns, 0, 0
				clear(m.stack)
				r = [16]uint64{}
				r[1], r[10] = m.ctx.R1(), m.setDepth(0)
				sLo, sb = m.sLo, m.sb
			}
		case opCallLocal:
			if depth+1 >= MaxFrames {
				return 0, m.fault(code, pc-1, fmt.Errorf("%w of %d", ErrCallDepth, MaxFrames), steps)
			}
			if steps > limit {
				return 0, m.fault(code, pc-1, ErrBudget, steps)
			}
			frames[depth] = frame{ret: int32(pc), saved: [4]uint64{r[6], r[7], r[8], r[9]}}
			depth++
			r[10] = m.setDepth(depth)
			sLo, sb = m.sLo, m.sb
			pc = int(in.tgt)
		case opExit:
			if depth == 0 {
				m.steps = steps
				return r[0], nil
			}
			depth--
			f := &frames[depth]
			r[6], r[7], r[8], r[9] = f.saved[0], f.saved[1], f.saved[2], f.saved[3]
			r[10] = m.setDepth(depth)
			sLo, sb = m.sLo, m.sb
			pc = int(f.ret)
		case opFellOff:
			return 0, m.fault(code, pc-1, fmt.Errorf("%w %s", ErrFellOff, code.funcs[in.tgt]), steps)
		default:
			return 0, m.fault(code, pc-1, fmt.Errorf("BUG: opcode %d has no case", in.op), steps)
		}
	}
}
