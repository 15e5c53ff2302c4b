package cgoguard

// Catch runs fn and returns the native fault it panicked with: a guarded cgo
// call of a package built with the build flag (go build -toolexec=cgoguard,
// see cmd/cgoguard) that faults panics at the C.f(...) call with its
// *NativeFault, and Catch returns that fault as its error (errors.Is(err,
// ErrNativeFault) holds). It returns nil when fn returns. Any other panic —
// a Go runtime error, a panic with any other value, an error that merely
// wraps a *NativeFault — is not Catch's: it panics again with the same value.
//
// Catch contains the fault, not its consequences: the native code that
// faulted skipped its clean-up (locks it held stay held, its state may be
// half-updated). See docs/build-flag.md on what to do with the handle or
// connection that faulted.
func Catch(fn func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			nf, ok := v.(*NativeFault)
			if !ok {
				panic(v)
			}
			err = nf
		}
	}()
	fn()
	return nil
}
