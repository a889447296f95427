package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/sassoftware/relic/v7/lib/authenticode"
	"github.com/sassoftware/relic/v7/lib/pkcs7"
	"github.com/sassoftware/relic/v7/lib/pkcs9"
)

// ErrBadSignature is wrapped by verification failures: a missing or
// malformed signature, a digest that does not match, a bad checksum.
var ErrBadSignature = errors.New("bad signature")

// SignPE signs a PE image with Authenticode (SHA-256), replacing any
// signature it had, and updates the PE checksum.
func (s *Signer) SignPE(ctx context.Context, image []byte) ([]byte, error) {
	out, err := s.signPE(ctx, image)
	if err != nil {
		return nil, fmt.Errorf("sign: PE: %w", err)
	}
	return out, nil
}

func (s *Signer) signPE(ctx context.Context, image []byte) ([]byte, error) {
	pd, err := authenticode.DigestPE(bytes.NewReader(image), crypto.SHA256, false)
	if err != nil {
		return nil, err
	}
	cert := *s.cert
	if s.TimestampURL != "" {
		cert.Timestamper = rfc3161{url: s.TimestampURL}
	}
	patch, _, err := pd.Sign(ctx, &cert, &authenticode.OpusParams{})
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), image...)
	// Apply the patches back to front so earlier offsets stay valid.
	for i := len(patch.Patches) - 1; i >= 0; i-- {
		p := patch.Patches[i]
		end := p.Offset + int64(p.OldSize)
		if p.Offset < 0 || end > int64(len(out)) {
			return nil, fmt.Errorf("signature patch at %d+%d outside the %d-byte image", p.Offset, p.OldSize, len(out))
		}
		var b []byte
		b = append(b, out[:p.Offset]...)
		b = append(b, patch.Blobs[i]...)
		b = append(b, out[end:]...)
		out = b
	}
	peStart, ok := peHeader(out)
	if !ok {
		return nil, errors.New("no PE header")
	}
	binary.LittleEndian.PutUint32(out[peStart+88:], Checksum(out))
	return out, nil
}

// peHeader returns the offset of the "PE\0\0" signature.
func peHeader(b []byte) (int, bool) {
	if len(b) < 0x40 || b[0] != 'M' || b[1] != 'Z' {
		return 0, false
	}
	pe := int(binary.LittleEndian.Uint32(b[0x3c:]))
	if pe < 0x40 || pe+4+20+96 > len(b) || !bytes.Equal(b[pe:pe+4], []byte("PE\x00\x00")) {
		return 0, false
	}
	return pe, true
}

// Checksum computes the PE image checksum, with the CheckSum field read
// as zero.
func Checksum(image []byte) uint32 {
	pe, _ := peHeader(image)
	h := authenticode.NewPEChecksum(pe)
	h.Write(image)
	return binary.LittleEndian.Uint32(h.Sum(nil))
}

// VerifyOptions configure verification.
type VerifyOptions struct {
	// Roots, when set, are the trusted roots the signer's chain must
	// lead to (code-signing usage). Without them only the digest and the
	// signature are checked.
	Roots *x509.CertPool
}

// Result is a verified signature.
type Result struct {
	// Signer is the certificate whose key made the signature.
	Signer *x509.Certificate
	// Format is "pe" or "elf".
	Format string
	// Content is what was signed: the image without its certificate
	// table (PE) or the object without its signature (ELF).
	Content []byte
	// Timestamped reports a valid RFC 3161 counter-signature.
	Timestamped bool
}

// Verify verifies a signed PE image or ELF object.
func Verify(data []byte, opts VerifyOptions) (*Result, error) {
	switch {
	case bytes.HasPrefix(data, []byte("MZ")):
		return VerifyPE(data, opts)
	case bytes.HasPrefix(data, []byte("\x7fELF")):
		return VerifyELF(data, opts)
	}
	return nil, fmt.Errorf("sign: %w: neither a PE image nor an ELF object", ErrBadSignature)
}

// VerifyPE checks a PE image's Authenticode signature: the image digest,
// the PKCS#7 signature, the certificate table's framing (one
// WIN_CERTIFICATE, revision 2.0, type PKCS_SIGNED_DATA, zero padding, at
// the end of the file) and the PE checksum. It returns the signer.
func VerifyPE(image []byte, opts VerifyOptions) (*Result, error) {
	r, err := verifyPE(image, opts)
	if err != nil {
		return nil, fmt.Errorf("sign: PE: %w", err)
	}
	return r, nil
}

func verifyPE(image []byte, opts VerifyOptions) (*Result, error) {
	pe, ok := peHeader(image)
	if !ok {
		return nil, fmt.Errorf("%w: no PE header", ErrBadSignature)
	}
	le := binary.LittleEndian
	if le.Uint16(image[pe+24:]) != 0x20b {
		return nil, fmt.Errorf("%w: not PE32+", ErrBadSignature)
	}
	dir := pe + 24 + 112 + 4*8
	if le.Uint32(image[pe+24+108:]) <= 4 || dir+8 > len(image) {
		return nil, fmt.Errorf("%w: no certificate table directory", ErrBadSignature)
	}
	start, size := int64(le.Uint32(image[dir:])), int64(le.Uint32(image[dir+4:]))
	if size == 0 {
		return nil, fmt.Errorf("%w: not signed", ErrBadSignature)
	}
	if start+size != int64(len(image)) || start%8 != 0 || size < 8 {
		return nil, fmt.Errorf("%w: certificate table [%d, +%d) is not the 8-aligned end of the %d-byte file", ErrBadSignature, start, size, len(image))
	}
	table := image[start:]
	length := int64(le.Uint32(table))
	if le.Uint16(table[4:]) != 0x0200 || le.Uint16(table[6:]) != 0x0002 {
		return nil, fmt.Errorf("%w: WIN_CERTIFICATE revision %#x type %#x", ErrBadSignature, le.Uint16(table[4:]), le.Uint16(table[6:]))
	}
	// dwLength covers the padding to 8 bytes (as relic and signtool
	// write it) or not; either way exactly one certificate fills the
	// table.
	if length < 8 || (length+7)/8*8 != size {
		return nil, fmt.Errorf("%w: WIN_CERTIFICATE of %d bytes in a %d-byte table", ErrBadSignature, length, size)
	}
	n, ok := derLength(table[8:length])
	if !ok || int64(n)+8 > length || length-int64(n)-8 >= 8 {
		return nil, fmt.Errorf("%w: PKCS#7 blob length does not match WIN_CERTIFICATE", ErrBadSignature)
	}
	for _, b := range table[8+n:] {
		if b != 0 {
			return nil, fmt.Errorf("%w: non-zero padding after the signature", ErrBadSignature)
		}
	}
	if got, want := le.Uint32(image[pe+88:]), Checksum(image); got != want {
		return nil, fmt.Errorf("%w: PE checksum %#x, computed %#x", ErrBadSignature, got, want)
	}
	sigs, err := authenticode.VerifyPE(bytes.NewReader(image), false)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	if len(sigs) != 1 {
		return nil, fmt.Errorf("%w: %d signatures", ErrBadSignature, len(sigs))
	}
	sig := sigs[0]
	if sig.ImageHashFunc != crypto.SHA256 {
		return nil, fmt.Errorf("%w: image digest %v, want SHA-256", ErrBadSignature, sig.ImageHashFunc)
	}
	if opts.Roots != nil {
		if err := sig.VerifyChain(opts.Roots, nil, x509.ExtKeyUsageCodeSigning); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
	}
	return &Result{Signer: sig.Certificate, Format: "pe", Content: image[:start], Timestamped: sig.CounterSignature != nil}, nil
}

// derLength returns the length of the DER element at the start of b.
func derLength(b []byte) (int, bool) {
	var raw asn1.RawValue
	rest, err := asn1.Unmarshal(b, &raw)
	if err != nil {
		return 0, false
	}
	return len(b) - len(rest), true
}

// rfc3161 is a pkcs9.Timestamper that asks one RFC 3161 server.
type rfc3161 struct{ url string }

// Timestamp implements pkcs9.Timestamper.
func (t rfc3161) Timestamp(ctx context.Context, req *pkcs9.Request) (*pkcs7.ContentInfoSignedData, error) {
	if req.Legacy {
		return nil, errors.New("legacy Microsoft time-stamping is not supported")
	}
	d := req.Hash.New()
	d.Write(req.EncryptedDigest)
	msg, hreq, err := pkcs9.NewRequest(t.url, req.Hash, d.Sum(nil))
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(hreq.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("time-stamping: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("time-stamping: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("time-stamping: %s: %s", t.url, resp.Status)
	}
	return msg.ParseResponse(body)
}
