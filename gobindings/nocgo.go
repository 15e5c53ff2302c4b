//go:build !cgo

package cgoguard

// Without cgo (CGO_ENABLED=0) there is no native code to guard: Init and Call
// return an error that wraps errors.ErrUnsupported, and nothing is ever
// contained. The rest of the API is here so that code written against it
// (the sub-packages httpguard, safego, quarantine, incident and metrics, and
// a service's own code) compiles unchanged and keeps containing Go panics.

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"
)

// ErrNilFunction is returned by Call for a nil function pointer.
var ErrNilFunction = errors.New("cgoguard: nil function pointer")

// errNoCgo is what Init and Call return in a build without cgo.
var errNoCgo = fmt.Errorf("cgoguard: native calls need cgo: this program was built with CGO_ENABLED=0: %w",
	errors.ErrUnsupported)

type config struct{}

// Option configures Init.
type Option func(*config)

// ContainAbort: see the cgo build. Without cgo it has no effect.
func ContainAbort() Option { return func(*config) {} }

// Symbolize: see the cgo build. Without cgo it has no effect.
func Symbolize(on bool) Option { return func(*config) {} }

// WithCgoTraceback: see the cgo build. Without cgo it has no effect.
func WithCgoTraceback() Option { return func(*config) {} }

// DeclineIn names modules or functions whose faults are never contained.
// Without cgo there is nothing to decline: a no-op.
func DeclineIn(modulesOrSymbols ...string) Option { return func(*config) {} }

// Init returns an error wrapping errors.ErrUnsupported: cgoguard's signal
// handlers are native code, which a build without cgo cannot hold.
func Init(opts ...Option) error { return errNoCgo }

// Call returns ErrNilFunction for a nil fn and otherwise an error wrapping
// errors.ErrUnsupported, without calling fn: a build without cgo cannot call
// C functions.
func Call(fn, arg unsafe.Pointer) error {
	if fn == nil {
		return ErrNilFunction
	}
	return errNoCgo
}

// OnFault subscribes fn to contained native faults; without cgo there are
// none, so fn is never called.
func OnFault(fn func(*NativeFault)) (cancel func()) { return func() {} }

// FaultFromRecord returns nil: without cgo there are no fault records.
func FaultFromRecord(rec unsafe.Pointer) *NativeFault { return nil }

// Stats returns zero counters (nothing is installed) with HandlersIntact
// true.
func Stats() Counters { return Counters{HandlersIntact: true} }

// Contains reports false: nothing is contained without cgo.
func Contains(sig syscall.Signal) bool { return false }

// Tainted reports false: nothing is contained without cgo.
func Tainted() bool { return false }

// Reinstall returns an error wrapping errors.ErrUnsupported.
func Reinstall() error { return errNoCgo }

var symbolizerReady = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

// SymbolizerReady returns a closed channel: there is nothing to load.
func SymbolizerReady() <-chan struct{} { return symbolizerReady }

// AutoSymbolize reports true, as in the cgo build's default.
func AutoSymbolize() bool { return true }

// Symbolize computes the fingerprint of a fault built by hand; there is no
// native code to name.
func (f *NativeFault) Symbolize() {
	defer f.lock()()
	if f.Symbolized() {
		return
	}
	f.Fingerprint = f.computeFingerprint(f.Frames)
	f.setSymbolized()
}

// WhenSymbolized symbolizes f and calls fn with it.
func (f *NativeFault) WhenSymbolized(fn func(*NativeFault)) {
	f.Symbolize()
	fn(f)
}

// isProgramModule reports whether module is the running program's own
// executable (a frame built by hand may name it).
func isProgramModule(module string) bool {
	exe, err := os.Executable()
	return err == nil && module != "" && module == exe
}
