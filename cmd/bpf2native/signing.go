package main

import (
	"crypto/x509"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/bpf2native/bpf2native/sign"
)

// signFlags choose the signing key: a PEM key and certificate chain, a
// PKCS#12 file, or (with none of them) the built-in test certificate.
func signFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "sign", Usage: "sign the output (Authenticode for PE, appended PKCS#7 for ELF); without a key, with the built-in TEST certificate"},
		&cli.StringFlag{Name: "key", Usage: "PEM private key `FILE`"},
		&cli.StringFlag{Name: "cert", Usage: "PEM certificate chain `FILE` (signer first)"},
		&cli.StringFlag{Name: "pkcs12", Usage: "PKCS#12 `FILE` holding key and chain"},
		&cli.StringFlag{Name: "pkcs12-password-env", Usage: "environment `VARIABLE` holding the PKCS#12 password"},
		&cli.StringFlag{Name: "pkcs12-password-file", Usage: "`FILE` holding the PKCS#12 password"},
		&cli.StringFlag{Name: "timestamp-url", Usage: "RFC 3161 time-stamping authority `URL`"},
	}
}

// signerFromFlags returns the signer the flags select, or nil when the
// command should not sign.
func signerFromFlags(c *cli.Context) (*sign.Signer, error) {
	key, cert, p12 := c.String("key"), c.String("cert"), c.String("pkcs12")
	explicit := key != "" || cert != "" || p12 != ""
	if !c.Bool("sign") && c.Command.Name != "sign" {
		if explicit {
			return nil, usagef("--key, --cert and --pkcs12 only apply with --sign")
		}
		return nil, nil
	}
	var s *sign.Signer
	var err error
	switch {
	case p12 != "":
		if key != "" || cert != "" {
			return nil, usagef("give either --pkcs12 or --key and --cert, not both")
		}
		pw := sign.Password{Env: c.String("pkcs12-password-env"), File: c.String("pkcs12-password-file")}
		if pw.Env != "" && pw.File != "" {
			return nil, usagef("give the PKCS#12 password through one of --pkcs12-password-env and --pkcs12-password-file")
		}
		s, err = sign.LoadPKCS12(p12, pw)
	case key != "" || cert != "":
		if key == "" || cert == "" {
			return nil, usagef("--key and --cert go together")
		}
		s, err = sign.LoadPEM(key, cert)
	default:
		s, err = sign.TestSigner()
		if err == nil {
			fmt.Fprintf(c.App.ErrWriter, "bpf2native: signing with the built-in TEST certificate (%s): not trusted by any machine that has not been told to trust it\n", s.Certificate().Subject.CommonName)
		}
	}
	if err != nil {
		return nil, err
	}
	s.TimestampURL = c.String("timestamp-url")
	return s, nil
}

func signCommand() *cli.Command {
	return &cli.Command{
		Name:      "sign",
		Usage:     "sign a driver (Authenticode) or an ELF object (appended PKCS#7) in place",
		ArgsUsage: "FILE",
		Flags:     append(signFlags(), &cli.StringFlag{Name: "o", Usage: "write the signed file to `FILE` instead of in place"}),
		Action: func(c *cli.Context) error {
			path, err := oneObject(c)
			if err != nil {
				return err
			}
			s, err := signerFromFlags(c)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			signed, err := s.Sign(c.Context, data)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			out := c.String("o")
			if out == "" {
				out = path
			}
			return writeFileAtomic(out, signed)
		},
	}
}

func verifySignatureCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify-signature",
		Usage:     "check a signed driver or object: digest, signature, and (with --ca or --test-ca) the chain",
		ArgsUsage: "FILE",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "ca", Usage: "PEM `FILE` of trusted root certificates"},
			&cli.BoolFlag{Name: "test-ca", Usage: "trust the built-in TEST root"},
		},
		Action: func(c *cli.Context) error {
			path, err := oneObject(c)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			var opts sign.VerifyOptions
			if ca := c.String("ca"); ca != "" || c.Bool("test-ca") {
				opts.Roots = x509.NewCertPool()
				if ca != "" {
					pem, err := os.ReadFile(ca)
					if err != nil {
						return err
					}
					if !opts.Roots.AppendCertsFromPEM(pem) {
						return fmt.Errorf("%s: no PEM certificate", ca)
					}
				}
				if c.Bool("test-ca") {
					s, err := sign.TestSigner()
					if err != nil {
						return err
					}
					opts.Roots.AddCert(s.Root())
				}
			}
			res, err := sign.Verify(data, opts)
			if err != nil {
				return fmt.Errorf("%s: %w", path, err)
			}
			fmt.Fprintf(c.App.Writer, "%s: valid %s signature by %q (issuer %q)\n", path, res.Format, res.Signer.Subject.CommonName, res.Signer.Issuer.CommonName)
			return nil
		},
	}
}
