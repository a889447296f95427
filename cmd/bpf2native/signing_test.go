package main

import (
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/sign"
)

// TestCompileSignedDriver builds the sample as a signed driver with the
// built-in test certificate, checks it with verify-signature and with
// osslsigncode, and checks that a flipped byte fails both.
func TestCompileSignedDriver(t *testing.T) {
	dir := t.TempDir()
	sys := filepath.Join(dir, "xdp_parse.sys")
	status, _, stderr := invoke("compile", "--format", "pe", "--sign", "-o", sys, "../../testdata/xdp_parse.o")
	if status != 0 {
		t.Fatalf("status %d: %s", status, stderr)
	}
	if !strings.Contains(stderr, "TEST certificate") {
		t.Errorf("no warning about the test certificate: %q", stderr)
	}
	status, out, stderr := invoke("verify-signature", "--test-ca", sys)
	if status != 0 || !strings.Contains(out, "valid pe signature") {
		t.Fatalf("verify-signature: status %d, %q %q", status, out, stderr)
	}
	s, err := sign.TestSigner()
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	writePEMCert(t, ca, s.Root().Raw)
	if out, err := exec.Command("osslsigncode", "verify", "-CAfile", ca, "-in", sys).CombinedOutput(); err != nil {
		t.Fatalf("osslsigncode rejects the driver: %v\n%s", err, out)
	}
	data, _ := os.ReadFile(sys)
	data[len(data)/3] ^= 0x01
	bad := filepath.Join(dir, "bad.sys")
	os.WriteFile(bad, data, 0o644)
	if status, _, _ := invoke("verify-signature", "--test-ca", bad); status != exitFailure {
		t.Errorf("verify-signature accepted a flipped byte (status %d)", status)
	}
	if err := exec.Command("osslsigncode", "verify", "-CAfile", ca, "-in", bad).Run(); err == nil {
		t.Error("osslsigncode accepted a flipped byte")
	}
}

func TestSignUsage(t *testing.T) {
	for _, args := range [][]string{
		{"compile", "--format", "pe", "--platform", "linux", "-o", "x.sys", "../../testdata/crc32.o"},
		{"compile", "--format", "pe", "--sign", "--no-verify", "-o", "x.sys", "../../testdata/crc32.o"},
		{"compile", "--format", "pe", "--key", "k.pem", "-o", "x.sys", "../../testdata/crc32.o"},
		{"sign", "--key", "k.pem", "x.sys"},
	} {
		if status, _, stderr := invoke(args...); status != exitUsage {
			t.Errorf("%v: status %d (%s)", args, status, stderr)
		}
	}
}

func writePEMCert(t *testing.T, path string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}
