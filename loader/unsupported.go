//go:build !(linux && (amd64 || arm64) && cgo)

package loader

import (
	"errors"

	"github.com/bpf2native/bpf2native/backend"
	"github.com/bpf2native/bpf2native/host"
	"github.com/bpf2native/bpf2native/ir"
)

// ErrUnsupported is returned where native code cannot run in process.
var ErrUnsupported = errors.New("loader: native code runs only on linux/amd64 and linux/arm64 with cgo")

// Image is a loaded object; on this build it can never be created.
type Image struct{}

// Load returns ErrUnsupported on this build.
func Load(obj *backend.Object, mod *ir.Module, rt *host.Runtime) (*Image, error) {
	return nil, ErrUnsupported
}

// Run returns ErrUnsupported on this build.
func (img *Image) Run(prog int, ctx *host.Context) (uint64, error) { return 0, ErrUnsupported }

// Close does nothing on this build.
func (img *Image) Close() error { return nil }
