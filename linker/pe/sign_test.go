package pe_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bpf2native/bpf2native/sign"
)

// testSigner is the built-in test signer, kept in a temporary config dir.
func testSigner(t *testing.T) (*sign.Signer, string) {
	t.Helper()
	dir := t.TempDir()
	s, err := sign.TestSignerIn(dir)
	if err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "ca.pem")
	if s.Root() == nil {
		t.Fatal("the test signer has no root")
	}
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Root().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return s, ca
}

func osslsigncode(t *testing.T, file, ca string) error {
	t.Helper()
	out, err := exec.Command("osslsigncode", "verify", "-in", file, "-CAfile", ca).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	if report := osslsigncodeWarning(out); report != "" {
		return fmt.Errorf("osslsigncode reports %q:\n%s", report, out)
	}
	if !strings.Contains(string(out), "Signature verification: ok") {
		return fmt.Errorf("no \"Signature verification: ok\":\n%s", out)
	}
	return nil
}

// osslsigncodeWarning returns what osslsigncode's output reports wrong
// while it exits with status 0: a wrong PE checksum ("Warning: invalid PE
// checksum") or another mismatch.
func osslsigncodeWarning(out []byte) string {
	for _, report := range []string{"MISMATCH", "invalid PE checksum"} {
		if bytes.Contains(out, []byte(report)) {
			return report
		}
	}
	return ""
}

// TestSignDrivers signs every driver with the test certificate and checks
// that osslsigncode and sign.Verify accept it and name the signer.
func TestSignDrivers(t *testing.T) {
	if _, err := exec.LookPath("osslsigncode"); err != nil {
		t.Fatal("osslsigncode is required (scripts/deps.sh installs it)")
	}
	s, ca := testSigner(t)
	roots := x509.NewCertPool()
	roots.AddCert(s.Root())
	dir := t.TempDir()
	for _, d := range testDrivers(t) {
		signed, err := s.Sign(context.Background(), d.sys)
		if err != nil {
			t.Fatalf("%s: %v", d.id, err)
		}
		file := filepath.Join(dir, d.arch+"_"+d.name+".sys")
		if err := os.WriteFile(file, signed, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := osslsigncode(t, file, ca); err != nil {
			t.Errorf("%s: osslsigncode verify: %v", d.id, err)
		}
		r, err := sign.Verify(signed, sign.VerifyOptions{Roots: roots})
		if err != nil {
			t.Errorf("%s: %v", d.id, err)
			continue
		}
		if !r.Signer.Equal(s.Certificate()) {
			t.Errorf("%s: signer %s", d.id, r.Signer.Subject)
		}
		if r.Signer.Subject.CommonName != sign.TestCertificateName {
			t.Errorf("%s: test certificate named %q", d.id, r.Signer.Subject.CommonName)
		}
	}
}

// TestTamperedDriver flips single bytes of a signed driver at many
// offsets (headers, every section, the certificate table) and expects
// both osslsigncode and sign.Verify to reject every result.
func TestTamperedDriver(t *testing.T) {
	s, ca := testSigner(t)
	roots := x509.NewCertPool()
	roots.AddCert(s.Root())
	d := testDrivers(t)[0]
	for _, x := range testDrivers(t) {
		if x.name == "globals.o" && x.arch == "amd64" {
			d = x
		}
	}
	signed, err := s.Sign(context.Background(), d.sys)
	if err != nil {
		t.Fatal(err)
	}
	// Every header byte for our verifier; a spread of offsets over the
	// whole file (every section and the signature) for both.
	var offsets []int
	for off := 0; off < len(signed); off++ {
		if off < 0x400 || off >= len(d.sys) || off%61 == 0 {
			offsets = append(offsets, off)
		}
	}
	dir := t.TempDir()
	ossl, warned := 0, 0
	for i, off := range offsets {
		bad := append([]byte(nil), signed...)
		bad[off] ^= 0x01
		if _, err := sign.Verify(bad, sign.VerifyOptions{Roots: roots}); err == nil {
			t.Errorf("flipping byte %#x: sign.Verify accepted", off)
		}
		// osslsigncode takes a process per check: every header field
		// region, every section sample and the signature, subsampled.
		if i%7 != 0 && off != 0xd8 && off != 0x1b0 {
			continue
		}
		ossl++
		file := filepath.Join(dir, fmt.Sprintf("bad%d.sys", off))
		if err := os.WriteFile(file, bad, 0o644); err != nil {
			t.Fatal(err)
		}
		// The PE checksum covers every byte, so osslsigncode reports
		// every flip, but as a warning with status 0; its verification
		// proper must fail too, but where OpenSSL checks nothing.
		out, err := exec.Command("osslsigncode", "verify", "-in", file, "-CAfile", ca).CombinedOutput()
		switch why := lenient(signed, off); {
		case err == nil && osslsigncodeWarning(out) == "":
			t.Errorf("flipping byte %#x: osslsigncode accepted it without a warning", off)
		case err == nil && why == "":
			t.Errorf("flipping byte %#x: osslsigncode only warned (%s)", off, osslsigncodeWarning(out))
		case err == nil:
			warned++
			t.Logf("flipping byte %#x: osslsigncode warned of the checksum only (%s; sign.Verify rejects it)", off, why)
		}
		os.Remove(file)
	}
	t.Logf("%d flips checked with sign.Verify, %d with osslsigncode (%d of them only warned of the checksum)", len(offsets), ossl, warned)
}

// lenient names the bytes of a signed image whose change osslsigncode 2.9
// reports only through the PE checksum warning, or returns "": the
// checksum itself, the padding after the PKCS#7 blob in the certificate
// table, and the contents of the SignerInfo's algorithm identifiers,
// which no signature covers and which OpenSSL ignores. sign.Verify
// rejects changes to all of them.
func lenient(image []byte, off int) string {
	pe := int(binary.LittleEndian.Uint32(image[0x3c:]))
	if off >= pe+88 && off < pe+92 {
		return "PE checksum"
	}
	dir := pe + 24 + 112 + 4*8
	start := int(binary.LittleEndian.Uint32(image[dir:]))
	der := image[start+8:]
	var ci asn1.RawValue
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return ""
	}
	end := start + 8 + len(der) - len(rest)
	if off >= end {
		return "certificate table padding"
	}
	// ContentInfo { OID, [0] { SignedData SEQUENCE { ..., SignerInfos } } }:
	// find where SignerInfos, the SignedData's last element, begins.
	var oid asn1.RawValue
	inner, _ := asn1.Unmarshal(ci.Bytes, &oid)
	var explicit, sd asn1.RawValue
	asn1.Unmarshal(inner, &explicit)
	asn1.Unmarshal(explicit.Bytes, &sd)
	body := sd.Bytes
	var last []byte
	for len(body) > 0 {
		var el asn1.RawValue
		r, err := asn1.Unmarshal(body, &el)
		if err != nil {
			return ""
		}
		last, body = el.FullBytes, r
	}
	// SignerInfos SET { SignerInfo SEQUENCE { version, issuerAndSerial,
	// digestAlgorithm, [0] attributes, digestEncryptionAlgorithm,
	// encryptedDigest } }: OpenSSL takes the algorithms from the
	// certificate and the attributes, so the two AlgorithmIdentifiers'
	// contents go unchecked.
	derEnd := end
	siSet := derEnd - len(last)
	var set, si asn1.RawValue
	asn1.Unmarshal(last, &set)
	asn1.Unmarshal(set.Bytes, &si)
	pos := siSet + (len(set.FullBytes) - len(set.Bytes)) + (len(si.FullBytes) - len(si.Bytes))
	for b := si.Bytes; len(b) > 0; {
		var el asn1.RawValue
		r, err := asn1.Unmarshal(b, &el)
		if err != nil {
			return ""
		}
		n := len(b) - len(r)
		hdr := len(el.FullBytes) - len(el.Bytes)
		if el.Tag == asn1.TagSequence && el.Class == asn1.ClassUniversal && len(el.Bytes) > 0 && el.Bytes[0] == asn1.TagOID {
			if off >= pos+hdr && off < pos+n {
				return "SignerInfo algorithm identifier contents"
			}
		}
		pos += n
		b = r
	}
	return ""
}
