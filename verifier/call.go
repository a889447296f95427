package verifier

import (
	"fmt"
	"math"

	"github.com/bpf2native/bpf2native/ir"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/cilium/ebpf/asm"
)

// call checks a helper call (or callx of a known helper) against the
// helper's prototype and applies its effects.
func (a *analyzer) call(i int, ins *ir.Instruction, st *State) *State {
	var id int32
	switch {
	case ins.IsHelperCall():
		id = ins.HelperID()
	case ins.OpCode.Source() == asm.RegSource:
		// callx: the register must hold one known helper id.
		v := a.use(i, st, ins.Dst)
		if v.Kind != Scalar || !v.Num.IsConst() || v.Num.UMin > math.MaxInt32 {
			a.report(i, st, "callx target r%d is %s, not a single known helper id", ins.Dst, v)
			return nil
		}
		id = int32(v.Num.UMin)
	default:
		a.report(i, st, "unsupported call %v", ins.Instruction)
		return nil
	}
	h := a.plat.Helpers[id]
	if h == nil {
		a.report(i, st, "invalid helper function id %d: platform %s has no such helper", id, a.plat.Name)
		return nil
	}
	if !h.HasPrototype() {
		a.report(i, st, "helper %s (%d) has no prototype, so calls to it cannot be checked", h.Name, id)
		return nil
	}
	regs := &st.top().Regs
	mapArg := -1
	var ret Value
	for k, kind := range h.Args {
		r := asm.Register(k + 1)
		v := regs[r]
		if v.Kind == Uninit {
			a.report(i, st, "argument %d (r%d) of %s is uninitialized", k+1, r, h.Name)
			continue
		}
		bad := func(want string) {
			a.report(i, st, "argument %d (r%d) of %s must be %s, not %s", k+1, r, h.Name, want, v)
		}
		switch kind {
		case platform.ArgAnything:
		case platform.ArgScalar:
			if v.Kind != Scalar {
				bad("a number")
			}
		case platform.ArgCtx:
			if v.Kind != Ctx || !v.Num.IsConst() || v.Num.UMin != 0 {
				bad("the context pointer")
			}
		case platform.ArgMap, platform.ArgProgArray:
			if v.Kind != MapPtr {
				bad("a map")
				break
			}
			mapArg = v.Map
			m := a.mod.Maps[v.Map]
			if (kind == platform.ArgProgArray) != (m.Kind == ir.MapProgArray) && m.Kind != ir.MapUnknown {
				if kind == platform.ArgProgArray {
					bad("a program array")
				} else {
					bad("a map of data (not a program array)")
				}
			}
		case platform.ArgMapKey, platform.ArgMapValue, platform.ArgUninitMapValue:
			if mapArg < 0 {
				break // the map argument was already reported
			}
			m := a.mod.Maps[mapArg]
			size := int64(m.KeySize)
			if kind != platform.ArgMapKey {
				size = int64(m.ValueSize)
			}
			a.memArg(i, st, h, k, v, NumConst(uint64(size)), kind == platform.ArgUninitMapValue, false)
		case platform.ArgMem, platform.ArgMemOrNull, platform.ArgUninitMem:
			size := regs[r+1]
			if size.Kind != Scalar {
				continue // reported with the size argument
			}
			sz := size.Num
			if kind == platform.ArgMemOrNull && v.Kind == Scalar && v.Num.IsConst() && v.Num.UMin == 0 {
				if sz.UMin > 0 {
					a.report(i, st, "argument %d (r%d) of %s is null but its size may be %s", k+1, r, h.Name, sz)
				}
				continue
			}
			a.memArg(i, st, h, k, v, sz, kind == platform.ArgUninitMem, h.Args[k+1] == platform.ArgSizeOrZero)
		case platform.ArgSize, platform.ArgSizeOrZero:
			if v.Kind != Scalar {
				bad("a number (a size)")
				break
			}
			if kind == platform.ArgSize && v.Num.Contains(0) && v.Num.UMax == 0 {
				a.report(i, st, "argument %d (r%d) of %s is a size that must not be 0", k+1, r, h.Name)
			}
			if v.Num.SMin < 0 {
				a.report(i, st, "argument %d (r%d) of %s is a size that may be negative (%s)", k+1, r, h.Name, v.Num)
			}
		case platform.ArgConstSize:
			if v.Kind != Scalar || !v.Num.IsConst() || v.Num.UMin == 0 || v.Num.UMin > math.MaxInt32 {
				bad("a positive constant size")
			}
		}
	}
	switch h.Ret {
	case platform.RetScalar:
		ret = scalar(NumTop)
	case platform.RetMapValueOrNull:
		ret = Value{Kind: Shared, Null: true, Map: -1, Range: noRange}
		if mapArg >= 0 {
			ret.Map, ret.Size = mapArg, int64(a.mod.Maps[mapArg].ValueSize)
			ret.ReadOnly = a.mod.Maps[mapArg].ReadOnly
		}
		ret.ID = st.freshID(i)
	case platform.RetMemOrNull:
		ret = Value{Kind: Shared, Null: true, Map: -1, Range: noRange}
		if v := regs[h.RetSizeArg+1]; v.Kind == Scalar && v.Num.IsConst() {
			ret.Size = int64(v.Num.UMin)
		}
		ret.ID = st.freshID(i)
	case platform.RetOpaqueOrNull:
		// Not dereferenceable: a Shared region of size 0.
		ret = Value{Kind: Shared, Null: true, Map: -1, Range: noRange}
		ret.ID = st.freshID(i)
	}
	if h.ChangesPacket {
		// The packet may have moved: every pointer into it is stale.
		st.forEachValue(func(v *Value) {
			if v.Kind == Packet || v.Kind == PacketEnd || v.Kind == PacketMeta {
				*v = unknown()
			}
			if v.Kind == Scalar {
				// The packet's length may have changed too.
				v.Bounded, v.Slack = false, 0
				if v.ID == pktLenID {
					v.ID, v.Delta = 0, 0
				}
			}
		})
		st.PacketMin, st.MetaMin, st.PktRel = 0, 0, nil
	}
	regs = &st.top().Regs
	regs[0] = ret
	for r := 1; r <= 5; r++ {
		regs[r] = uninit()
	}
	return st
}

// memArg checks that argument k, pointer v, reaches size bytes of memory
// the helper may read (initialised) or, if write, write; a written stack
// range becomes initialised. sizeMayBeZero allows size 0.
func (a *analyzer) memArg(i int, st *State, h *platform.Helper, k int, v Value, size Num, write, sizeMayBeZero bool) {
	r := asm.Register(k + 1)
	if size.UMax > 1<<30 {
		a.report(i, st, "argument %d (r%d) of %s: size %s is unbounded", k+2, r+1, h.Name, size)
		return
	}
	if size.UMax == 0 {
		return
	}
	what := "read"
	if write {
		what = "write"
	}
	desc := fmt.Sprintf("argument %d (r%d) of %s", k+1, r, h.Name)
	lo, hi := v.Num.SMin, satAdd(v.Num.SMax, int64(size.UMax))
	switch v.Kind {
	case Stack:
		if v.Frame >= len(st.Frames) {
			a.report(i, st, "%s points into a finished frame", desc)
			return
		}
		if lo < 0 || hi > StackSize {
			a.report(i, st, "%s: helper %s of up to %d bytes at stack+%s is outside the frame's [0,%d)", desc, what, size.UMax, offsetRange(v.Num.SMin, v.Num.SMax), StackSize)
			return
		}
		f := st.Frames[v.Frame]
		if a.collecting {
			a.stackUse[f.Fn] = max(a.stackUse[f.Fn], StackSize-int(lo))
		}
		if write {
			if v.Num.IsConst() {
				// The helper writes at least the minimum size.
				f.Stack.initRange(int(lo), int(lo)+int(size.UMin))
				f.Stack.dropCells(int(lo), int(hi))
			} else {
				f.Stack.dropCells(int(lo), int(hi))
			}
			return
		}
		for b := int(lo); b < int(hi); b++ {
			if f.Stack.Tags[b] == byteUninit {
				a.report(i, st, "%s: helper reads up to %d bytes at stack+%s but stack+%d may be uninitialized", desc, size.UMax, offsetRange(v.Num.SMin, v.Num.SMax), b)
				return
			}
		}
	case Packet, PacketMeta, Shared:
		// One access of the largest size covers every byte the helper
		// may touch.
		a.access(i, st, r, v, 0, int(size.UMax), false, Value{})
		if write && v.Kind == Shared && v.ReadOnly {
			a.report(i, st, "%s: helper writes into read-only memory", desc)
		}
	default:
		a.report(i, st, "%s must point to memory, not %s", desc, v)
	}
}
