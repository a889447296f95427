package interp

// The run loop is shaped for Go's compiler, which has no computed goto and
// spills every value that is live across a call at the point the value is
// defined. The loop-carried state is therefore just pc and k (see run), both
// kept in registers; everything else lives in the machine and is loaded where
// a case needs it. Cases that call out save pc and k in the machine first and
// reload them after the call, so the compiler never has to spill them at the
// top of the loop; the cases that cannot fault make no calls at all.
//
// The grouped ALU, jump, load and store cases follow one pattern each; they
// were written from a table, so keep them uniform when editing.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"sync/atomic"
	"unsafe"

	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/platform"
)

var le = binary.LittleEndian

// frame is what a bpf-to-bpf call saves for its caller.
type frame struct {
	ret   int32
	saved [4]uint64 // r6-r9
}

// window is a span of non-stack memory in which every read is allowed, and
// every write too when write is set (see host.Region.Window).
type window struct {
	lo    uint64
	b     []byte
	write bool
}

// maxBudget bounds a run's instruction budget so that budget arithmetic in
// int never overflows.
const maxBudget = 1 << 62

// errTailCall ends exec when a helper asked for a tail call.
var errTailCall = errors.New("tail call")

// machine is the state of one run. The VM keeps one and reuses its stack.
type machine struct {
	vm      *VM
	r       [16]uint64
	stack   []byte
	top     uint64 // the address just above stack
	ctx     *host.Context
	regions []host.Region // the context's
	// cache is the last non-context region an access hit; helpers' accesses
	// over a map value or the packet hit it again and again.
	cache *host.Region
	// w holds the windows of the last two non-stack regions the program
	// accessed, most recent first: loops that read the packet and a table
	// alternate between two. The run loop checks them inline; a miss goes
	// through Bytes, which refills them. Helper calls empty them, since a
	// helper may delete the map element a window covers.
	w     [2]window
	call  host.Call
	state host.RunState
	steps uint64
	// The accessible stack: sb holds the bytes from sLo up to the top of
	// the outermost frame, so callees can reach their callers' frames.
	// r10 is always sLo+StackSize.
	sLo uint64
	sb  []byte
	// depth is the current call depth, frames what the calls saved.
	depth  int
	frames [MaxFrames]frame
	// used is the deepest frame this run reached; only frames 0..used can
	// have been written, so only they need clearing for the next run.
	used int
	// limit is the run's budget; pc and k are exec's loop state, saved here
	// around calls.
	limit uint64
	pc, k int
}

func (m *machine) reset(ctx *host.Context, limit uint64) {
	// A run starts with zeroed stack, as it always has: stack that no run
	// has reached since the last clearing is zero already, so clearing the
	// frames the previous run reached is enough, and keeps identical runs
	// deterministic without paying for all MaxFrames frames each time.
	m.clearStack()
	m.r = [16]uint64{}
	m.ctx = ctx
	m.regions = ctx.Regions()
	m.cache = nil
	m.w = [2]window{}
	m.steps = 0
	m.state = host.RunState{TailTarget: -1}
	m.limit = min(limit, maxBudget)
	m.k = int(m.limit)
}

// clearStack zeroes the frames used since the last clearing.
func (m *machine) clearStack() {
	clear(m.stack[len(m.stack)-(m.used+1)*StackSize:])
	m.used = 0
}

// setDepth makes frames 0..depth the accessible stack and returns r10.
func (m *machine) setDepth(depth int) uint64 {
	top := m.top
	m.depth = depth
	m.used = max(m.used, depth)
	m.sb = m.stack[len(m.stack)-(depth+1)*StackSize:]
	m.sLo = top - uint64(depth+1)*StackSize
	return m.sLo + StackSize
}

// setSteps records the instructions executed: exec's pc and k encode them
// as limit-(k-pc).
func (m *machine) setSteps(pc, k int) { m.steps = m.limit - uint64(k-pc) }

// fault ends a run with err at the instruction before pc.
func (m *machine) fault(code *Code, pc, k int, err error) error {
	m.setSteps(pc, k)
	return &Fault{Program: code.Name, Slot: int(code.slots[pc-1]), Pos: code.pos[pc-1], Err: err}
}

// faultSaved is fault with the pc and k saved in m.
func (m *machine) faultSaved(code *Code, err error) error { return m.fault(code, m.pc, m.k, err) }

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

// access is Bytes for the program's own loads and stores: after a
// successful access to a non-context region it makes that region's window
// the most recent one, so the run loop finds the next access to it inline.
func (m *machine) access(addr, n uint64, write bool) ([]byte, error) {
	b, err := m.Bytes(addr, n, write)
	if err == nil && m.cache != nil && m.cache.Contains(addr) {
		if lo, wb, wr, ok := m.cache.Window(addr); ok {
			m.w[1] = m.w[0]
			m.w[0] = window{lo: lo, b: wb, write: wr}
		}
	}
	return b, err
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
	if n == 4 {
		if v, ok := m.ctx.Virtual(addr, n); ok {
			return v, nil
		}
	}
	data, off := m.ctx.Data(), addr-m.ctx.R1()
	inCtx := off < uint64(len(data)) && n <= uint64(len(data))-off
	if inCtx && m.vm.ctxReads.known(m.ctx.Type, off, n) {
		return readLE(data[off : off+n : off+n]), nil
	}
	b, err := m.access(addr, n, false)
	if err != nil {
		return 0, err
	}
	if inCtx {
		m.vm.ctxReads.add(m.ctx.Type, off, n)
	}
	return readLE(b), nil
}

// readLE reads a little-endian value of len(b), 1, 2, 4 or 8, bytes.
func readLE(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(le.Uint16(b))
	case 4:
		return uint64(le.Uint32(b))
	}
	return le.Uint64(b)
}

// ctxReads remembers context reads that passed the context's field checks,
// which depend only on the program type, the offset and the size: real
// programs read the same few fields (data, data_end) on every run, and the
// field-by-field check would otherwise be a large part of a short run.
type ctxReads struct {
	typ  *platform.ProgramType
	seen [8]struct{ off, n uint64 }
	len  int
}

func (c *ctxReads) known(typ *platform.ProgramType, off, n uint64) bool {
	if typ != c.typ {
		return false
	}
	for _, s := range c.seen[:c.len] {
		if s.off == off && s.n == n {
			return true
		}
	}
	return false
}

func (c *ctxReads) add(typ *platform.ProgramType, off, n uint64) {
	if typ != c.typ {
		c.typ, c.len = typ, 0
	}
	if c.len < len(c.seen) {
		c.seen[c.len].off, c.seen[c.len].n = off, n
		c.len++
	}
}

func (m *machine) store(addr, n, v uint64) error {
	b, err := m.access(addr, n, true)
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

// callHelper runs helper id on r1-r5 and leaves its result in r0. A
// requested tail call ends exec with errTailCall.
func (m *machine) callHelper(id uint64) error {
	c := &m.call
	r := &m.r
	*c = host.Call{ID: int32(id), Args: [5]uint64{r[1], r[2], r[3], r[4], r[5]}, Mem: m, Run: &m.state}
	v, err := m.vm.RT.CallHelper(c)
	// The helper may have deleted or inserted map elements.
	m.w = [2]window{}
	if err != nil {
		return err
	}
	r[0] = v
	if m.state.TailTarget >= 0 {
		return errTailCall
	}
	return nil
}

// run runs program prog and the programs it tail-calls.
func (m *machine) run(prog int) (uint64, error) {
	vm := m.vm
	code := vm.codes[prog]
	m.r[1], m.r[2], m.r[10] = m.ctx.R1(), m.ctx.R2(), m.setDepth(0)
	for {
		r0, err := m.exec(code)
		if err != errTailCall {
			return r0, err
		}
		// The current program is abandoned, frames and all, and the
		// target starts afresh on the same context, as ebpf-for-windows'
		// runtime runs it.
		t := m.state.TailTarget
		m.state.TailTarget = -1
		if t >= len(vm.codes) {
			return 0, m.faultSaved(code, fmt.Errorf("BUG: tail call to program %d of %d", t, len(vm.codes)))
		}
		code = vm.codes[t]
		m.k -= m.pc // the straight line restarts at pc 0
		m.clearStack()
		m.r = [16]uint64{}
		m.r[1], m.r[10] = m.ctx.R1(), m.setDepth(0)
	}
}

// exec runs code from its first instruction on the machine's registers and
// stack.
//
// The budget: the instructions executed so far are limit-(k-pc). Falling
// through to the next instruction advances pc and so counts itself; a control
// transfer to t moves the straight line to t, adding t-pc to k. So only taken
// jumps, calls and exits do any accounting, and a taken jump checks the
// budget with one comparison: steps > limit is pc > k. Every loop takes a
// jump or a call, so every run ends; a straight line runs at most the length
// of the program past the budget, as before, and counts stay exact
// (superinstructions skip the instruction they absorbed, so it counts too).
func (m *machine) exec(code *Code) (uint64, error) {
	insns := code.insns
	r := &m.r
	pc, k := 0, m.k
	for {
		in := &insns[pc]
		pc++
		switch in.op {
		case opMovAdd + v64Imm:
			pc++ // the ALU operation
			fallthrough
		case opAdd + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
		case opMovAdd + v64Reg:
			pc++ // the ALU operation
			fallthrough
		case opAdd + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
		case opMovAdd + v32Imm:
			pc++ // the ALU operation
			fallthrough
		case opAdd + v32Imm:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) + uint32(in.imm))
		case opMovAdd + v32Reg:
			pc++ // the ALU operation
			fallthrough
		case opAdd + v32Reg:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) + uint32(r[in.src&15]))
		case opMovSub + v64Imm:
			pc++ // the ALU operation
			fallthrough
		case opSub + v64Imm:
			r[in.dst&15] = r[in.dst>>4] - in.imm
		case opMovSub + v64Reg:
			pc++ // the ALU operation
			fallthrough
		case opSub + v64Reg:
			r[in.dst&15] = r[in.dst>>4] - r[in.src&15]
		case opMovSub + v32Imm:
			pc++ // the ALU operation
			fallthrough
		case opSub + v32Imm:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) - uint32(in.imm))
		case opMovSub + v32Reg:
			pc++ // the ALU operation
			fallthrough
		case opSub + v32Reg:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) - uint32(r[in.src&15]))
		case opMovMul + v64Imm:
			pc++ // the ALU operation
			fallthrough
		case opMul + v64Imm:
			r[in.dst&15] = r[in.dst>>4] * in.imm
		case opMovMul + v64Reg:
			pc++ // the ALU operation
			fallthrough
		case opMul + v64Reg:
			r[in.dst&15] = r[in.dst>>4] * r[in.src&15]
		case opMovMul + v32Imm:
			pc++ // the ALU operation
			fallthrough
		case opMul + v32Imm:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) * uint32(in.imm))
		case opMovMul + v32Reg:
			pc++ // the ALU operation
			fallthrough
		case opMul + v32Reg:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) * uint32(r[in.src&15]))
		case opMovOr + v64Imm:
			pc++ // the ALU operation
			fallthrough
		case opOr + v64Imm:
			r[in.dst&15] = r[in.dst>>4] | in.imm
		case opMovOr + v64Reg:
			pc++ // the ALU operation
			fallthrough
		case opOr + v64Reg:
			r[in.dst&15] = r[in.dst>>4] | r[in.src&15]
		case opMovOr + v32Imm:
			pc++ // the ALU operation
			fallthrough
		case opOr + v32Imm:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) | uint32(in.imm))
		case opMovOr + v32Reg:
			pc++ // the ALU operation
			fallthrough
		case opOr + v32Reg:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) | uint32(r[in.src&15]))
		case opMovAnd + v64Imm:
			pc++ // the ALU operation
			fallthrough
		case opAnd + v64Imm:
			r[in.dst&15] = r[in.dst>>4] & in.imm
		case opMovAnd + v64Reg:
			pc++ // the ALU operation
			fallthrough
		case opAnd + v64Reg:
			r[in.dst&15] = r[in.dst>>4] & r[in.src&15]
		case opMovAnd + v32Imm:
			pc++ // the ALU operation
			fallthrough
		case opAnd + v32Imm:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) & uint32(in.imm))
		case opMovAnd + v32Reg:
			pc++ // the ALU operation
			fallthrough
		case opAnd + v32Reg:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) & uint32(r[in.src&15]))
		case opMovXor + v64Imm:
			pc++ // the ALU operation
			fallthrough
		case opXor + v64Imm:
			r[in.dst&15] = r[in.dst>>4] ^ in.imm
		case opMovXor + v64Reg:
			pc++ // the ALU operation
			fallthrough
		case opXor + v64Reg:
			r[in.dst&15] = r[in.dst>>4] ^ r[in.src&15]
		case opMovXor + v32Imm:
			pc++ // the ALU operation
			fallthrough
		case opXor + v32Imm:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) ^ uint32(in.imm))
		case opMovXor + v32Reg:
			pc++ // the ALU operation
			fallthrough
		case opXor + v32Reg:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) ^ uint32(r[in.src&15]))
		case opMovLsh + v64Imm:
			pc++ // the ALU operation
			fallthrough
		case opLsh + v64Imm:
			r[in.dst&15] = r[in.dst>>4] << (in.imm & 63)
		case opMovLsh + v64Reg:
			pc++ // the ALU operation
			fallthrough
		case opLsh + v64Reg:
			r[in.dst&15] = r[in.dst>>4] << (r[in.src&15] & 63)
		case opMovLsh + v32Imm:
			pc++ // the ALU operation
			fallthrough
		case opLsh + v32Imm:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) << (uint32(in.imm) & 31))
		case opMovLsh + v32Reg:
			pc++ // the ALU operation
			fallthrough
		case opLsh + v32Reg:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) << (uint32(r[in.src&15]) & 31))
		case opMovRsh + v64Imm:
			pc++ // the ALU operation
			fallthrough
		case opRsh + v64Imm:
			r[in.dst&15] = r[in.dst>>4] >> (in.imm & 63)
		case opMovRsh + v64Reg:
			pc++ // the ALU operation
			fallthrough
		case opRsh + v64Reg:
			r[in.dst&15] = r[in.dst>>4] >> (r[in.src&15] & 63)
		case opMovRsh + v32Imm:
			pc++ // the ALU operation
			fallthrough
		case opRsh + v32Imm:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) >> (uint32(in.imm) & 31))
		case opMovRsh + v32Reg:
			pc++ // the ALU operation
			fallthrough
		case opRsh + v32Reg:
			r[in.dst&15] = uint64(uint32(r[in.dst>>4]) >> (uint32(r[in.src&15]) & 31))
		case opMovArsh + v64Imm:
			pc++ // the ALU operation
			fallthrough
		case opArsh + v64Imm:
			r[in.dst&15] = uint64(int64(r[in.dst>>4]) >> (in.imm & 63))
		case opMovArsh + v64Reg:
			pc++ // the ALU operation
			fallthrough
		case opArsh + v64Reg:
			r[in.dst&15] = uint64(int64(r[in.dst>>4]) >> (r[in.src&15] & 63))
		case opMovArsh + v32Imm:
			pc++ // the ALU operation
			fallthrough
		case opArsh + v32Imm:
			r[in.dst&15] = uint64(uint32(int32(r[in.dst>>4]) >> (uint32(in.imm) & 31)))
		case opMovArsh + v32Reg:
			pc++ // the ALU operation
			fallthrough
		case opArsh + v32Reg:
			r[in.dst&15] = uint64(uint32(int32(r[in.dst>>4]) >> (uint32(r[in.src&15]) & 31)))
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
		case opIdxMovAddJeq + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJeq + v64Imm:
			pc++ // the add
			fallthrough
		case opAddJeq + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJeq + v64Imm:
			if r[in.dst&15] == in.imm {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJeq + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJeq + v64Reg:
			pc++ // the add
			fallthrough
		case opAddJeq + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJeq + v64Reg:
			if r[in.dst&15] == r[in.src&15] {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJeq + v32Imm:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJeq + v32Imm:
			pc++ // the add
			fallthrough
		case opAddJeq + v32Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJeq + v32Imm:
			if uint32(r[in.dst&15]) == uint32(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJeq + v32Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJeq + v32Reg:
			pc++ // the add
			fallthrough
		case opAddJeq + v32Reg:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJeq + v32Reg:
			if uint32(r[in.dst&15]) == uint32(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJgt + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJgt + v64Imm:
			pc++ // the add
			fallthrough
		case opAddJgt + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJgt + v64Imm:
			if r[in.dst&15] > in.imm {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJgt + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJgt + v64Reg:
			pc++ // the add
			fallthrough
		case opAddJgt + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJgt + v64Reg:
			if r[in.dst&15] > r[in.src&15] {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJgt + v32Imm:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJgt + v32Imm:
			pc++ // the add
			fallthrough
		case opAddJgt + v32Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJgt + v32Imm:
			if uint32(r[in.dst&15]) > uint32(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJgt + v32Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJgt + v32Reg:
			pc++ // the add
			fallthrough
		case opAddJgt + v32Reg:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJgt + v32Reg:
			if uint32(r[in.dst&15]) > uint32(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJge + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJge + v64Imm:
			pc++ // the add
			fallthrough
		case opAddJge + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJge + v64Imm:
			if r[in.dst&15] >= in.imm {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJge + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJge + v64Reg:
			pc++ // the add
			fallthrough
		case opAddJge + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJge + v64Reg:
			if r[in.dst&15] >= r[in.src&15] {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJge + v32Imm:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJge + v32Imm:
			pc++ // the add
			fallthrough
		case opAddJge + v32Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJge + v32Imm:
			if uint32(r[in.dst&15]) >= uint32(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJge + v32Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJge + v32Reg:
			pc++ // the add
			fallthrough
		case opAddJge + v32Reg:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJge + v32Reg:
			if uint32(r[in.dst&15]) >= uint32(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJset + v64Imm:
			if r[in.dst&15]&in.imm != 0 {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJset + v64Reg:
			if r[in.dst&15]&r[in.src&15] != 0 {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJset + v32Imm:
			if uint32(r[in.dst&15])&uint32(in.imm) != 0 {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJset + v32Reg:
			if uint32(r[in.dst&15])&uint32(r[in.src&15]) != 0 {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJne + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJne + v64Imm:
			pc++ // the add
			fallthrough
		case opAddJne + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJne + v64Imm:
			if r[in.dst&15] != in.imm {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJne + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJne + v64Reg:
			pc++ // the add
			fallthrough
		case opAddJne + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJne + v64Reg:
			if r[in.dst&15] != r[in.src&15] {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJne + v32Imm:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJne + v32Imm:
			pc++ // the add
			fallthrough
		case opAddJne + v32Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJne + v32Imm:
			if uint32(r[in.dst&15]) != uint32(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJne + v32Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJne + v32Reg:
			pc++ // the add
			fallthrough
		case opAddJne + v32Reg:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJne + v32Reg:
			if uint32(r[in.dst&15]) != uint32(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJsgt + v64Imm:
			if int64(r[in.dst&15]) > int64(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJsgt + v64Reg:
			if int64(r[in.dst&15]) > int64(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJsgt + v32Imm:
			if int32(uint32(r[in.dst&15])) > int32(uint32(in.imm)) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJsgt + v32Reg:
			if int32(uint32(r[in.dst&15])) > int32(uint32(r[in.src&15])) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJsge + v64Imm:
			if int64(r[in.dst&15]) >= int64(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJsge + v64Reg:
			if int64(r[in.dst&15]) >= int64(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJsge + v32Imm:
			if int32(uint32(r[in.dst&15])) >= int32(uint32(in.imm)) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJsge + v32Reg:
			if int32(uint32(r[in.dst&15])) >= int32(uint32(r[in.src&15])) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJlt + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJlt + v64Imm:
			pc++ // the add
			fallthrough
		case opAddJlt + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJlt + v64Imm:
			if r[in.dst&15] < in.imm {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJlt + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJlt + v64Reg:
			pc++ // the add
			fallthrough
		case opAddJlt + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJlt + v64Reg:
			if r[in.dst&15] < r[in.src&15] {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJlt + v32Imm:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJlt + v32Imm:
			pc++ // the add
			fallthrough
		case opAddJlt + v32Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJlt + v32Imm:
			if uint32(r[in.dst&15]) < uint32(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJlt + v32Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJlt + v32Reg:
			pc++ // the add
			fallthrough
		case opAddJlt + v32Reg:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJlt + v32Reg:
			if uint32(r[in.dst&15]) < uint32(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJle + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJle + v64Imm:
			pc++ // the add
			fallthrough
		case opAddJle + v64Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJle + v64Imm:
			if r[in.dst&15] <= in.imm {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJle + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJle + v64Reg:
			pc++ // the add
			fallthrough
		case opAddJle + v64Reg:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJle + v64Reg:
			if r[in.dst&15] <= r[in.src&15] {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJle + v32Imm:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJle + v32Imm:
			pc++ // the add
			fallthrough
		case opAddJle + v32Imm:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJle + v32Imm:
			if uint32(r[in.dst&15]) <= uint32(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opIdxMovAddJle + v32Reg:
			r[in.dst&15] = r[in.dst>>4] + r[in.src&15]
			pc++            // the add
			in = &insns[pc] // the mov+add+jump
			pc++
			fallthrough
		case opMovAddJle + v32Reg:
			pc++ // the add
			fallthrough
		case opAddJle + v32Reg:
			r[in.dst&15] = r[in.dst>>4] + in.imm
			in = &insns[pc] // the jump
			pc++
			fallthrough
		case opJle + v32Reg:
			if uint32(r[in.dst&15]) <= uint32(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJslt + v64Imm:
			if int64(r[in.dst&15]) < int64(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJslt + v64Reg:
			if int64(r[in.dst&15]) < int64(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJslt + v32Imm:
			if int32(uint32(r[in.dst&15])) < int32(uint32(in.imm)) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJslt + v32Reg:
			if int32(uint32(r[in.dst&15])) < int32(uint32(r[in.src&15])) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJsle + v64Imm:
			if int64(r[in.dst&15]) <= int64(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJsle + v64Reg:
			if int64(r[in.dst&15]) <= int64(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJsle + v32Imm:
			if int32(uint32(r[in.dst&15])) <= int32(uint32(in.imm)) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opJsle + v32Reg:
			if int32(uint32(r[in.dst&15])) <= int32(uint32(r[in.src&15])) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opLdxStackB:
			v := uint64(m.sb[in.tgt])
			r[in.dst&15] = v
		case opLdxStackH:
			s := m.sb[in.tgt : in.tgt+2 : in.tgt+2]
			v := uint64(uint16(s[0]) | uint16(s[1])<<8)
			r[in.dst&15] = v
		case opLdxStackW:
			s := m.sb[in.tgt : in.tgt+4 : in.tgt+4]
			v := uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			r[in.dst&15] = v
		case opLdxStackDW:
			s := m.sb[in.tgt : in.tgt+8 : in.tgt+8]
			v := uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			r[in.dst&15] = v
		case opStStackB:
			m.sb[in.tgt] = byte(in.imm)
		case opStStackH:
			s := m.sb[in.tgt : in.tgt+2 : in.tgt+2]
			s[0] = byte(in.imm)
			s[1] = byte(in.imm >> 8)
		case opStStackW:
			s := m.sb[in.tgt : in.tgt+4 : in.tgt+4]
			s[0] = byte(in.imm)
			s[1] = byte(in.imm >> 8)
			s[2] = byte(in.imm >> 16)
			s[3] = byte(in.imm >> 24)
		case opStStackDW:
			s := m.sb[in.tgt : in.tgt+8 : in.tgt+8]
			s[0] = byte(in.imm)
			s[1] = byte(in.imm >> 8)
			s[2] = byte(in.imm >> 16)
			s[3] = byte(in.imm >> 24)
			s[4] = byte(in.imm >> 32)
			s[5] = byte(in.imm >> 40)
			s[6] = byte(in.imm >> 48)
			s[7] = byte(in.imm >> 56)
		case opStxStackB:
			v := r[in.src&15]
			m.sb[in.tgt] = byte(v)
		case opStxStackH:
			v := r[in.src&15]
			s := m.sb[in.tgt : in.tgt+2 : in.tgt+2]
			s[0] = byte(v)
			s[1] = byte(v >> 8)
		case opStxStackW:
			v := r[in.src&15]
			s := m.sb[in.tgt : in.tgt+4 : in.tgt+4]
			s[0] = byte(v)
			s[1] = byte(v >> 8)
			s[2] = byte(v >> 16)
			s[3] = byte(v >> 24)
		case opStxStackDW:
			v := r[in.src&15]
			s := m.sb[in.tgt : in.tgt+8 : in.tgt+8]
			s[0] = byte(v)
			s[1] = byte(v >> 8)
			s[2] = byte(v >> 16)
			s[3] = byte(v >> 24)
			s[4] = byte(v >> 32)
			s[5] = byte(v >> 40)
			s[6] = byte(v >> 48)
			s[7] = byte(v >> 56)
		case opLdxB:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v := uint64(m.sb[o])
				r[in.dst&15] = v
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v := uint64(m.w[0].b[o])
				r[in.dst&15] = v
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v := uint64(m.w[1].b[o])
				r[in.dst&15] = v
			} else {
				d := in.dst & 15
				m.pc, m.k = pc, k
				v, err := m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				r[d] = v
				pc, k = m.pc, m.k
			}
		case opLdxH:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v := uint64(uint16(s[0]) | uint16(s[1])<<8)
				r[in.dst&15] = v
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v := uint64(uint16(s[0]) | uint16(s[1])<<8)
				r[in.dst&15] = v
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v := uint64(uint16(s[0]) | uint16(s[1])<<8)
				r[in.dst&15] = v
			} else {
				d := in.dst & 15
				m.pc, m.k = pc, k
				v, err := m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				r[d] = v
				pc, k = m.pc, m.k
			}
		case opLdxW:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v := uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
				r[in.dst&15] = v
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v := uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
				r[in.dst&15] = v
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v := uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
				r[in.dst&15] = v
			} else {
				d := in.dst & 15
				m.pc, m.k = pc, k
				v, err := m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				r[d] = v
				pc, k = m.pc, m.k
			}
		case opLdxDW:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v := uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
				r[in.dst&15] = v
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v := uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
				r[in.dst&15] = v
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v := uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
				r[in.dst&15] = v
			} else {
				d := in.dst & 15
				m.pc, m.k = pc, k
				v, err := m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				r[d] = v
				pc, k = m.pc, m.k
			}
		case opLdxSB:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v := uint64(m.sb[o])
				r[in.dst&15] = uint64(int8(v))
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v := uint64(m.w[0].b[o])
				r[in.dst&15] = uint64(int8(v))
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v := uint64(m.w[1].b[o])
				r[in.dst&15] = uint64(int8(v))
			} else {
				d := in.dst & 15
				m.pc, m.k = pc, k
				v, err := m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				r[d] = uint64(int8(v))
				pc, k = m.pc, m.k
			}
		case opLdxSH:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v := uint64(uint16(s[0]) | uint16(s[1])<<8)
				r[in.dst&15] = uint64(int16(v))
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v := uint64(uint16(s[0]) | uint16(s[1])<<8)
				r[in.dst&15] = uint64(int16(v))
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v := uint64(uint16(s[0]) | uint16(s[1])<<8)
				r[in.dst&15] = uint64(int16(v))
			} else {
				d := in.dst & 15
				m.pc, m.k = pc, k
				v, err := m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				r[d] = uint64(int16(v))
				pc, k = m.pc, m.k
			}
		case opLdxSW:
			a := r[in.src&15] + uint64(int64(in.tgt))
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v := uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
				r[in.dst&15] = uint64(int32(v))
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v := uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
				r[in.dst&15] = uint64(int32(v))
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v := uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
				r[in.dst&15] = uint64(int32(v))
			} else {
				d := in.dst & 15
				m.pc, m.k = pc, k
				v, err := m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				r[d] = uint64(int32(v))
				pc, k = m.pc, m.k
			}
		case opStB:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			v := in.imm
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				m.sb[o] = byte(v)
			} else if o := a - m.w[0].lo; m.w[0].write && o < uint64(len(m.w[0].b)) {
				m.w[0].b[o] = byte(v)
			} else if o := a - m.w[1].lo; m.w[1].write && o < uint64(len(m.w[1].b)) {
				m.w[1].b[o] = byte(v)
			} else {
				m.pc, m.k = pc, k
				if err := m.store(a, 1, v); err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
		case opStH:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			v := in.imm
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
			} else if o := a - m.w[0].lo; m.w[0].write && o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
			} else if o := a - m.w[1].lo; m.w[1].write && o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
			} else {
				m.pc, m.k = pc, k
				if err := m.store(a, 2, v); err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
		case opStW:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			v := in.imm
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
				s[2] = byte(v >> 16)
				s[3] = byte(v >> 24)
			} else if o := a - m.w[0].lo; m.w[0].write && o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
				s[2] = byte(v >> 16)
				s[3] = byte(v >> 24)
			} else if o := a - m.w[1].lo; m.w[1].write && o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
				s[2] = byte(v >> 16)
				s[3] = byte(v >> 24)
			} else {
				m.pc, m.k = pc, k
				if err := m.store(a, 4, v); err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
		case opStDW:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			v := in.imm
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
				s[2] = byte(v >> 16)
				s[3] = byte(v >> 24)
				s[4] = byte(v >> 32)
				s[5] = byte(v >> 40)
				s[6] = byte(v >> 48)
				s[7] = byte(v >> 56)
			} else if o := a - m.w[0].lo; m.w[0].write && o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
				s[2] = byte(v >> 16)
				s[3] = byte(v >> 24)
				s[4] = byte(v >> 32)
				s[5] = byte(v >> 40)
				s[6] = byte(v >> 48)
				s[7] = byte(v >> 56)
			} else if o := a - m.w[1].lo; m.w[1].write && o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
				s[2] = byte(v >> 16)
				s[3] = byte(v >> 24)
				s[4] = byte(v >> 32)
				s[5] = byte(v >> 40)
				s[6] = byte(v >> 48)
				s[7] = byte(v >> 56)
			} else {
				m.pc, m.k = pc, k
				if err := m.store(a, 8, v); err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
		case opStxB:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			v := r[in.src&15]
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				m.sb[o] = byte(v)
			} else if o := a - m.w[0].lo; m.w[0].write && o < uint64(len(m.w[0].b)) {
				m.w[0].b[o] = byte(v)
			} else if o := a - m.w[1].lo; m.w[1].write && o < uint64(len(m.w[1].b)) {
				m.w[1].b[o] = byte(v)
			} else {
				m.pc, m.k = pc, k
				if err := m.store(a, 1, v); err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
		case opStxH:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			v := r[in.src&15]
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
			} else if o := a - m.w[0].lo; m.w[0].write && o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
			} else if o := a - m.w[1].lo; m.w[1].write && o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
			} else {
				m.pc, m.k = pc, k
				if err := m.store(a, 2, v); err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
		case opStxW:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			v := r[in.src&15]
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
				s[2] = byte(v >> 16)
				s[3] = byte(v >> 24)
			} else if o := a - m.w[0].lo; m.w[0].write && o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
				s[2] = byte(v >> 16)
				s[3] = byte(v >> 24)
			} else if o := a - m.w[1].lo; m.w[1].write && o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
				s[2] = byte(v >> 16)
				s[3] = byte(v >> 24)
			} else {
				m.pc, m.k = pc, k
				if err := m.store(a, 4, v); err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
		case opStxDW:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			v := r[in.src&15]
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
				s[2] = byte(v >> 16)
				s[3] = byte(v >> 24)
				s[4] = byte(v >> 32)
				s[5] = byte(v >> 40)
				s[6] = byte(v >> 48)
				s[7] = byte(v >> 56)
			} else if o := a - m.w[0].lo; m.w[0].write && o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
				s[2] = byte(v >> 16)
				s[3] = byte(v >> 24)
				s[4] = byte(v >> 32)
				s[5] = byte(v >> 40)
				s[6] = byte(v >> 48)
				s[7] = byte(v >> 56)
			} else if o := a - m.w[1].lo; m.w[1].write && o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				s[0] = byte(v)
				s[1] = byte(v >> 8)
				s[2] = byte(v >> 16)
				s[3] = byte(v >> 24)
				s[4] = byte(v >> 32)
				s[5] = byte(v >> 40)
				s[6] = byte(v >> 48)
				s[7] = byte(v >> 56)
			} else {
				m.pc, m.k = pc, k
				if err := m.store(a, 8, v); err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
		case opLdxBAdd + v64Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v + uint64(int64(int32(in.imm>>32)))
		case opLdxBAdd + v64Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v + r[uint8(in.imm>>8)&15]
		case opLdxBAdd + v32Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) + uint32(in.imm>>32))
		case opLdxBAdd + v32Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) + uint32(r[uint8(in.imm>>8)&15]))
		case opLdxBXor + v64Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v ^ uint64(int64(int32(in.imm>>32)))
		case opLdxBXor + v64Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v ^ r[uint8(in.imm>>8)&15]
		case opLdxBXor + v32Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) ^ uint32(in.imm>>32))
		case opLdxBXor + v32Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) ^ uint32(r[uint8(in.imm>>8)&15]))
		case opLdxBMov + v64Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(int64(int32(in.imm >> 32)))
		case opLdxBMov + v64Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v
		case opLdxBMov + v32Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(in.imm >> 32))
		case opLdxBMov + v32Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v))
		case opLdxHAdd + v64Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v + uint64(int64(int32(in.imm>>32)))
		case opLdxHAdd + v64Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v + r[uint8(in.imm>>8)&15]
		case opLdxHAdd + v32Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) + uint32(in.imm>>32))
		case opLdxHAdd + v32Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) + uint32(r[uint8(in.imm>>8)&15]))
		case opLdxHXor + v64Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v ^ uint64(int64(int32(in.imm>>32)))
		case opLdxHXor + v64Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v ^ r[uint8(in.imm>>8)&15]
		case opLdxHXor + v32Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) ^ uint32(in.imm>>32))
		case opLdxHXor + v32Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) ^ uint32(r[uint8(in.imm>>8)&15]))
		case opLdxHMov + v64Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(int64(int32(in.imm >> 32)))
		case opLdxHMov + v64Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v
		case opLdxHMov + v32Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(in.imm >> 32))
		case opLdxHMov + v32Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v))
		case opLdxWAdd + v64Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v + uint64(int64(int32(in.imm>>32)))
		case opLdxWAdd + v64Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v + r[uint8(in.imm>>8)&15]
		case opLdxWAdd + v32Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) + uint32(in.imm>>32))
		case opLdxWAdd + v32Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) + uint32(r[uint8(in.imm>>8)&15]))
		case opLdxWXor + v64Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v ^ uint64(int64(int32(in.imm>>32)))
		case opLdxWXor + v64Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v ^ r[uint8(in.imm>>8)&15]
		case opLdxWXor + v32Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) ^ uint32(in.imm>>32))
		case opLdxWXor + v32Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) ^ uint32(r[uint8(in.imm>>8)&15]))
		case opLdxWMov + v64Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(int64(int32(in.imm >> 32)))
		case opLdxWMov + v64Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v
		case opLdxWMov + v32Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(in.imm >> 32))
		case opLdxWMov + v32Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v))
		case opLdxDWAdd + v64Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v + uint64(int64(int32(in.imm>>32)))
		case opLdxDWAdd + v64Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v + r[uint8(in.imm>>8)&15]
		case opLdxDWAdd + v32Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) + uint32(in.imm>>32))
		case opLdxDWAdd + v32Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) + uint32(r[uint8(in.imm>>8)&15]))
		case opLdxDWXor + v64Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v ^ uint64(int64(int32(in.imm>>32)))
		case opLdxDWXor + v64Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v ^ r[uint8(in.imm>>8)&15]
		case opLdxDWXor + v32Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) ^ uint32(in.imm>>32))
		case opLdxDWXor + v32Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v) ^ uint32(r[uint8(in.imm>>8)&15]))
		case opLdxDWMov + v64Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(int64(int32(in.imm >> 32)))
		case opLdxDWMov + v64Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = v
		case opLdxDWMov + v32Imm:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(in.imm >> 32))
		case opLdxDWMov + v32Reg:
			a := r[in.src&15] + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.dst&15] = v
			pc++ // the ALU operation
			d := uint8(in.imm)
			r[d&15] = uint64(uint32(v))
		case opImmPair + (pAdd*pairOpCount+pAdd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] + in.imm) + uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pAdd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) + uint32(in.imm)) + uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pMul)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] + in.imm) * uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pMul)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) + uint32(in.imm)) * uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pOr)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] + in.imm) | uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pOr)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) + uint32(in.imm)) | uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pAnd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] + in.imm) & uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pAnd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) + uint32(in.imm)) & uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pXor)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] + in.imm) ^ uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pXor)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) + uint32(in.imm)) ^ uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pLsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] + in.imm) << (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pLsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) + uint32(in.imm)) << (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pRsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] + in.imm) >> (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pAdd*pairOpCount+pRsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) + uint32(in.imm)) >> (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pAdd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] * in.imm) + uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pAdd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) * uint32(in.imm)) + uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pMul)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] * in.imm) * uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pMul)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) * uint32(in.imm)) * uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pOr)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] * in.imm) | uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pOr)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) * uint32(in.imm)) | uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pAnd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] * in.imm) & uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pAnd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) * uint32(in.imm)) & uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pXor)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] * in.imm) ^ uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pXor)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) * uint32(in.imm)) ^ uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pLsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] * in.imm) << (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pLsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) * uint32(in.imm)) << (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pRsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] * in.imm) >> (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pMul*pairOpCount+pRsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) * uint32(in.imm)) >> (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pAdd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] | in.imm) + uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pAdd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) | uint32(in.imm)) + uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pMul)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] | in.imm) * uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pMul)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) | uint32(in.imm)) * uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pOr)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] | in.imm) | uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pOr)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) | uint32(in.imm)) | uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pAnd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] | in.imm) & uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pAnd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) | uint32(in.imm)) & uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pXor)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] | in.imm) ^ uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pXor)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) | uint32(in.imm)) ^ uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pLsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] | in.imm) << (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pLsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) | uint32(in.imm)) << (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pRsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] | in.imm) >> (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pOr*pairOpCount+pRsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) | uint32(in.imm)) >> (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pAdd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] & in.imm) + uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pAdd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) & uint32(in.imm)) + uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pMul)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] & in.imm) * uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pMul)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) & uint32(in.imm)) * uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pOr)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] & in.imm) | uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pOr)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) & uint32(in.imm)) | uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pAnd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] & in.imm) & uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pAnd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) & uint32(in.imm)) & uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pXor)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] & in.imm) ^ uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pXor)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) & uint32(in.imm)) ^ uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pLsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] & in.imm) << (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pLsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) & uint32(in.imm)) << (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pRsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] & in.imm) >> (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pAnd*pairOpCount+pRsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) & uint32(in.imm)) >> (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pAdd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] ^ in.imm) + uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pAdd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) ^ uint32(in.imm)) + uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pMul)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] ^ in.imm) * uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pMul)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) ^ uint32(in.imm)) * uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pOr)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] ^ in.imm) | uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pOr)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) ^ uint32(in.imm)) | uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pAnd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] ^ in.imm) & uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pAnd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) ^ uint32(in.imm)) & uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pXor)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] ^ in.imm) ^ uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pXor)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) ^ uint32(in.imm)) ^ uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pLsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] ^ in.imm) << (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pLsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) ^ uint32(in.imm)) << (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pRsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] ^ in.imm) >> (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pXor*pairOpCount+pRsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) ^ uint32(in.imm)) >> (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pAdd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] << (in.imm & 63)) + uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pAdd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) << (uint32(in.imm) & 31)) + uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pMul)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] << (in.imm & 63)) * uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pMul)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) << (uint32(in.imm) & 31)) * uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pOr)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] << (in.imm & 63)) | uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pOr)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) << (uint32(in.imm) & 31)) | uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pAnd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] << (in.imm & 63)) & uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pAnd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) << (uint32(in.imm) & 31)) & uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pXor)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] << (in.imm & 63)) ^ uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pXor)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) << (uint32(in.imm) & 31)) ^ uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pLsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] << (in.imm & 63)) << (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pLsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) << (uint32(in.imm) & 31)) << (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pRsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] << (in.imm & 63)) >> (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pLsh*pairOpCount+pRsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) << (uint32(in.imm) & 31)) >> (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pAdd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] >> (in.imm & 63)) + uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pAdd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) >> (uint32(in.imm) & 31)) + uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pMul)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] >> (in.imm & 63)) * uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pMul)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) >> (uint32(in.imm) & 31)) * uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pOr)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] >> (in.imm & 63)) | uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pOr)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) >> (uint32(in.imm) & 31)) | uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pAnd)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] >> (in.imm & 63)) & uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pAnd)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) >> (uint32(in.imm) & 31)) & uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pXor)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] >> (in.imm & 63)) ^ uint64(int64(in.tgt))
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pXor)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) >> (uint32(in.imm) & 31)) ^ uint32(in.tgt))
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pLsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] >> (in.imm & 63)) << (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pLsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) >> (uint32(in.imm) & 31)) << (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pRsh)*2 + w64:
			r[in.dst&15] = (r[in.dst>>4] >> (in.imm & 63)) >> (uint64(int64(in.tgt)) & 63)
			pc += int(in.src)
		case opImmPair + (pRsh*pairOpCount+pRsh)*2 + w32:
			r[in.dst&15] = uint64((uint32(r[in.dst>>4]) >> (uint32(in.imm) & 31)) >> (uint32(in.tgt) & 31))
			pc += int(in.src)
		case opRot32:
			v := uint32(r[in.dst>>4])
			r[in.src&15] = uint64(v >> in.imm)
			r[in.dst&15] = uint64(bits.RotateLeft32(v, -int(in.imm)))
			pc += int(in.tgt)
		case opMovImmMov64:
			r[in.dst&15] = in.imm
			r[in.src&15] = uint64(int64(in.tgt))
			pc++ // the second mov
		case opMovImmMov32:
			r[in.dst&15] = in.imm
			r[in.src&15] = uint64(uint32(in.tgt))
			pc++ // the second mov
		case opMovImmStxStackB:
			r[in.dst&15] = in.imm
			pc++ // the store
			m.sb[in.tgt] = byte(in.imm)
		case opMovImmStxStackH:
			r[in.dst&15] = in.imm
			pc++ // the store
			s := m.sb[in.tgt : in.tgt+2 : in.tgt+2]
			s[0] = byte(in.imm)
			s[1] = byte(in.imm >> 8)
		case opMovImmStxStackW:
			r[in.dst&15] = in.imm
			pc++ // the store
			s := m.sb[in.tgt : in.tgt+4 : in.tgt+4]
			s[0] = byte(in.imm)
			s[1] = byte(in.imm >> 8)
			s[2] = byte(in.imm >> 16)
			s[3] = byte(in.imm >> 24)
		case opMovImmStxStackDW:
			r[in.dst&15] = in.imm
			pc++ // the store
			s := m.sb[in.tgt : in.tgt+8 : in.tgt+8]
			s[0] = byte(in.imm)
			s[1] = byte(in.imm >> 8)
			s[2] = byte(in.imm >> 16)
			s[3] = byte(in.imm >> 24)
			s[4] = byte(in.imm >> 32)
			s[5] = byte(in.imm >> 40)
			s[6] = byte(in.imm >> 48)
			s[7] = byte(in.imm >> 56)
		case opAddLdxB:
			b := r[in.dst>>4] + r[in.src&15]
			r[in.dst&15] = b
			pc++ // the load
			a := b + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-1 {
				v = uint64(m.sb[o])
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) {
				v = uint64(m.w[0].b[o])
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) {
				v = uint64(m.w[1].b[o])
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 1)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.src>>4] = v
		case opAddLdxH:
			b := r[in.dst>>4] + r[in.src&15]
			r[in.dst&15] = b
			pc++ // the load
			a := b + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-2 {
				s := m.sb[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 2 {
				s := m.w[0].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 2 {
				s := m.w[1].b[o : o+2 : o+2]
				v = uint64(uint16(s[0]) | uint16(s[1])<<8)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 2)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.src>>4] = v
		case opAddLdxW:
			b := r[in.dst>>4] + r[in.src&15]
			r[in.dst&15] = b
			pc++ // the load
			a := b + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-4 {
				s := m.sb[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 4 {
				s := m.w[0].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 4 {
				s := m.w[1].b[o : o+4 : o+4]
				v = uint64(uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 4)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.src>>4] = v
		case opAddLdxDW:
			b := r[in.dst>>4] + r[in.src&15]
			r[in.dst&15] = b
			pc++ // the load
			a := b + uint64(int64(in.tgt))
			var v uint64
			if o := a - m.sLo; o <= uint64(len(m.sb))-8 {
				s := m.sb[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[0].lo; o < uint64(len(m.w[0].b)) && uint64(len(m.w[0].b))-o >= 8 {
				s := m.w[0].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else if o := a - m.w[1].lo; o < uint64(len(m.w[1].b)) && uint64(len(m.w[1].b))-o >= 8 {
				s := m.w[1].b[o : o+8 : o+8]
				v = uint64(uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 | uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56)
			} else {
				m.pc, m.k = pc, k
				var err error
				v, err = m.load(a, 8)
				if err != nil {
					return 0, m.faultSaved(code, err)
				}
				pc, k = m.pc, m.k
			}
			r[in.src>>4] = v
		case opAddMovJeq + v64Imm:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if r[in.dst&15] == in.imm {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJeq + v64Reg:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if r[in.dst&15] == r[in.src&15] {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJeq + v32Imm:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if uint32(r[in.dst&15]) == uint32(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJeq + v32Reg:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if uint32(r[in.dst&15]) == uint32(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJgt + v64Imm:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if r[in.dst&15] > in.imm {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJgt + v64Reg:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if r[in.dst&15] > r[in.src&15] {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJgt + v32Imm:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if uint32(r[in.dst&15]) > uint32(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJgt + v32Reg:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if uint32(r[in.dst&15]) > uint32(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJge + v64Imm:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if r[in.dst&15] >= in.imm {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJge + v64Reg:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if r[in.dst&15] >= r[in.src&15] {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJge + v32Imm:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if uint32(r[in.dst&15]) >= uint32(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJge + v32Reg:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if uint32(r[in.dst&15]) >= uint32(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJne + v64Imm:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if r[in.dst&15] != in.imm {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJne + v64Reg:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if r[in.dst&15] != r[in.src&15] {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJne + v32Imm:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if uint32(r[in.dst&15]) != uint32(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJne + v32Reg:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if uint32(r[in.dst&15]) != uint32(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJlt + v64Imm:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if r[in.dst&15] < in.imm {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJlt + v64Reg:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if r[in.dst&15] < r[in.src&15] {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJlt + v32Imm:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if uint32(r[in.dst&15]) < uint32(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJlt + v32Reg:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if uint32(r[in.dst&15]) < uint32(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJle + v64Imm:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if r[in.dst&15] <= in.imm {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJle + v64Reg:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if r[in.dst&15] <= r[in.src&15] {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJle + v32Imm:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if uint32(r[in.dst&15]) <= uint32(in.imm) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
			}
		case opAddMovJle + v32Reg:
			r[in.tgt&15] = r[in.src&15] & (^uint64(0) >> (uint32(in.tgt) >> 8))
			r[in.dst&15] = r[in.dst>>4] + in.imm
			pc++            // the mov
			in = &insns[pc] // the jump
			pc++
			if uint32(r[in.dst&15]) <= uint32(r[in.src&15]) {
				if pc > k {
					return 0, m.fault(code, pc, k, ErrBudget)
				}
				k += int(in.tgt) - pc
				pc = int(in.tgt)
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
			if pc > k {
				return 0, m.fault(code, pc, k, ErrBudget)
			}
			k += int(in.tgt) - pc
			pc = int(in.tgt)
		case opLdMap:
			r[in.dst&15] = m.vm.mapHandles[in.tgt]
		case opLdMapValue:
			base := m.vm.mapValues[in.tgt]
			if base == 0 {
				mp := m.vm.RT.Maps[in.tgt]
				m.pc, m.k = pc, k
				return 0, m.faultSaved(code, fmt.Errorf("%w: value load from %s map %s", ErrUnsupported, mp.Kind, mp.Name))
			}
			r[in.dst&15] = base + in.imm
		case opAtomic32, opAtomic64:
			a := r[in.dst&15] + uint64(int64(in.tgt))
			n := uint64(4)
			if in.op == opAtomic64 {
				n = 8
			}
			op, src := in.imm, &r[in.src&15]
			m.pc, m.k = pc, k
			if err := m.atomic(a, n, op, src, &r[0]); err != nil {
				return 0, m.faultSaved(code, err)
			}
			pc, k = m.pc, m.k
		case opLdAbsB, opLdAbsH, opLdAbsW, opLdIndB, opLdIndH, opLdIndW:
			off := uint32(in.imm)
			if in.op >= opLdIndB {
				off += uint32(r[in.src&15])
			}
			n := [...]uint32{1, 2, 4}[(in.op-opLdAbsB)%3]
			m.pc, m.k = pc, k
			v, ok := m.packetLoad(off, n)
			if !ok {
				m.setSteps(m.pc, m.k)
				return 0, nil
			}
			r[0] = v
			pc, k = m.pc, m.k
		case opCall, opCallx:
			id := in.imm
			if in.op == opCallx {
				id = r[in.dst&15]
				if id > 1<<31-1 {
					d := in.dst
					m.pc, m.k = pc, k
					return 0, m.faultSaved(code, fmt.Errorf("callx: r%d holds %#x, not a helper id", d, id))
				}
			}
			m.pc, m.k = pc, k
			if err := m.callHelper(id); err != nil {
				if err == errTailCall {
					m.setSteps(m.pc, m.k)
					return 0, err
				}
				return 0, m.faultSaved(code, err)
			}
			pc, k = m.pc, m.k
		case opCallLocal:
			if m.depth+1 >= MaxFrames {
				m.pc, m.k = pc, k
				return 0, m.faultSaved(code, fmt.Errorf("%w of %d", ErrCallDepth, MaxFrames))
			}
			if pc > k {
				return 0, m.fault(code, pc, k, ErrBudget)
			}
			m.frames[m.depth] = frame{ret: int32(pc), saved: [4]uint64{r[6], r[7], r[8], r[9]}}
			m.pc, m.k = int(in.tgt), k+int(in.tgt)-pc
			r[10] = m.setDepth(m.depth + 1)
			pc, k = m.pc, m.k
		case opExit:
			if m.depth == 0 {
				m.setSteps(pc, k)
				return r[0], nil
			}
			f := &m.frames[m.depth-1]
			r[6], r[7], r[8], r[9] = f.saved[0], f.saved[1], f.saved[2], f.saved[3]
			m.pc, m.k = int(f.ret), k+int(f.ret)-pc
			r[10] = m.setDepth(m.depth - 1)
			pc, k = m.pc, m.k
		case opFellOff:
			name := code.funcs[in.tgt]
			m.pc, m.k = pc, k
			return 0, m.faultSaved(code, fmt.Errorf("%w %s", ErrFellOff, name))
		default:
			op := in.op
			m.pc, m.k = pc, k
			return 0, m.faultSaved(code, fmt.Errorf("BUG: opcode %d has no case", op))
		}
	}
}
