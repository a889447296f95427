// Package sign signs and verifies what bpf2native writes: Authenticode
// (SHA-256, PKCS#7 SignedData in the PE certificate table, checksum
// updated) for drivers from linker/pe, and an appended PKCS#7 signature in
// the Linux module-signature layout for ELF objects from linker/elf.
//
// A Signer comes from a PEM key and certificate chain (LoadPEM), a PKCS#12
// file (LoadPKCS12, with the password from an environment variable or a
// file, never from an argument), or the built-in test certificate
// (TestSigner), created on first use under the user's configuration
// directory and clearly named as a test certificate. Verification checks
// the digest and the signature and returns the signer's certificate; with
// VerifyOptions.Roots it also checks the chain.
package sign
