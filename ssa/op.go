package ssa

import "fmt"

// Type is the type of an SSA value.
type Type uint8

const (
	TypeInvalid Type = iota
	// TypeI64 is a 64-bit integer: an eBPF register, an address.
	TypeI64
	// TypeI32 is a 32-bit integer, the operand and result of a 32-bit ALU
	// operation. It becomes a register value only through ZeroExt32to64,
	// which is where eBPF's implicit zero extension is made explicit.
	TypeI32
	// TypeBool is the result of a comparison; only block controls and
	// comparisons' folding consume it.
	TypeBool
	// TypeMem is the state of memory. Every operation that reads memory
	// takes the current state as its last argument; every operation that
	// writes memory produces the next one, so memory operations stay in
	// program order without a side channel.
	TypeMem
	// TypeTuple is the pair (I64, Mem) produced by calls and fetching
	// atomics; SelectVal and SelectMem take it apart.
	TypeTuple
)

var typeNames = [...]string{TypeInvalid: "invalid", TypeI64: "i64", TypeI32: "i32", TypeBool: "bool", TypeMem: "mem", TypeTuple: "tuple"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Op is an SSA operation. Its properties are in the op table; see OpInfo.
type Op uint16

// AuxKind says what a value's Aux and Off fields mean for an op.
type AuxKind uint8

const (
	AuxNone AuxKind = iota
	// AuxInt64 is a 64-bit constant in Aux.
	AuxInt64
	// AuxInt32 is a 32-bit constant in Aux, kept sign-extended.
	AuxInt32
	// AuxBool is a boolean constant, 0 or 1, in Aux.
	AuxBool
	// AuxArg is an argument number in Aux: 0 for r1 ... 4 for r5.
	AuxArg
	// AuxOff is a byte offset in Off, added to the address argument.
	AuxOff
	// AuxMap is an index into ir.Module.Maps in Aux.
	AuxMap
	// AuxMapOff is a map index in Aux and a byte offset into its value in Off.
	AuxMapOff
	// AuxHelper is a helper id in Aux.
	AuxHelper
	// AuxCallee is an index into ir.Program.Funcs in Aux.
	AuxCallee
	// AuxVar is a variable number in Aux (FwdRef only).
	AuxVar
)

// OpInfo describes an op. The checker, the printer, the evaluator and every
// pass read it instead of switching on ops, so a new op is described once.
type OpInfo struct {
	Name string
	// Args are the argument types; Variadic ops (Phi) take any number of
	// arguments of their own type instead.
	Args     []Type
	Variadic bool
	// Type is the result type; TypeInvalid for ops whose result type is the
	// value's own (Phi, Copy, CondSelect, FwdRef).
	Type Type
	Aux  AuxKind
	// Commutative ops may have their first two arguments swapped.
	Commutative bool
	// SideEffects marks ops that must stay even when their result is
	// unused: stores, atomics, calls.
	SideEffects bool
	// ReadsMem and WritesMem say how an op touches memory; an op that reads
	// memory takes the current Mem as its last argument.
	ReadsMem, WritesMem bool
	// Size is the width in bytes of a memory access.
	Size int
}

// The ops. The names are what dumps print.
const (
	OpInvalid Op = iota

	// Values that exist once per function, in the entry block.
	OpInitMem // memory on entry
	OpFP      // r10: the address just past this frame's 512-byte stack
	OpArg     // r1..r5 on entry
	OpUndef   // a register or stack slot that holds no defined value

	OpConst64
	OpConst32
	OpConstBool

	OpPhi  // one argument per predecessor, in Preds order
	OpCopy // the argument itself; passes leave copies for copyelim
	// OpCondSelect is its second argument if the first (a Bool) is true,
	// else its third: a branch that only chose between values (branchelim).
	OpCondSelect
	OpFwdRef // a variable read before its definition is known; only during SSA construction

	OpMapPtr   // the address of map Aux, as lddw with src 1 gives it
	OpMapValue // the address of map Aux's value plus Off (lddw src 2)

	// 64-bit arithmetic. Shifts mask their count to 6 bits.
	OpAdd64
	OpSub64
	OpMul64
	OpAnd64
	OpOr64
	OpXor64
	OpLsh64
	OpRsh64
	OpArsh64
	OpNeg64
	OpRotl64 // rotate left; the count is masked to 6 bits
	// Division and modulo with eBPF's total semantics: x/0 = 0, x%0 = x,
	// and signed INT_MIN/-1 = INT_MIN, INT_MIN%-1 = 0. A backend emits
	// the guards these need.
	OpUDiv64
	OpUMod64
	OpSDiv64
	OpSMod64
	// The same without guards: only valid when the divisor is known to be
	// non-zero and, signed, the pair not INT_MIN/-1. The divguard pass
	// creates them from verifier facts or constants; backends emit a bare
	// machine division.
	OpUDiv64Raw
	OpUMod64Raw
	OpSDiv64Raw
	OpSMod64Raw

	// 32-bit arithmetic on I32. Shifts mask their count to 5 bits.
	OpAdd32
	OpSub32
	OpMul32
	OpAnd32
	OpOr32
	OpXor32
	OpLsh32
	OpRsh32
	OpArsh32
	OpNeg32
	OpRotl32 // rotate left; the count is masked to 5 bits
	OpUDiv32
	OpUMod32
	OpSDiv32
	OpSMod32
	OpUDiv32Raw
	OpUMod32Raw
	OpSDiv32Raw
	OpSMod32Raw

	// Width changes.
	OpZeroExt32to64 // I32 -> I64, upper half zero
	OpTrunc64to32   // I64 -> I32, the lower half
	OpSignExt8to64  // the low 8 bits of an I64, sign-extended
	OpSignExt16to64
	OpSignExt32to64
	OpSignExt8to32 // the low 8 bits of an I32, sign-extended to 32 bits
	OpSignExt16to32
	// Byte swaps of the low 16, 32 or 64 bits, upper bits zero: eBPF's be*
	// and bswap* on a little-endian machine.
	OpBswap16
	OpBswap32
	OpBswap64

	// Comparisons, producing Bool. Test is eBPF's jset: x&y != 0.
	OpEq64
	OpNe64
	OpUgt64
	OpUge64
	OpUlt64
	OpUle64
	OpSgt64
	OpSge64
	OpSlt64
	OpSle64
	OpTest64
	OpEq32
	OpNe32
	OpUgt32
	OpUge32
	OpUlt32
	OpUle32
	OpSgt32
	OpSge32
	OpSlt32
	OpSle32
	OpTest32

	// Loads: address, mem -> I64, the access at address+Off. Narrow loads
	// zero-extend; LoadSX sign-extends.
	OpLoad8
	OpLoad16
	OpLoad32
	OpLoad64
	OpLoadSX8
	OpLoadSX16
	OpLoadSX32
	// Stores: address, value, mem -> mem; the low Size bytes of value.
	OpStore8
	OpStore16
	OpStore32
	OpStore64

	// Atomics: address, value, mem at address+Off. The plain forms give
	// mem; the fetch forms and Xchg give (old value, mem), a 32-bit old
	// value zero-extended. CmpXchg takes address, expected (r0), new, mem
	// and gives (old value, mem).
	OpAtomicAdd32
	OpAtomicAnd32
	OpAtomicOr32
	OpAtomicXor32
	OpAtomicFetchAdd32
	OpAtomicFetchAnd32
	OpAtomicFetchOr32
	OpAtomicFetchXor32
	OpAtomicXchg32
	OpAtomicCmpXchg32
	OpAtomicAdd64
	OpAtomicAnd64
	OpAtomicOr64
	OpAtomicXor64
	OpAtomicFetchAdd64
	OpAtomicFetchAnd64
	OpAtomicFetchOr64
	OpAtomicFetchXor64
	OpAtomicXchg64
	OpAtomicCmpXchg64

	// Calls: r1..r5, mem -> (r0, mem).
	OpCallHelper // helper Aux
	OpCallTail   // the platform's tail-call helper, id Aux; see BlockTailRet
	OpCallLocal  // function Aux of the same program, on a fresh stack frame
	// OpCallX is callx: the helper whose id is the sixth argument, a
	// register's value (uBPF semantics: the register holds an id, not an
	// address); r1..r5, id, mem -> (r0, mem). An id no helper has stops
	// the program with an error.
	OpCallX

	OpSelectVal // the I64 of a tuple
	OpSelectMem // the Mem of a tuple

	opCount
)

const (
	i64   = TypeI64
	i32   = TypeI32
	tBool = TypeBool
	mem   = TypeMem
	tuple = TypeTuple
)

func args(ts ...Type) []Type { return ts }

var opTable = [opCount]OpInfo{
	OpInvalid: {Name: "Invalid"},

	OpInitMem: {Name: "InitMem", Type: mem},
	OpFP:      {Name: "FP", Type: i64},
	OpArg:     {Name: "Arg", Type: i64, Aux: AuxArg},
	OpUndef:   {Name: "Undef", Type: i64},

	OpConst64:   {Name: "Const64", Type: i64, Aux: AuxInt64},
	OpConst32:   {Name: "Const32", Type: i32, Aux: AuxInt32},
	OpConstBool: {Name: "ConstBool", Type: tBool, Aux: AuxBool},

	OpPhi:        {Name: "Phi", Variadic: true},
	OpCopy:       {Name: "Copy", Args: args(TypeInvalid)},
	OpCondSelect: {Name: "CondSelect", Args: args(tBool, TypeInvalid, TypeInvalid)},
	OpFwdRef:     {Name: "FwdRef", Aux: AuxVar},

	OpMapPtr:   {Name: "MapPtr", Type: i64, Aux: AuxMap},
	OpMapValue: {Name: "MapValue", Type: i64, Aux: AuxMapOff},

	OpAdd64:     {Name: "Add64", Args: args(i64, i64), Type: i64, Commutative: true},
	OpSub64:     {Name: "Sub64", Args: args(i64, i64), Type: i64},
	OpMul64:     {Name: "Mul64", Args: args(i64, i64), Type: i64, Commutative: true},
	OpAnd64:     {Name: "And64", Args: args(i64, i64), Type: i64, Commutative: true},
	OpOr64:      {Name: "Or64", Args: args(i64, i64), Type: i64, Commutative: true},
	OpXor64:     {Name: "Xor64", Args: args(i64, i64), Type: i64, Commutative: true},
	OpLsh64:     {Name: "Lsh64", Args: args(i64, i64), Type: i64},
	OpRsh64:     {Name: "Rsh64", Args: args(i64, i64), Type: i64},
	OpArsh64:    {Name: "Arsh64", Args: args(i64, i64), Type: i64},
	OpNeg64:     {Name: "Neg64", Args: args(i64), Type: i64},
	OpRotl64:    {Name: "Rotl64", Args: args(i64, i64), Type: i64},
	OpUDiv64:    {Name: "UDiv64", Args: args(i64, i64), Type: i64},
	OpUMod64:    {Name: "UMod64", Args: args(i64, i64), Type: i64},
	OpSDiv64:    {Name: "SDiv64", Args: args(i64, i64), Type: i64},
	OpSMod64:    {Name: "SMod64", Args: args(i64, i64), Type: i64},
	OpUDiv64Raw: {Name: "UDiv64Raw", Args: args(i64, i64), Type: i64},
	OpUMod64Raw: {Name: "UMod64Raw", Args: args(i64, i64), Type: i64},
	OpSDiv64Raw: {Name: "SDiv64Raw", Args: args(i64, i64), Type: i64},
	OpSMod64Raw: {Name: "SMod64Raw", Args: args(i64, i64), Type: i64},

	OpAdd32:     {Name: "Add32", Args: args(i32, i32), Type: i32, Commutative: true},
	OpSub32:     {Name: "Sub32", Args: args(i32, i32), Type: i32},
	OpMul32:     {Name: "Mul32", Args: args(i32, i32), Type: i32, Commutative: true},
	OpAnd32:     {Name: "And32", Args: args(i32, i32), Type: i32, Commutative: true},
	OpOr32:      {Name: "Or32", Args: args(i32, i32), Type: i32, Commutative: true},
	OpXor32:     {Name: "Xor32", Args: args(i32, i32), Type: i32, Commutative: true},
	OpLsh32:     {Name: "Lsh32", Args: args(i32, i32), Type: i32},
	OpRsh32:     {Name: "Rsh32", Args: args(i32, i32), Type: i32},
	OpArsh32:    {Name: "Arsh32", Args: args(i32, i32), Type: i32},
	OpNeg32:     {Name: "Neg32", Args: args(i32), Type: i32},
	OpRotl32:    {Name: "Rotl32", Args: args(i32, i32), Type: i32},
	OpUDiv32:    {Name: "UDiv32", Args: args(i32, i32), Type: i32},
	OpUMod32:    {Name: "UMod32", Args: args(i32, i32), Type: i32},
	OpSDiv32:    {Name: "SDiv32", Args: args(i32, i32), Type: i32},
	OpSMod32:    {Name: "SMod32", Args: args(i32, i32), Type: i32},
	OpUDiv32Raw: {Name: "UDiv32Raw", Args: args(i32, i32), Type: i32},
	OpUMod32Raw: {Name: "UMod32Raw", Args: args(i32, i32), Type: i32},
	OpSDiv32Raw: {Name: "SDiv32Raw", Args: args(i32, i32), Type: i32},
	OpSMod32Raw: {Name: "SMod32Raw", Args: args(i32, i32), Type: i32},

	OpZeroExt32to64: {Name: "ZeroExt32to64", Args: args(i32), Type: i64},
	OpTrunc64to32:   {Name: "Trunc64to32", Args: args(i64), Type: i32},
	OpSignExt8to64:  {Name: "SignExt8to64", Args: args(i64), Type: i64},
	OpSignExt16to64: {Name: "SignExt16to64", Args: args(i64), Type: i64},
	OpSignExt32to64: {Name: "SignExt32to64", Args: args(i64), Type: i64},
	OpSignExt8to32:  {Name: "SignExt8to32", Args: args(i32), Type: i32},
	OpSignExt16to32: {Name: "SignExt16to32", Args: args(i32), Type: i32},
	OpBswap16:       {Name: "Bswap16", Args: args(i64), Type: i64},
	OpBswap32:       {Name: "Bswap32", Args: args(i64), Type: i64},
	OpBswap64:       {Name: "Bswap64", Args: args(i64), Type: i64},

	OpEq64:   {Name: "Eq64", Args: args(i64, i64), Type: tBool, Commutative: true},
	OpNe64:   {Name: "Ne64", Args: args(i64, i64), Type: tBool, Commutative: true},
	OpUgt64:  {Name: "Ugt64", Args: args(i64, i64), Type: tBool},
	OpUge64:  {Name: "Uge64", Args: args(i64, i64), Type: tBool},
	OpUlt64:  {Name: "Ult64", Args: args(i64, i64), Type: tBool},
	OpUle64:  {Name: "Ule64", Args: args(i64, i64), Type: tBool},
	OpSgt64:  {Name: "Sgt64", Args: args(i64, i64), Type: tBool},
	OpSge64:  {Name: "Sge64", Args: args(i64, i64), Type: tBool},
	OpSlt64:  {Name: "Slt64", Args: args(i64, i64), Type: tBool},
	OpSle64:  {Name: "Sle64", Args: args(i64, i64), Type: tBool},
	OpTest64: {Name: "Test64", Args: args(i64, i64), Type: tBool, Commutative: true},
	OpEq32:   {Name: "Eq32", Args: args(i32, i32), Type: tBool, Commutative: true},
	OpNe32:   {Name: "Ne32", Args: args(i32, i32), Type: tBool, Commutative: true},
	OpUgt32:  {Name: "Ugt32", Args: args(i32, i32), Type: tBool},
	OpUge32:  {Name: "Uge32", Args: args(i32, i32), Type: tBool},
	OpUlt32:  {Name: "Ult32", Args: args(i32, i32), Type: tBool},
	OpUle32:  {Name: "Ule32", Args: args(i32, i32), Type: tBool},
	OpSgt32:  {Name: "Sgt32", Args: args(i32, i32), Type: tBool},
	OpSge32:  {Name: "Sge32", Args: args(i32, i32), Type: tBool},
	OpSlt32:  {Name: "Slt32", Args: args(i32, i32), Type: tBool},
	OpSle32:  {Name: "Sle32", Args: args(i32, i32), Type: tBool},
	OpTest32: {Name: "Test32", Args: args(i32, i32), Type: tBool, Commutative: true},

	OpLoad8:    {Name: "Load8", Args: args(i64, mem), Type: i64, Aux: AuxOff, ReadsMem: true, Size: 1},
	OpLoad16:   {Name: "Load16", Args: args(i64, mem), Type: i64, Aux: AuxOff, ReadsMem: true, Size: 2},
	OpLoad32:   {Name: "Load32", Args: args(i64, mem), Type: i64, Aux: AuxOff, ReadsMem: true, Size: 4},
	OpLoad64:   {Name: "Load64", Args: args(i64, mem), Type: i64, Aux: AuxOff, ReadsMem: true, Size: 8},
	OpLoadSX8:  {Name: "LoadSX8", Args: args(i64, mem), Type: i64, Aux: AuxOff, ReadsMem: true, Size: 1},
	OpLoadSX16: {Name: "LoadSX16", Args: args(i64, mem), Type: i64, Aux: AuxOff, ReadsMem: true, Size: 2},
	OpLoadSX32: {Name: "LoadSX32", Args: args(i64, mem), Type: i64, Aux: AuxOff, ReadsMem: true, Size: 4},
	OpStore8:   {Name: "Store8", Args: args(i64, i64, mem), Type: mem, Aux: AuxOff, SideEffects: true, ReadsMem: true, WritesMem: true, Size: 1},
	OpStore16:  {Name: "Store16", Args: args(i64, i64, mem), Type: mem, Aux: AuxOff, SideEffects: true, ReadsMem: true, WritesMem: true, Size: 2},
	OpStore32:  {Name: "Store32", Args: args(i64, i64, mem), Type: mem, Aux: AuxOff, SideEffects: true, ReadsMem: true, WritesMem: true, Size: 4},
	OpStore64:  {Name: "Store64", Args: args(i64, i64, mem), Type: mem, Aux: AuxOff, SideEffects: true, ReadsMem: true, WritesMem: true, Size: 8},

	OpCallHelper: {Name: "CallHelper", Args: args(i64, i64, i64, i64, i64, mem), Type: tuple, Aux: AuxHelper, SideEffects: true, ReadsMem: true, WritesMem: true},
	OpCallTail:   {Name: "CallTail", Args: args(i64, i64, i64, i64, i64, mem), Type: tuple, Aux: AuxHelper, SideEffects: true, ReadsMem: true, WritesMem: true},
	OpCallLocal:  {Name: "CallLocal", Args: args(i64, i64, i64, i64, i64, mem), Type: tuple, Aux: AuxCallee, SideEffects: true, ReadsMem: true, WritesMem: true},
	OpCallX:      {Name: "CallX", Args: args(i64, i64, i64, i64, i64, i64, mem), Type: tuple, SideEffects: true, ReadsMem: true, WritesMem: true},

	OpSelectVal: {Name: "SelectVal", Args: args(tuple), Type: i64},
	OpSelectMem: {Name: "SelectMem", Args: args(tuple), Type: mem},
}

// atomicOps lists the atomic ops with their eBPF meaning, so the table,
// the lifter and the evaluator agree on one list.
var atomicOps = []struct {
	op    Op
	name  string
	kind  AtomicKind
	size  int
	fetch bool
}{
	{OpAtomicAdd32, "AtomicAdd32", AtomicAdd, 4, false},
	{OpAtomicAnd32, "AtomicAnd32", AtomicAnd, 4, false},
	{OpAtomicOr32, "AtomicOr32", AtomicOr, 4, false},
	{OpAtomicXor32, "AtomicXor32", AtomicXor, 4, false},
	{OpAtomicFetchAdd32, "AtomicFetchAdd32", AtomicAdd, 4, true},
	{OpAtomicFetchAnd32, "AtomicFetchAnd32", AtomicAnd, 4, true},
	{OpAtomicFetchOr32, "AtomicFetchOr32", AtomicOr, 4, true},
	{OpAtomicFetchXor32, "AtomicFetchXor32", AtomicXor, 4, true},
	{OpAtomicXchg32, "AtomicXchg32", AtomicXchg, 4, true},
	{OpAtomicCmpXchg32, "AtomicCmpXchg32", AtomicCmpXchg, 4, true},
	{OpAtomicAdd64, "AtomicAdd64", AtomicAdd, 8, false},
	{OpAtomicAnd64, "AtomicAnd64", AtomicAnd, 8, false},
	{OpAtomicOr64, "AtomicOr64", AtomicOr, 8, false},
	{OpAtomicXor64, "AtomicXor64", AtomicXor, 8, false},
	{OpAtomicFetchAdd64, "AtomicFetchAdd64", AtomicAdd, 8, true},
	{OpAtomicFetchAnd64, "AtomicFetchAnd64", AtomicAnd, 8, true},
	{OpAtomicFetchOr64, "AtomicFetchOr64", AtomicOr, 8, true},
	{OpAtomicFetchXor64, "AtomicFetchXor64", AtomicXor, 8, true},
	{OpAtomicXchg64, "AtomicXchg64", AtomicXchg, 8, true},
	{OpAtomicCmpXchg64, "AtomicCmpXchg64", AtomicCmpXchg, 8, true},
}

// AtomicKind is the read-modify-write an atomic op performs.
type AtomicKind uint8

const (
	AtomicNone AtomicKind = iota
	AtomicAdd
	AtomicAnd
	AtomicOr
	AtomicXor
	AtomicXchg
	AtomicCmpXchg
)

var atomicKinds [opCount]AtomicKind

func init() {
	for _, a := range atomicOps {
		info := OpInfo{Name: a.name, Aux: AuxOff, SideEffects: true, ReadsMem: true, WritesMem: true, Size: a.size}
		switch {
		case a.kind == AtomicCmpXchg:
			info.Args, info.Type = args(i64, i64, i64, mem), tuple
		case a.fetch:
			info.Args, info.Type = args(i64, i64, mem), tuple
		default:
			info.Args, info.Type = args(i64, i64, mem), mem
		}
		opTable[a.op] = info
		atomicKinds[a.op] = a.kind
	}
	for op := Op(1); op < opCount; op++ {
		if opTable[op].Name == "" {
			panic(fmt.Sprintf("BUG: op %d has no entry in the op table", op))
		}
	}
}

// Info returns the op's entry in the op table.
func (op Op) Info() *OpInfo { return &opTable[op] }

func (op Op) String() string {
	if op < opCount {
		return opTable[op].Name
	}
	return fmt.Sprintf("Op(%d)", uint16(op))
}

// Atomic returns the read-modify-write an atomic op performs, or AtomicNone.
func (op Op) Atomic() AtomicKind { return atomicKinds[op] }

// IsLoad reports whether op is a plain load.
func (op Op) IsLoad() bool { return op >= OpLoad8 && op <= OpLoadSX32 }

// IsStore reports whether op is a plain store.
func (op Op) IsStore() bool { return op >= OpStore8 && op <= OpStore64 }

// IsCall reports whether op calls a helper or a function.
func (op Op) IsCall() bool {
	return op == OpCallHelper || op == OpCallTail || op == OpCallLocal || op == OpCallX
}

// IsCompare reports whether op is a comparison producing Bool.
func (op Op) IsCompare() bool { return op >= OpEq64 && op <= OpTest32 }

// loadOp returns the load of size bytes, sign-extending or not.
func loadOp(size int, signed bool) Op {
	switch {
	case size == 1 && !signed:
		return OpLoad8
	case size == 2 && !signed:
		return OpLoad16
	case size == 4 && !signed:
		return OpLoad32
	case size == 8 && !signed:
		return OpLoad64
	case size == 1:
		return OpLoadSX8
	case size == 2:
		return OpLoadSX16
	case size == 4:
		return OpLoadSX32
	}
	panic(fmt.Sprintf("BUG: no load of %d bytes (signed %v)", size, signed))
}

// storeOp returns the store of size bytes.
func storeOp(size int) Op {
	switch size {
	case 1:
		return OpStore8
	case 2:
		return OpStore16
	case 4:
		return OpStore32
	case 8:
		return OpStore64
	}
	panic(fmt.Sprintf("BUG: no store of %d bytes", size))
}

// isSignedLoad reports whether op is a sign-extending load.
func isSignedLoad(op Op) bool { return op >= OpLoadSX8 && op <= OpLoadSX32 }
