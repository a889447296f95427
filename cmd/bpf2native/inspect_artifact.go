package main

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/bpf2native/bpf2native/ir"
	elflink "github.com/bpf2native/bpf2native/linker/elf"
	"github.com/bpf2native/bpf2native/linker/pe"
	"github.com/bpf2native/bpf2native/metadata"
	"github.com/bpf2native/bpf2native/platform"
	"github.com/bpf2native/bpf2native/sign"
)

// inspectArtifact describes a file bpf2native produced — a driver or a
// native ELF object — and reports whether it was one. eBPF objects are
// left to the caller. win names a driver's program types and checks its
// program-info hashes.
func inspectArtifact(w io.Writer, path string, data []byte, win *platform.Platform) (bool, error) {
	switch {
	case bytes.HasPrefix(data, []byte("MZ")):
		return true, inspectDriver(w, path, data, win)
	case bytes.HasPrefix(data, []byte(elf.ELFMAG)):
		f, err := elf.NewFile(bytes.NewReader(data))
		if err != nil || f.Machine == elf.EM_BPF || f.Machine == elf.EM_NONE {
			return false, nil
		}
		meta, err := elflink.ReadMetadata(data)
		if err != nil {
			return true, fmt.Errorf("%s: %w", path, err)
		}
		fmt.Fprintf(w, "native object %s (%s)\n", path, f.Machine)
		printMetadata(w, meta)
		printSigner(w, data)
		return true, nil
	}
	return false, nil
}

func inspectDriver(w io.Writer, path string, data []byte, win *platform.Platform) error {
	d, err := pe.Describe(data)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(w, "driver %s\n", path)
	if v := d.Version; v != nil {
		fmt.Fprintf(w, "bpf2c version %d.%d.%d\n", v[0], v[1], v[2])
	} else {
		fmt.Fprintf(w, "bpf2c version unknown\n")
	}
	if d.ELFHash != nil {
		fmt.Fprintf(w, "source hash %s\n", hex.EncodeToString(d.ELFHash))
	} else {
		fmt.Fprintf(w, "source hash none\n")
	}
	fmt.Fprintf(w, "programs %d\n", len(d.Programs))
	for _, p := range d.Programs {
		typ := win.ProgramTypeByGUID(platform.GUID(p.ProgramType))
		typeName := "unknown"
		if typ != nil {
			typeName = typ.Name
		}
		fmt.Fprintf(w, "  %s section=%s code=%s (%d bytes) program-type=%s %s attach-type=%s\n",
			p.Name, p.Section, p.PESection, p.CodeSize, typeName, guidString(p.ProgramType), guidString(p.AttachType))
		var helpers []string
		var ids []int32
		for _, h := range p.Helpers {
			helpers = append(helpers, fmt.Sprintf("%s(%d)", h.Name, h.ID))
			ids = append(ids, int32(h.ID))
		}
		if len(helpers) > 0 {
			fmt.Fprintf(w, "    helpers %s\n", strings.Join(helpers, " "))
		}
		if p.InfoHash == nil {
			fmt.Fprintf(w, "    program-info hash none (the runtime refuses the program)\n")
			continue
		}
		check := "not checked: no " + win.Name + " program type has its GUID"
		if typ != nil {
			want, err := win.ProgramInfoHash(typ, ids)
			switch {
			case err != nil:
				check = "not checked: " + err.Error()
			case bytes.Equal(want, p.InfoHash):
				check = "matches the " + win.Name + " platform's"
			default:
				check = "the " + win.Name + " platform's is " + hex.EncodeToString(want)
			}
		}
		fmt.Fprintf(w, "    program-info hash %s %s (%s)\n", p.InfoHashType, hex.EncodeToString(p.InfoHash), check)
	}
	fmt.Fprintf(w, "maps %d\n", len(d.Maps))
	for _, m := range d.Maps {
		kind, known := win.MapKinds[m.Type]
		kindName, inner := "unknown", ""
		if known {
			kindName = kind.String()
		}
		if known && (kind == ir.MapHashOfMaps || kind == ir.MapArrayOfMaps) && int(m.InnerIndex) < len(d.Maps) {
			inner = " inner=" + d.Maps[m.InnerIndex].Name
		}
		fmt.Fprintf(w, "  %s type=%d (%s) key=%d value=%d max=%d pinning=%d%s\n", m.Name, m.Type, kindName, m.KeySize, m.ValueSize, m.MaxEntries, m.Pinning, inner)
	}
	fmt.Fprintf(w, "globals %d\n", len(d.Globals))
	for _, g := range d.Globals {
		fmt.Fprintf(w, "  %s size=%d\n", g.Name, g.Size)
	}
	printSigner(w, data)
	return nil
}

func printMetadata(w io.Writer, m *metadata.Metadata) {
	fmt.Fprintf(w, "platform %s, %s code, %s calling convention\nsource sha256 %s\n",
		m.Platform, m.Arch, m.ABI, hex.EncodeToString(m.SourceSHA256[:]))
	fmt.Fprintf(w, "programs %d\n", len(m.Programs))
	for _, p := range m.Programs {
		var helpers []string
		for _, id := range p.Helpers {
			helpers = append(helpers, fmt.Sprint(id))
		}
		fmt.Fprintf(w, "  %s section=%s type=%s entry=%s helpers=[%s]\n", p.Name, p.Section, p.Type, p.Entry, strings.Join(helpers, " "))
	}
	fmt.Fprintf(w, "maps %d\n", len(m.Maps))
	for _, mp := range m.Maps {
		fmt.Fprintf(w, "  %s kind=%s type=%d key=%d value=%d max=%d\n", mp.Name, mp.Kind, mp.Type, mp.KeySize, mp.ValueSize, mp.MaxEntries)
	}
	fmt.Fprintf(w, "globals %d\n", len(m.Globals))
	for _, g := range m.Globals {
		fmt.Fprintf(w, "  %s size=%d readonly=%v\n", g.Name, g.Size, g.ReadOnly)
	}
	fmt.Fprintf(w, "helper table %d\n", len(m.Helpers))
	for i, h := range m.Helpers {
		fmt.Fprintf(w, "  %d: %d %s\n", i, h.ID, h.Name)
	}
}

// printSigner says who signed data, without judging trust
// (verify-signature does that).
func printSigner(w io.Writer, data []byte) {
	res, err := sign.Verify(data, sign.VerifyOptions{})
	if err != nil {
		fmt.Fprintf(w, "signature none valid (%v)\n", err)
		return
	}
	fmt.Fprintf(w, "signature %s, signer %q, issuer %q\n", res.Format, res.Signer.Subject.CommonName, res.Signer.Issuer.CommonName)
}

// guidString formats a GUID as Windows does: the first three fields are
// little-endian numbers, the last eight bytes are printed as stored.
func guidString(g pe.GUID) string {
	return fmt.Sprintf("{%08x-%04x-%04x-%x-%x}",
		binary.LittleEndian.Uint32(g[0:4]), binary.LittleEndian.Uint16(g[4:6]), binary.LittleEndian.Uint16(g[6:8]), g[8:10], g[10:16])
}
