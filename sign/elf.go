package sign

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sassoftware/relic/v7/lib/pkcs7"
	"github.com/sassoftware/relic/v7/lib/x509tools"
)

// ELFSignatureMagic ends a signed ELF object, as it ends a signed Linux
// kernel module.
const ELFSignatureMagic = "~Module signature appended~\n"

// The module_signature structure before the magic: algo, hash, id_type,
// signer_len, key_id_len, three bytes of padding, big-endian sig_len.
const (
	moduleSignatureSize = 12
	pkeyIDPKCS7         = 2
)

// SignELF appends a detached PKCS#7 SignedData over data (SHA-256, no
// signed attributes, issuer and serial number: what Linux's sign-file
// writes) in the Linux module-signature layout: content, signature,
// module_signature, magic. A signed object is re-signed over its content.
func (s *Signer) SignELF(data []byte) ([]byte, error) {
	content := data
	if c, _, ok := splitELF(data); ok {
		content = c
	}
	digest := sha256.Sum256(content)
	b := pkcs7.NewBuilder(s.cert.Signer(), s.cert.Chain(), crypto.SHA256)
	if err := b.SetDetachedContent(pkcs7.OidData, digest[:]); err != nil {
		return nil, fmt.Errorf("sign: ELF: %w", err)
	}
	psd, err := b.Sign()
	if err != nil {
		return nil, fmt.Errorf("sign: ELF: %w", err)
	}
	der, err := psd.Marshal()
	if err != nil {
		return nil, fmt.Errorf("sign: ELF: %w", err)
	}
	out := append([]byte(nil), content...)
	out = append(out, der...)
	var ms [moduleSignatureSize]byte
	ms[2] = pkeyIDPKCS7
	binary.BigEndian.PutUint32(ms[8:], uint32(len(der)))
	out = append(out, ms[:]...)
	return append(out, ELFSignatureMagic...), nil
}

// splitELF separates a signed object into content and signature; ok is
// false when data does not end in a well-formed signature trailer.
func splitELF(data []byte) (content, der []byte, ok bool) {
	n := len(data) - len(ELFSignatureMagic) - moduleSignatureSize
	if n < 0 || !bytes.HasSuffix(data, []byte(ELFSignatureMagic)) {
		return nil, nil, false
	}
	ms := data[n : n+moduleSignatureSize]
	if ms[0] != 0 || ms[1] != 0 || ms[2] != pkeyIDPKCS7 || ms[3] != 0 || ms[4] != 0 || ms[5] != 0 || ms[6] != 0 || ms[7] != 0 {
		return nil, nil, false
	}
	size := int(binary.BigEndian.Uint32(ms[8:]))
	if size <= 0 || size > n {
		return nil, nil, false
	}
	return data[:n-size], data[n-size : n], true
}

// VerifyELF checks an ELF object's appended signature and returns the
// signer and the signed content.
func VerifyELF(data []byte, opts VerifyOptions) (*Result, error) {
	content, der, ok := splitELF(data)
	if !ok {
		return nil, fmt.Errorf("sign: ELF: %w: no signature trailer", ErrBadSignature)
	}
	if !bytes.HasPrefix(content, []byte("\x7fELF")) {
		return nil, fmt.Errorf("sign: ELF: %w: signed content is not an ELF object", ErrBadSignature)
	}
	if n, ok := derLength(der); !ok || n != len(der) {
		return nil, fmt.Errorf("sign: ELF: %w: signature length does not match its trailer", ErrBadSignature)
	}
	psd, err := pkcs7.Unmarshal(der)
	if err != nil {
		return nil, fmt.Errorf("sign: ELF: %w: %v", ErrBadSignature, err)
	}
	if !psd.ContentType.Equal(pkcs7.OidSignedData) || !psd.Content.ContentInfo.ContentType.Equal(pkcs7.OidData) {
		return nil, fmt.Errorf("sign: ELF: %w: not a detached PKCS#7 signature over data", ErrBadSignature)
	}
	sig, err := psd.Content.Verify(content, false)
	if err != nil {
		return nil, fmt.Errorf("sign: ELF: %w: %v", ErrBadSignature, err)
	}
	if err := strict(psd, der, sig.Certificate); err != nil {
		return nil, fmt.Errorf("sign: ELF: %w: %v", ErrBadSignature, err)
	}
	if opts.Roots != nil {
		if err := sig.VerifyChain(opts.Roots, nil, x509.ExtKeyUsageCodeSigning, sig.Certificate.NotBefore); err != nil {
			return nil, fmt.Errorf("sign: ELF: %w: %v", ErrBadSignature, err)
		}
	}
	return &Result{Signer: sig.Certificate, Format: "elf", Content: content}, nil
}

// strict rejects what PKCS#7 leaves unsigned and verifiers commonly
// ignore, so that no byte of a signature can change unnoticed: the
// algorithm identifiers must be exactly SHA-256 and the signer key's
// algorithm, the versions 1, and the whole structure must re-encode to
// the same bytes.
func strict(psd *pkcs7.ContentInfoSignedData, der []byte, cert *x509.Certificate) error {
	digestAlg, sigAlg, err := x509tools.PkixAlgorithms(cert.PublicKey, crypto.SHA256)
	if err != nil {
		return err
	}
	same := func(a, b pkix.AlgorithmIdentifier) bool {
		x, err1 := asn1.Marshal(a)
		y, err2 := asn1.Marshal(b)
		return err1 == nil && err2 == nil && bytes.Equal(x, y)
	}
	sd := &psd.Content
	if sd.Version != 1 || len(sd.DigestAlgorithmIdentifiers) != 1 || !same(sd.DigestAlgorithmIdentifiers[0], digestAlg) ||
		len(sd.SignerInfos) != 1 || len(sd.CRLs) != 0 {
		return errors.New("unexpected SignedData fields")
	}
	si := &sd.SignerInfos[0]
	if si.Version != 1 || !same(si.DigestAlgorithm, digestAlg) || !same(si.DigestEncryptionAlgorithm, sigAlg) ||
		len(si.AuthenticatedAttributes) != 0 || len(si.UnauthenticatedAttributes) != 0 {
		return errors.New("unexpected SignerInfo fields")
	}
	again, err := asn1.Marshal(*psd)
	if err != nil || !bytes.Equal(again, der) {
		return errors.New("signature is not in canonical DER")
	}
	return nil
}
