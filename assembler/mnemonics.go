package assembler

import "strconv"

// Opcode building blocks from RFC 9669, section 3 and 4.
const (
	classLD    = 0x00
	classLDX   = 0x01
	classST    = 0x02
	classSTX   = 0x03
	classALU   = 0x04
	classJMP   = 0x05
	classJMP32 = 0x06
	classALU64 = 0x07

	srcReg = 0x08 // the "X" source bit of ALU and JMP opcodes

	sizeW  = 0x00
	sizeH  = 0x08
	sizeB  = 0x10
	sizeDW = 0x18

	modeIMM    = 0x00
	modeMEM    = 0x60
	modeMEMSX  = 0x80
	modeATOMIC = 0xc0

	opNeg   = 0x80
	opMov   = 0xb0
	opEnd   = 0xd0
	opJA    = 0x00
	opCall  = 0x80
	opExit  = 0x90
	endToLE = 0x00
	endToBE = 0x08
)

// form is the operand shape of a mnemonic; it selects the parser for the operands.
type form uint8

const (
	formALU      form = iota // op %dst, %src|imm
	formMovSX                // op %dst, %src
	formUnary                // op %dst
	formLddw                 // lddw %dst, imm64
	formLoad                 // op %dst, [%src+off]
	formStoreImm             // op [%dst+off], imm
	formStoreReg             // op [%dst+off], %src
	formJump                 // ja target
	formJump32               // ja32 target
	formCondJump             // op %dst, %src|imm, target
	formCall                 // call N | call %rN | call helper|local|runtime X
	formExit                 // exit
)

// operandCount is how many operands each form takes.
var operandCount = [...]int{
	formALU:      2,
	formMovSX:    2,
	formUnary:    1,
	formLddw:     2,
	formLoad:     2,
	formStoreImm: 2,
	formStoreReg: 2,
	formJump:     1,
	formJump32:   1,
	formCondJump: 3,
	formExit:     0,
	// formCall takes one or two operands; see assembly.call.
}

// mnemonic is everything an instruction's name fixes in its encoding.
type mnemonic struct {
	form   form
	opcode uint8 // without the register-source bit
	off    int16 // sdiv/smod: 1; movsx: source width
	imm    int32 // byte order and swap: width
}

// mnemonics maps every name of the dialect except the multi-word "lock" forms.
var mnemonics = func() map[string]mnemonic {
	m := map[string]mnemonic{
		"lddw":  {form: formLddw, opcode: classLD | sizeDW | modeIMM},
		"ldxb":  {form: formLoad, opcode: classLDX | sizeB | modeMEM},
		"ldxh":  {form: formLoad, opcode: classLDX | sizeH | modeMEM},
		"ldxw":  {form: formLoad, opcode: classLDX | sizeW | modeMEM},
		"ldxdw": {form: formLoad, opcode: classLDX | sizeDW | modeMEM},
		"ldxsb": {form: formLoad, opcode: classLDX | sizeB | modeMEMSX},
		"ldxsh": {form: formLoad, opcode: classLDX | sizeH | modeMEMSX},
		"ldxsw": {form: formLoad, opcode: classLDX | sizeW | modeMEMSX},
		"stb":   {form: formStoreImm, opcode: classST | sizeB | modeMEM},
		"sth":   {form: formStoreImm, opcode: classST | sizeH | modeMEM},
		"stw":   {form: formStoreImm, opcode: classST | sizeW | modeMEM},
		"stdw":  {form: formStoreImm, opcode: classST | sizeDW | modeMEM},
		"stxb":  {form: formStoreReg, opcode: classSTX | sizeB | modeMEM},
		"stxh":  {form: formStoreReg, opcode: classSTX | sizeH | modeMEM},
		"stxw":  {form: formStoreReg, opcode: classSTX | sizeW | modeMEM},
		"stxdw": {form: formStoreReg, opcode: classSTX | sizeDW | modeMEM},
		"ja":    {form: formJump, opcode: classJMP | opJA},
		"ja32":  {form: formJump32, opcode: classJMP32 | opJA},
		"call":  {form: formCall, opcode: classJMP | opCall},
		"exit":  {form: formExit, opcode: classJMP | opExit},

		"movsx864":  {form: formMovSX, opcode: classALU64 | opMov | srcReg, off: 8},
		"movsx1664": {form: formMovSX, opcode: classALU64 | opMov | srcReg, off: 16},
		"movsx3264": {form: formMovSX, opcode: classALU64 | opMov | srcReg, off: 32},
		"movsx832":  {form: formMovSX, opcode: classALU | opMov | srcReg, off: 8},
		"movsx1632": {form: formMovSX, opcode: classALU | opMov | srcReg, off: 16},
	}
	alu := []struct {
		name string
		op   uint8
		off  int16
	}{
		{"add", 0x00, 0}, {"sub", 0x10, 0}, {"mul", 0x20, 0}, {"div", 0x30, 0},
		{"sdiv", 0x30, 1}, {"or", 0x40, 0}, {"and", 0x50, 0}, {"lsh", 0x60, 0},
		{"rsh", 0x70, 0}, {"mod", 0x90, 0}, {"smod", 0x90, 1}, {"xor", 0xa0, 0},
		{"mov", opMov, 0}, {"arsh", 0xc0, 0},
	}
	for _, a := range alu {
		m[a.name] = mnemonic{form: formALU, opcode: classALU64 | a.op, off: a.off}
		m[a.name+"32"] = mnemonic{form: formALU, opcode: classALU | a.op, off: a.off}
	}
	m["neg"] = mnemonic{form: formUnary, opcode: classALU64 | opNeg}
	m["neg32"] = mnemonic{form: formUnary, opcode: classALU | opNeg}
	jumps := []struct {
		name string
		op   uint8
	}{
		{"jeq", 0x10}, {"jgt", 0x20}, {"jge", 0x30}, {"jset", 0x40}, {"jne", 0x50},
		{"jsgt", 0x60}, {"jsge", 0x70}, {"jlt", 0xa0}, {"jle", 0xb0}, {"jslt", 0xc0},
		{"jsle", 0xd0},
	}
	for _, j := range jumps {
		m[j.name] = mnemonic{form: formCondJump, opcode: classJMP | j.op}
		m[j.name+"32"] = mnemonic{form: formCondJump, opcode: classJMP32 | j.op}
	}
	for _, width := range []int32{16, 32, 64} {
		w := strconv.Itoa(int(width))
		m["be"+w] = mnemonic{form: formUnary, opcode: classALU | opEnd | endToBE, imm: width}
		m["le"+w] = mnemonic{form: formUnary, opcode: classALU | opEnd | endToLE, imm: width}
		// Unconditional byte swap is the ALU64 form of the byte-order opcode.
		swap := mnemonic{form: formUnary, opcode: classALU64 | opEnd, imm: width}
		m["bswap"+w] = swap
		m["swap"+w] = swap
	}
	return m
}()

// atomicOps maps the operation word of "lock [fetch] OP" to its imm value (RFC 9669,
// section 5.3). xchg and cmpxchg include the fetch bit by definition.
var atomicOps = map[string]int32{
	"add":     0x00,
	"or":      0x40,
	"and":     0x50,
	"xor":     0xa0,
	"xchg":    0xe1,
	"cmpxchg": 0xf1,
}

const atomicFetch = 0x01
