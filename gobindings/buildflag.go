//go:build cgo

package cgoguard

import "C"

import (
	"errors"
	"runtime"
	"syscall"
	_ "unsafe" // go:linkname
)

// The Go side of the build flag (go build -toolexec=cgoguard, see
// cmd/cgoguard). The flag rewrites a guarded package's cgo output so that
// every generated call stub checks what its cgo call returned and, for a
// contained fault, calls raiseFault; and the package's init calls
// guardedPackageInit. Both are reached through //go:linkname, pushed here:
// the guarded package cannot import this one (its import list is the
// go command's), so the linker binds the names, and a program that links a
// guarded package without this one fails to link (cmd/cgoguard then names
// the import to add).

// errUnparked is the panic value of a fault contained while no slot could
// hold its record (the slots could not be mapped).
var errUnparked = errors.New("cgoguard: native fault contained in a guarded cgo call; its record was lost (no memory for the parked records)")

// raiseFault is called by a guarded package's cgo stub after its cgo call
// returned code at least 1<<20 (a real errno is far below). For a parked
// fault it builds the *NativeFault (as Call does: from the parked record,
// with the caller's Go stack), delivers it to OnFault subscribers and panics
// with it, on the goroutine that made the call, at the C.f(...) call: the
// cgo call itself completed normally. Any other code (an errno that a C
// function set to a huge value) returns: the stub goes on as cgo's own.
//
//go:linkname raiseFault
//go:noinline
func raiseFault(code int32) {
	raise(code, false)
}

// raiseFaultNoCallback is raiseFault for the stub of a function declared
// with `#cgo nocallback`, whose wrapper could not call back into Go to lock
// the goroutine to the faulting thread (cgoguardLockFaultThread): raise
// locks it, on the thread the goroutine resumed on, which is the faulting
// one unless the call lost its P while it ran.
//
//go:linkname raiseFaultNoCallback
//go:noinline
func raiseFaultNoCallback(code int32) {
	raise(code, true)
}

// raise is the body of raiseFault and raiseFaultNoCallback; lockThread
// locks the goroutine to its thread before a parked fault's panic.
func raise(code int32, lockThread bool) {
	slot := int(code) - parkedBase
	if slot < 0 || slot > parkedSlots {
		return
	}
	if lockThread {
		runtime.LockOSThread()
	}
	if !initialized.Load() {
		Init() // the handlers are in (the guard installed them); this adds the Go side
	}
	if slot == parkedSlots {
		panic(errUnparked)
	}
	panic(collect(syscall.Errno(code)))
}

// Init order: a guarded package does not import this one, so its init may
// run before or after this package's. guardedPackageInit (called by every
// guarded package's init) and this package's init each check whether the
// other ran; whichever runs second calls Init, so a program built with the
// flag has its handlers, report path and symbolizer set up at start, as if
// it had called Init itself, before any fault. Package initialization runs
// on one goroutine: plain variables suffice.
var (
	guardedProgram  bool // a guarded package's init ran
	packageInitDone bool // this package's init ran
)

// cgoguardLockFaultThread is called by the build flag's call wrappers
// (cgoguard_cgo_call in call.go) after a contained fault, on the thread that
// faulted, before their cgo call returns. It locks the goroutine to that
// thread for good, so the fault's panic unwinds there: the native code's
// recursive locks (SQLite's connection mutex) belong to that thread, and a
// deferred clean-up that re-enters the library (rows.Close calling
// sqlite3_reset) would wait forever for them on any other one. Locking in
// raiseFault would be too late: a cgo call that lost its P while it ran
// resumes on whichever thread gets one. The goroutine keeps the thread
// until it exits, which then ends the thread (with the locks it still holds).
//
//export cgoguardLockFaultThread
func cgoguardLockFaultThread() {
	runtime.LockOSThread()
}

//go:linkname guardedPackageInit
func guardedPackageInit() {
	if guardedProgram {
		return
	}
	guardedProgram = true
	if packageInitDone {
		Init()
	}
}

// initGuardedProgram is the end of this package's init (call.go).
func initGuardedProgram() {
	packageInitDone = true
	if guardedProgram {
		Init()
	}
}
