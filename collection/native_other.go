//go:build !(linux && (amd64 || arm64) && cgo)

package collection

// The loader cannot run native code on this build.
const nativeSupported = false
