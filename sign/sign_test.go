package sign_test

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/bpf2native/bpf2native/sign"
)

// TestTestSignerConcurrent creates the test signer from many goroutines at
// once (as make -j would from many processes): all must get the same
// certificate, kept with mode 0600.
func TestTestSignerConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bpf2native")
	var wg sync.WaitGroup
	certs := make([]*x509.Certificate, 8)
	errs := make([]error, 8)
	for i := range certs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := sign.TestSignerIn(dir)
			if err == nil {
				certs[i] = s.Certificate()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range certs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !certs[i].Equal(certs[0]) {
			t.Fatal("concurrent first uses made different certificates")
		}
	}
	fi, err := os.Stat(filepath.Join(dir, sign.TestCertificateFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", fi.Mode())
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("%d files left in %s", len(ents), dir)
	}
	if certs[0].Subject.CommonName != sign.TestCertificateName {
		t.Errorf("named %q", certs[0].Subject.CommonName)
	}
}

// TestELFRoundTrip signs an ELF object, verifies it, and checks that
// flipping any byte is detected.
func TestELFRoundTrip(t *testing.T) {
	s, err := sign.TestSignerIn(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	obj, err := os.ReadFile("../testdata/globals.o")
	if err != nil {
		t.Fatal(err)
	}
	signed, err := s.SignELF(obj)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(s.Root())
	r, err := sign.Verify(signed, sign.VerifyOptions{Roots: roots})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Signer.Equal(s.Certificate()) || string(r.Content) != string(obj) || r.Format != "elf" {
		t.Errorf("verified %+v", r.Signer.Subject)
	}
	// Re-signing replaces the signature.
	again, err := s.SignELF(signed)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := sign.VerifyELF(again, sign.VerifyOptions{}); err != nil || string(r.Content) != string(obj) {
		t.Errorf("re-signed: %v", err)
	}
	for off := 0; off < len(signed); off++ {
		if off >= len(obj) && off < len(obj)+64 || off%17 == 0 || off >= len(signed)-2048 {
			bad := append([]byte(nil), signed...)
			bad[off] ^= 0x80
			if _, err := sign.Verify(bad, sign.VerifyOptions{Roots: roots}); err == nil {
				t.Errorf("flipping byte %d of %d: accepted", off, len(signed))
			}
		}
	}
	if _, err := sign.Verify(obj, sign.VerifyOptions{}); err == nil {
		t.Error("an unsigned object verified")
	}
}

// TestPEMAndPKCS12 loads the test key through LoadPEM.
func TestPEM(t *testing.T) {
	dir := t.TempDir()
	if _, err := sign.TestSignerIn(dir); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, sign.TestCertificateFile)
	s, err := sign.LoadPEM(f, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Chain()) != 1 || s.Root() == nil {
		t.Errorf("chain of %d, root %v", len(s.Chain()), s.Root())
	}
}
