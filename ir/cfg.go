package ir

import (
	"sort"

	"github.com/cilium/ebpf/asm"
)

// Block is a basic block of one function: instructions [Start, End) of
// Program.Insns, entered only at Start and left only after End-1.
type Block struct {
	Start, End int
	// Succs are indices into the function's block list: for a conditional
	// jump the fall-through first, then the target. A block ending in exit
	// has none; a block that runs off the end of its function has none and
	// FallsOff set, which the verifier reports.
	Succs    []int
	FallsOff bool
}

// Blocks splits function f of p into basic blocks, in instruction order.
// Local calls do not end a block: control returns after them.
func (p *Program) Blocks(f int) []Block {
	fn := p.Funcs[f]
	leaders := map[int]bool{fn.Start: true}
	for i := fn.Start; i < fn.End; i++ {
		ins := &p.Insns[i]
		if isJump(&ins.Instruction) {
			leaders[ins.Target] = true
			if i+1 < fn.End {
				leaders[i+1] = true
			}
		} else if ins.OpCode.JumpOp() == asm.Exit && i+1 < fn.End {
			leaders[i+1] = true
		}
	}
	starts := make([]int, 0, len(leaders))
	for s := range leaders {
		starts = append(starts, s)
	}
	sort.Ints(starts)
	blockAt := make(map[int]int, len(starts))
	blocks := make([]Block, len(starts))
	for k, s := range starts {
		end := fn.End
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		blocks[k] = Block{Start: s, End: end}
		blockAt[s] = k
	}
	for k := range blocks {
		b := &blocks[k]
		last := &p.Insns[b.End-1]
		fallThrough := func() {
			if b.End < fn.End {
				b.Succs = append(b.Succs, blockAt[b.End])
			} else {
				b.FallsOff = true
			}
		}
		switch {
		case last.OpCode.JumpOp() == asm.Exit:
		case isJump(&last.Instruction):
			if last.OpCode.JumpOp() != asm.Ja {
				fallThrough()
			}
			b.Succs = append(b.Succs, blockAt[last.Target])
		default:
			fallThrough()
		}
	}
	return blocks
}
