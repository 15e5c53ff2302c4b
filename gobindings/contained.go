package cgoguard

import "errors"

// ErrRefused matches (errors.Is) every call that was refused, without
// entering native code, to protect the process: a quarantined call site's
// refusal (quarantine.ErrQuarantined) is one.
var ErrRefused = errors.New("cgoguard: call refused")

// IsContained reports whether err is, or wraps, a failure that cgoguard
// contained and reports: a native fault or C++ exception (ErrNativeFault,
// a *NativeFault) or a refused call (ErrRefused). The boundaries —
// httpguard, grpcguard and the framework adapters — answer such an error
// themselves, with an incident, and hand every other error to the
// application's own error handling unchanged.
func IsContained(err error) bool {
	return errors.Is(err, ErrNativeFault) || errors.Is(err, ErrRefused)
}
