package conformance

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The upstream runner starts a plugin once per test as
//
//	PLUGIN [MEM] [PLUGIN_OPTIONS...] [--elf]
//
// with the program on stdin, and reads r0 in hex from stdout, or an error message from
// stderr and a non-zero exit status. See ../shared/conformance/README.md.

// ParsePluginArgs splits a plugin's arguments (os.Args[1:]) into the test's memory, the
// runner's plugin options and whether the program arrives as an ELF file. The memory
// argument is told from options by not starting with "--". Empty options, which the
// runner produces from doubled spaces in its option string, are dropped.
func ParsePluginArgs(args []string) (memory []byte, options []string, elf bool, err error) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "--") {
		if memory, err = decodeHex(args[0]); err != nil {
			return nil, nil, false, fmt.Errorf("memory argument: %w", err)
		}
		args = args[1:]
	}
	for _, a := range args {
		switch a {
		case "--elf":
			elf = true
		case "":
		default:
			options = append(options, a)
		}
	}
	return memory, options, elf, nil
}

// ReadPluginProgram reads the program a plugin gets on stdin: hex bytes separated by
// whitespace. With elf set the bytes are an ELF object, and the program is its .text
// section, or failing that its first executable section (the runner uses "xdp" with its
// XDP prolog).
func ReadPluginProgram(r io.Reader, elf bool) ([]byte, error) {
	text, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading program: %w", err)
	}
	code, err := decodeHex(string(text))
	if err != nil {
		return nil, fmt.Errorf("program: %w", err)
	}
	if elf {
		if code, err = elfProgram(code); err != nil {
			return nil, fmt.Errorf("program: %w", err)
		}
	}
	switch {
	case len(code) == 0:
		return nil, errors.New("program: empty")
	case len(code)%8 != 0:
		return nil, fmt.Errorf("program: %d bytes is not a whole number of 8-byte instructions", len(code))
	}
	return code, nil
}

func elfProgram(image []byte) ([]byte, error) {
	f, err := elf.NewFile(bytes.NewReader(image))
	if err != nil {
		return nil, fmt.Errorf("reading ELF: %w", err)
	}
	if f.Machine != elf.EM_BPF {
		return nil, fmt.Errorf("ELF machine is %v, want EM_BPF", f.Machine)
	}
	if f.ByteOrder != binary.LittleEndian {
		return nil, errors.New("ELF is big-endian, want little-endian instructions")
	}
	var text *elf.Section
	for _, s := range f.Sections {
		if s.Type != elf.SHT_PROGBITS || s.Flags&elf.SHF_EXECINSTR == 0 || s.Size == 0 {
			continue
		}
		if s.Name == ".text" {
			text = s
			break
		}
		if text == nil {
			text = s
		}
	}
	if text == nil {
		return nil, errors.New("ELF has no executable section")
	}
	code, err := text.Data()
	if err != nil {
		return nil, fmt.Errorf("reading ELF section %s: %w", text.Name, err)
	}
	return code, nil
}

// decodeHex reads the runner's hex format, "xx  xx  ...": byte values in hex separated
// by whitespace.
func decodeHex(s string) ([]byte, error) {
	var out []byte
	for _, tok := range strings.Fields(s) {
		b, err := strconv.ParseUint(tok, 16, 8)
		if err != nil {
			return nil, fmt.Errorf("invalid hex byte %q", tok)
		}
		out = append(out, byte(b))
	}
	return out, nil
}

// WritePluginResult writes r0 as the runner reads it: hex digits and a newline.
func WritePluginResult(w io.Writer, r0 uint64) error {
	_, err := fmt.Fprintf(w, "%x\n", r0)
	return err
}

// ServePlugin implements a plugin's main function around engine: it reads the test from
// args (os.Args[1:]) and stdin, runs it, writes r0 to stdout, and returns the exit
// status. A failing engine's message goes to stderr unchanged, since the runner compares
// it with the test's -- error line. Plugin options are rejected: an Engine takes none.
func ServePlugin(engine Engine, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	r0, err := servePlugin(engine, args, stdin)
	if err == nil {
		err = WritePluginResult(stdout, r0)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

func servePlugin(engine Engine, args []string, stdin io.Reader) (uint64, error) {
	memory, options, elf, err := ParsePluginArgs(args)
	if err != nil {
		return 0, err
	}
	if len(options) > 0 {
		return 0, fmt.Errorf("unsupported plugin option %q", options[0])
	}
	program, err := ReadPluginProgram(stdin, elf)
	if err != nil {
		return 0, err
	}
	return call(engine, program, memory)
}
