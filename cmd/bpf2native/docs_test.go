package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/CLI.md from the commands' help")

// TestCLIReference keeps docs/CLI.md equal to what the commands say about
// themselves, so the documented flags are every flag and only real ones.
func TestCLIReference(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("# Command reference\n\nEvery command and flag, as `bpf2native COMMAND --help` prints them. This file is\ngenerated: `go test ./cmd/bpf2native -run TestCLIReference -update-docs` rewrites it, and the\ntest fails when it is stale.\n")
	for _, c := range newApp(nil, nil, nil).Commands {
		if c.SkipFlagParsing {
			// Its arguments belong to the protocol it speaks, --help too.
			fmt.Fprintf(&b, "\n## %s\n\n```\nbpf2native %s %s\n   %s\n```\n", c.Name, c.Name, c.ArgsUsage, c.Usage)
			continue
		}
		status, out, stderr := invoke(c.Name, "--help")
		if status != 0 {
			t.Fatalf("%s --help: status %d: %s", c.Name, status, stderr)
		}
		fmt.Fprintf(&b, "\n## %s\n\n```\n%s```\n", c.Name, out)
	}
	const path = "../../docs/CLI.md"
	if *updateDocs {
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, b.Bytes()) {
		t.Error("docs/CLI.md is stale: run go test ./cmd/bpf2native -run TestCLIReference -update-docs")
	}
}
