package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sassoftware/relic/v7/lib/certloader"
	"github.com/sassoftware/relic/v7/lib/passprompt"
)

// Signer holds a private key and its certificate chain (leaf first).
type Signer struct {
	cert *certloader.Certificate
	// TimestampURL, when set, is an RFC 3161 time-stamping server whose
	// counter-signature is added to Authenticode signatures.
	TimestampURL string
}

// Certificate returns the signing certificate.
func (s *Signer) Certificate() *x509.Certificate { return s.cert.Leaf }

// Chain returns the certificates that go into signatures, leaf first.
func (s *Signer) Chain() []*x509.Certificate { return s.cert.Chain() }

// FromKey makes a Signer from a key and its chain, leaf first.
func FromKey(key crypto.Signer, chain []*x509.Certificate) (*Signer, error) {
	if len(chain) == 0 {
		return nil, errors.New("sign: no certificate")
	}
	if !publicKeyEqual(key.Public(), chain[0].PublicKey) {
		return nil, errors.New("sign: the first certificate is not the key's")
	}
	return &Signer{cert: &certloader.Certificate{Leaf: chain[0], Certificates: chain, PrivateKey: key}}, nil
}

func publicKeyEqual(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	e, ok := a.(equaler)
	return ok && e.Equal(b)
}

// LoadPEM reads a PEM private key (PKCS#1, PKCS#8 or SEC 1, unencrypted)
// and a PEM certificate chain, leaf first. keyFile and certFile may name
// the same file.
func LoadPEM(keyFile, certFile string) (*Signer, error) {
	kb, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	cb, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	s, err := parsePEM(kb, cb)
	if err != nil {
		return nil, fmt.Errorf("sign: %s, %s: %w", keyFile, certFile, err)
	}
	return s, nil
}

func parsePEM(keyPEM, certPEM []byte) (*Signer, error) {
	var key crypto.Signer
	for rest := keyPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if !strings.Contains(b.Type, "PRIVATE KEY") {
			continue
		}
		k, err := certloader.ParseAnyPrivateKey(pem.EncodeToMemory(b), nil)
		if err != nil {
			return nil, err
		}
		s, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("a %T cannot sign", k)
		}
		key = s
		break
	}
	if key == nil {
		return nil, errors.New("no private key")
	}
	var chain []*x509.Certificate
	for rest := certPEM; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		chain = append(chain, c)
	}
	return FromKey(key, chain)
}

// Password says where a password comes from: the environment variable
// named Env, or else the first line of File. Passwords are never taken
// from command-line arguments, which other users can read.
type Password struct {
	Env  string
	File string
}

// Get returns the password.
func (p Password) Get() (string, error) {
	switch {
	case p.Env != "":
		v, ok := os.LookupEnv(p.Env)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", p.Env)
		}
		return v, nil
	case p.File != "":
		b, err := os.ReadFile(p.File)
		if err != nil {
			return "", err
		}
		line, _, _ := strings.Cut(string(b), "\n")
		return strings.TrimRight(line, "\r"), nil
	}
	return "", nil
}

// LoadPKCS12 reads a PKCS#12 (.pfx) file with its key and chain.
func LoadPKCS12(file string, password Password) (*Signer, error) {
	blob, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	pw, err := password.Get()
	if err != nil {
		return nil, fmt.Errorf("sign: %s: password: %w", file, err)
	}
	c, err := certloader.ParsePKCS12(blob, &oncePassword{pw: pw})
	if err != nil {
		return nil, fmt.Errorf("sign: %s: %w", file, err)
	}
	key, ok := c.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("sign: %s: a %T cannot sign", file, c.PrivateKey)
	}
	s, err := FromKey(key, c.Certificates)
	if err != nil {
		return nil, fmt.Errorf("sign: %s: %w", file, err)
	}
	return s, nil
}

// oncePassword answers one prompt with the password and then refuses, so
// a wrong password fails instead of looping.
type oncePassword struct {
	pw   string
	used bool
}

var _ passprompt.PasswordGetter = (*oncePassword)(nil)

func (p *oncePassword) GetPasswd(string) (string, error) {
	if p.used {
		return "", errors.New("wrong password")
	}
	p.used = true
	return p.pw, nil
}

// TestCertificateName is the subject common name of the built-in test
// certificate.
const TestCertificateName = "bpf2native TEST signing certificate - NOT TRUSTED"

// TestRootName is the subject common name of the test root that issues the
// test certificate: the CA to give verifiers (osslsigncode -CAfile).
const TestRootName = "bpf2native TEST root - NOT TRUSTED"

// TestCertificateFile is the name of the file, under the test signer's
// directory, that holds the test key and certificate (PEM, mode 0600).
const TestCertificateFile = "test-signing.pem"

// TestSignerDir returns where TestSigner keeps its certificate:
// os.UserConfigDir()/bpf2native.
func TestSignerDir() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("sign: %w", err)
	}
	return filepath.Join(dir, "bpf2native"), nil
}

// TestSigner returns the built-in test signer, creating its test root and
// code-signing certificate in TestSignerDir on first use.
func TestSigner() (*Signer, error) {
	dir, err := TestSignerDir()
	if err != nil {
		return nil, err
	}
	return TestSignerIn(dir)
}

// TestSignerIn is TestSigner with the certificate kept in dir. Creation is
// race-free: concurrent first uses (make -j) each write a candidate to a
// temporary file and hard-link it into place; the first link wins and
// everyone reads the winner.
func TestSignerIn(dir string) (*Signer, error) {
	path := filepath.Join(dir, TestCertificateFile)
	if b, err := os.ReadFile(path); err == nil {
		s, err := parsePEM(b, b)
		if err != nil {
			return nil, fmt.Errorf("sign: %s: %w", path, err)
		}
		return s, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	pemBytes, err := newTestCertificate()
	if err != nil {
		return nil, fmt.Errorf("sign: test certificate: %w", err)
	}
	tmp, err := os.CreateTemp(dir, TestCertificateFile+".*")
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("sign: %w", err)
	}
	if _, err := tmp.Write(pemBytes); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("sign: %w", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	s, err := parsePEM(b, b)
	if err != nil {
		return nil, fmt.Errorf("sign: %s: %w", path, err)
	}
	return s, nil
}

// newTestCertificate makes the test PKI as one PEM file: a self-signed
// test root (the "CA" verifiers are told to trust) and an RSA-3072
// code-signing certificate it issued, with the latter's key. Signatures
// carry only the leaf, so every byte of it is checked against the root's
// key: a verifier does not re-check the signature of a trust anchor, so a
// self-signed signing certificate would leave its own signature bytes
// unchecked.
func newTestCertificate() ([]byte, error) {
	now := time.Now().UTC().Add(-time.Hour)
	mk := func(cn string, ca bool, parent *x509.Certificate, parentKey crypto.Signer) (*x509.Certificate, *rsa.PrivateKey, error) {
		key, err := rsa.GenerateKey(rand.Reader, 3072)
		if err != nil {
			return nil, nil, err
		}
		serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
		if err != nil {
			return nil, nil, err
		}
		tmpl := &x509.Certificate{
			SerialNumber:          serial,
			Subject:               pkix.Name{CommonName: cn, Organization: []string{"bpf2native test signing"}},
			NotBefore:             now,
			NotAfter:              now.AddDate(10, 0, 0),
			KeyUsage:              x509.KeyUsageDigitalSignature,
			ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
			BasicConstraintsValid: true,
			IsCA:                  ca,
		}
		if ca {
			tmpl.KeyUsage |= x509.KeyUsageCertSign
		}
		if parent == nil {
			parent, parentKey = tmpl, key
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), parentKey)
		if err != nil {
			return nil, nil, err
		}
		c, err := x509.ParseCertificate(der)
		return c, key, err
	}
	root, rootKey, err := mk(TestRootName, true, nil, nil)
	if err != nil {
		return nil, err
	}
	leaf, leafKey, err := mk(TestCertificateName, false, root, rootKey)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	pem.Encode(&out, &pem.Block{Type: "PRIVATE KEY", Bytes: must(x509.MarshalPKCS8PrivateKey(leafKey))})
	pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})
	pem.Encode(&out, &pem.Block{Type: "CERTIFICATE", Bytes: root.Raw})
	return out.Bytes(), nil
}

// Root returns the last certificate of the signer's chain when it is
// self-signed (for the test signer, the test root to trust), else nil.
func (s *Signer) Root() *x509.Certificate {
	c := s.cert.Certificates
	if len(c) == 0 {
		return nil
	}
	last := c[len(c)-1]
	if !bytes.Equal(last.RawIssuer, last.RawSubject) || last.CheckSignatureFrom(last) != nil {
		return nil
	}
	return last
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic("BUG: " + err.Error())
	}
	return b
}

// Sign signs data by its format: PE images with Authenticode, ELF objects
// with an appended PKCS#7 signature.
func (s *Signer) Sign(ctx context.Context, data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte("MZ")):
		return s.SignPE(ctx, data)
	case bytes.HasPrefix(data, []byte("\x7fELF")):
		return s.SignELF(data)
	}
	return nil, errors.New("sign: neither a PE image nor an ELF object")
}
