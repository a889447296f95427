package ssa

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"
)

// Region is memory a program may access besides its stack: a context, a
// packet, map values. Programs see the real address of Data.
type Region struct {
	Name     string
	Data     []byte
	ReadOnly bool
}

// Addr returns the address of the region's first byte.
func (r *Region) Addr() uint64 {
	if len(r.Data) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(unsafe.SliceData(r.Data))))
}

// Memory is what a running function can address: the stack frames Eval
// allocates and the caller's regions. Every access is checked.
type Memory struct {
	regions []*Region
}

// ErrAccess is wrapped by errors about loads and stores outside every
// region.
var ErrAccess = errors.New("invalid memory access")

// Bytes returns the n bytes at addr, which must lie in one region (and a
// writable one if write is set). The slice aliases the region.
func (m *Memory) Bytes(addr, n uint64, write bool) ([]byte, error) {
	for _, r := range m.regions {
		base := r.Addr()
		if base == 0 || addr-base >= uint64(len(r.Data)) {
			continue
		}
		off := addr - base
		if n > uint64(len(r.Data))-off {
			return nil, fmt.Errorf("%w: %d bytes at %#x cross the end of %s", ErrAccess, n, addr, r.Name)
		}
		if write && r.ReadOnly {
			return nil, fmt.Errorf("%w: write of %d bytes at %#x to read-only %s", ErrAccess, n, addr, r.Name)
		}
		return r.Data[off : off+n : off+n], nil
	}
	return nil, fmt.Errorf("%w: %d bytes at %#x are in no region", ErrAccess, n, addr)
}

// AddRegion makes r addressable for the rest of the run, so that a helper
// can hand out pointers to memory of its own (a map value).
func (m *Memory) AddRegion(r *Region) { m.regions = append(m.regions, r) }

func (m *Memory) remove(r *Region) {
	for i, q := range m.regions {
		if q == r {
			m.regions = append(m.regions[:i], m.regions[i+1:]...)
			return
		}
	}
}

// HelperFunc runs helper id on r1..r5 and returns r0. A tail-call helper
// returns 0 when the tail call succeeds.
type HelperFunc func(id int32, args [5]uint64, m *Memory) (uint64, error)

// Env is what Eval runs a function against.
type Env struct {
	// Funcs are the program's functions, indexed as CallLocal's Aux.
	Funcs []*Func
	// Args are r1..r5 on entry.
	Args    [5]uint64
	Regions []*Region
	Helper  HelperFunc
	// MapPtr and MapValue give the addresses MapPtr and MapValue ops stand
	// for (MapValue's Off is added by Eval).
	MapPtr, MapValue func(m int) (uint64, error)
	// MaxSteps bounds the values executed; 0 means DefaultMaxSteps.
	MaxSteps int
}

// DefaultMaxSteps is the step budget of Eval unless Env says otherwise.
const DefaultMaxSteps = 1 << 26

// MaxFrames is how deeply CallLocal may nest, the entry included.
const MaxFrames = 8

// Result is how a run ended.
type Result struct {
	R0 uint64
	// TailCall is set when the run ended in a TailRet: the runtime is to run
	// the program the tail call selected.
	TailCall bool
	Steps    int
}

// ErrSteps is returned when a run exhausts its step budget.
var ErrSteps = errors.New("step budget exhausted")

// Eval runs f. It executes the SSA directly: phis on block entry, values
// in order, memory through Memory; Undef reads as 0.
func Eval(f *Func, env *Env) (Result, error) {
	e := &evaluator{env: env, max: env.MaxSteps}
	if e.max == 0 {
		e.max = DefaultMaxSteps
	}
	for _, r := range env.Regions {
		e.mem.regions = append(e.mem.regions, r)
	}
	r0, err := e.run(f, env.Args, 1)
	if err != nil {
		return Result{Steps: e.steps}, fmt.Errorf("%s: %w", f.Name, err)
	}
	return Result{R0: r0, TailCall: e.tailCall, Steps: e.steps}, nil
}

type evaluator struct {
	env        *Env
	mem        Memory
	steps, max int
	tailCall   bool
}

func (e *evaluator) run(f *Func, args [5]uint64, depth int) (uint64, error) {
	if depth > MaxFrames {
		return 0, fmt.Errorf("call depth exceeds %d frames", MaxFrames)
	}
	stack := &Region{Name: fmt.Sprintf("stack of %s", f.Name), Data: make([]byte, StackSize)}
	e.mem.regions = append(e.mem.regions, stack)
	defer e.mem.remove(stack)
	fp := stack.Addr() + StackSize

	vals := make([]uint64, f.NumValues())
	var phis []uint64
	b, from := f.Entry(), -1
	for {
		// Phis read their arguments before any of them is assigned.
		phis = phis[:0]
		for _, v := range b.Values {
			if v.Op == OpPhi {
				if from < 0 {
					return 0, fmt.Errorf("BUG: phi v%d in a block entered without a predecessor", v.ID)
				}
				phis = append(phis, vals[v.Args[from].ID])
			}
		}
		k := 0
		for _, v := range b.Values {
			if v.Op == OpPhi {
				vals[v.ID] = phis[k]
				k++
				continue
			}
			e.steps++
			if e.steps > e.max {
				return 0, ErrSteps
			}
			r, err := e.value(v, vals, args, fp, depth)
			if err != nil {
				return 0, fmt.Errorf("v%d = %s: %w", v.ID, v.Op, err)
			}
			vals[v.ID] = r
		}
		var next *Block
		var slot int
		switch b.Kind {
		case BlockPlain:
			next = b.Succs[0]
		case BlockIf:
			if vals[b.Controls[0].ID] != 0 {
				next = b.Succs[0]
			} else {
				next, slot = b.Succs[1], 1
			}
		case BlockRet:
			return vals[b.Controls[0].ID], nil
		case BlockTailRet:
			e.tailCall = true
			return 0, nil
		default:
			return 0, fmt.Errorf("BUG: b%d has kind %s", b.ID, b.Kind)
		}
		from = next.predIndex(b, b.succSlot(slot))
		b = next
	}
}

func (e *evaluator) value(v *Value, vals []uint64, args [5]uint64, fp uint64, depth int) (uint64, error) {
	arg := func(i int) uint64 { return vals[v.Args[i].ID] }
	info := v.Op.Info()
	switch {
	case isPureComputation(v.Op):
		var y uint64
		if len(v.Args) > 1 {
			y = arg(1)
		}
		r, ok := evalPure(v.Op, arg(0), y)
		if !ok {
			return 0, fmt.Errorf("undefined on %#x, %#x: a division guard was dropped wrongly", arg(0), y)
		}
		return r, nil
	case v.Op.IsLoad():
		b, err := e.mem.Bytes(arg(0)+uint64(v.Off), uint64(info.Size), false)
		if err != nil {
			return 0, err
		}
		x := readLE(b)
		if isSignedLoad(v.Op) {
			shift := 64 - 8*uint(info.Size)
			x = uint64(int64(x<<shift) >> shift)
		}
		return x, nil
	case v.Op.IsStore():
		b, err := e.mem.Bytes(arg(0)+uint64(v.Off), uint64(info.Size), true)
		if err != nil {
			return 0, err
		}
		writeLE(b, arg(1))
		return 0, nil
	case v.Op.Atomic() != AtomicNone:
		return e.atomic(v, arg)
	}
	switch v.Op {
	case OpInitMem, OpSelectMem, OpUndef:
		return 0, nil
	case OpFP:
		return fp, nil
	case OpArg:
		return args[v.Aux], nil
	case OpConst64, OpConst32, OpConstBool:
		c, _ := v.isConst()
		return c, nil
	case OpCopy, OpSelectVal:
		return arg(0), nil
	case OpCondSelect:
		if arg(0) != 0 {
			return arg(1), nil
		}
		return arg(2), nil
	case OpMapPtr, OpMapValue:
		get := e.env.MapPtr
		if v.Op == OpMapValue {
			get = e.env.MapValue
		}
		if get == nil {
			return 0, fmt.Errorf("no map addresses given")
		}
		a, err := get(int(v.Aux))
		return a + uint64(v.Off), err
	case OpCallHelper, OpCallTail:
		if e.env.Helper == nil {
			return 0, fmt.Errorf("no helpers given")
		}
		return e.env.Helper(int32(v.Aux), [5]uint64{arg(0), arg(1), arg(2), arg(3), arg(4)}, &e.mem)
	case OpCallX:
		if e.env.Helper == nil {
			return 0, fmt.Errorf("no helpers given")
		}
		id := arg(5)
		if id > math.MaxInt32 {
			return 0, fmt.Errorf("callx: %#x is not a helper id", id)
		}
		return e.env.Helper(int32(id), [5]uint64{arg(0), arg(1), arg(2), arg(3), arg(4)}, &e.mem)
	case OpCallLocal:
		if v.Aux < 0 || int(v.Aux) >= len(e.env.Funcs) {
			return 0, fmt.Errorf("no function %d", v.Aux)
		}
		callee := e.env.Funcs[v.Aux]
		r, err := e.run(callee, [5]uint64{arg(0), arg(1), arg(2), arg(3), arg(4)}, depth+1)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", callee.Name, err)
		}
		return r, nil
	}
	return 0, fmt.Errorf("BUG: cannot evaluate %s", v.Op)
}

func (e *evaluator) atomic(v *Value, arg func(int) uint64) (uint64, error) {
	size := v.Op.Info().Size
	b, err := e.mem.Bytes(arg(0)+uint64(v.Off), uint64(size), true)
	if err != nil {
		return 0, err
	}
	old := readLE(b)
	operand := arg(1)
	var next uint64
	switch v.Op.Atomic() {
	case AtomicAdd:
		next = old + operand
	case AtomicAnd:
		next = old & operand
	case AtomicOr:
		next = old | operand
	case AtomicXor:
		next = old ^ operand
	case AtomicXchg:
		next = operand
	case AtomicCmpXchg:
		expected, replacement := arg(1), arg(2)
		next = old
		if size == 4 && uint32(expected) == uint32(old) || size == 8 && expected == old {
			next = replacement
		}
	}
	writeLE(b, next)
	return old, nil
}

func readLE(b []byte) uint64 {
	switch len(b) {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	}
	return binary.LittleEndian.Uint64(b)
}

func writeLE(b []byte, x uint64) {
	switch len(b) {
	case 1:
		b[0] = byte(x)
	case 2:
		binary.LittleEndian.PutUint16(b, uint16(x))
	case 4:
		binary.LittleEndian.PutUint32(b, uint32(x))
	default:
		binary.LittleEndian.PutUint64(b, x)
	}
}
