// Package cgoguard makes native faults inside cgo calls survivable.
//
// Call runs a C function under a guard. A SIGSEGV, SIGBUS, SIGFPE, SIGILL or
// SIGTRAP inside it (SIGABRT too with ContainAbort), or a C++ exception that
// escapes it, comes back as a *NativeFault error carrying the signal, the
// faulting address, the symbolized native stack, the caller's Go stack and a
// stable fingerprint of the fault site; errors.Is(err, ErrNativeFault) holds.
// Every fault is also delivered to OnFault subscribers, including faults of
// guards that C code arms itself with the CGG_GUARD macro of
// <cgoguard/cgoguard.h>.
//
// Everything that is not a fault of guarded native code goes to the Go
// runtime's own handler, exactly as before: a nil dereference in Go still
// panics with a runtime.Error, an unguarded native fault still kills the
// process with Go's crash report.
//
// A contained fault skips the native code's clean-up: locks it held stay
// held, memory it allocated leaks. Stats reports the process as tainted after
// the first contained signal; see docs/hazards.md for which faults are safe to
// continue after.
package cgoguard
