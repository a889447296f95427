//go:build linux && (amd64 || arm64) && cgo

package collection

// The loader runs native code in process on this build.
const nativeSupported = true
