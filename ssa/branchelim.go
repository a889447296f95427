package ssa

// branchelim turns branches that only choose between values into
// conditional selects, which the machines lower to cmov and csel. A
// branch on data, such as "if (p[i] < lo) lo = p[i]" over random bytes,
// is mispredicted about half the time; a select costs a cycle or two
// every time. After simplifycfg the shape is an If block whose two edges
// reach the same block J, with different phi arguments in J (the arms
// were empty and were bypassed), or an If block with an arm that holds a
// few cheap, pure values and jumps to the other successor (a triangle):
// the arm's values are computed unconditionally (speculated) in the If
// block, and each phi of J gets CondSelect(condition, value on the true
// edge, value on the false edge).
func branchelim(f *Func) {
	changed := false
	for _, b := range f.Blocks {
		if b.Kind != BlockIf || b.Controls[0].Type != TypeBool {
			continue
		}
		if b.Succs[0] != b.Succs[1] && !hoistTriangle(b) {
			continue
		}
		if selectPhis(b) {
			changed = true
		}
	}
	if changed {
		simplifyCFG(f)
	}
}

// maxSpeculated bounds the values, constants aside, a triangle's arm may
// hold: past a few, computing them on both paths costs more than a
// mispredicted branch saves.
const maxSpeculated = 2

// hoistTriangle handles b: If -> (arm, j) or (j, arm), arm: Plain -> j,
// where arm's only predecessor is b and its values are cheap and pure. It
// moves arm's values to the end of b and makes arm's edge go straight to
// j, so that b's two edges reach j; it reports whether it did.
func hoistTriangle(b *Block) bool {
	for k := 0; k < 2; k++ {
		arm, j := b.Succs[k], b.Succs[1-k]
		if arm.Kind != BlockPlain || len(arm.Preds) != 1 || arm.Succs[0] != j || arm == j {
			continue
		}
		ok, work := true, 0
		for _, v := range arm.Values {
			if !speculatable(v) {
				ok = false
			}
			if _, c := v.isConst(); !c {
				work++
			}
		}
		if !ok || work > maxSpeculated {
			continue
		}
		for _, v := range arm.Values {
			v.Block = b
		}
		b.Values = append(b.Values, arm.Values...)
		arm.Values = nil
		// b's edge k now enters j where arm did, with arm's phi
		// arguments. The k-th of b's entries in j.Preds must be the edge
		// from b.Succs[k]: swap the phi arguments if arm's entry came
		// out as the other one.
		pa, pb := j.predIndex(arm, 0), j.predIndex(b, 0)
		b.Succs[k] = j
		j.replacePred(arm, b)
		if (k == 0) != (pa < pb) {
			for _, v := range j.Values {
				if v.Op == OpPhi {
					v.Args[pa], v.Args[pb] = v.Args[pb], v.Args[pa]
				}
			}
		}
		arm.Preds, arm.Succs = nil, nil
		return true
	}
	return false
}

// speculatable reports whether v may run on a path that did not compute
// it: no memory, no side effects, no division (total in eBPF, but slow),
// and nothing that lives only in the entry block.
func speculatable(v *Value) bool {
	info := v.Op.Info()
	if info.SideEffects || info.ReadsMem || info.WritesMem || v.Op == OpPhi || isFunctionValue(v.Op) {
		return false
	}
	switch v.Op {
	case OpUDiv64, OpUMod64, OpSDiv64, OpSMod64, OpUDiv32, OpUMod32, OpSDiv32, OpSMod32,
		// The raw forms trap where the guards they lost were proven dead.
		OpUDiv64Raw, OpUMod64Raw, OpSDiv64Raw, OpSMod64Raw,
		OpUDiv32Raw, OpUMod32Raw, OpSDiv32Raw, OpSMod32Raw:
		return false
	}
	return v.Type == TypeI64 || v.Type == TypeI32 || v.Type == TypeBool
}

// selectPhis replaces b's If, whose two edges both reach one block, by a
// Plain jump, with a CondSelect in b for every phi of that block whose
// arguments on the two edges differ.
func selectPhis(b *Block) bool {
	j := b.Succs[0]
	if j != b.Succs[1] {
		return false
	}
	t, e := j.predIndex(b, 0), j.predIndex(b, 1)
	ctl := b.Controls[0]
	for _, v := range j.Values {
		if v.Op != OpPhi || v.Args[t] == v.Args[e] {
			continue
		}
		if v.Type != TypeI64 && v.Type != TypeI32 {
			return false // memory: the arms did not differ only in values
		}
	}
	for _, v := range j.Values {
		if v.Op == OpPhi && v.Args[t] != v.Args[e] {
			v.Args[t] = b.NewValue(OpCondSelect, v.Type, ctl.Insn, ctl, v.Args[t], v.Args[e])
		}
	}
	b.removeSucc(1)
	b.Kind, b.Controls = BlockPlain, nil
	return true
}
