// Package callbench measures a cgo call from a module outside cgoguard's,
// the way a user would. cgo cannot be used in a _test.go file, so each loop
// lives here and its benchmark (bench_test.go) passes b.N.
package callbench

/*
// Not static: Go takes its address (cgo cannot reference a static function).
__attribute__((noinline)) void noop(void* arg) { (void)arg; }

// cgoguard's C entry point (include/cgoguard/cgoguard.h), declared here so
// that this module needs no include path; the record is opaque to this file.
extern int cgg_call(void (*fn)(void*), void* arg, void* out);
static __thread char guarded_record[8192] __attribute__((aligned(16)));

// The floor of any guarded cgo call: one raw cgo crossing whose C side runs
// noop under cgg_call.
static void guarded_noop(void* arg) { cgg_call(noop, arg, guarded_record); }
*/
import "C"

import (
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// Raw makes n raw cgo calls of an empty C function.
func Raw(n int) {
	for i := 0; i < n; i++ {
		C.noop(nil)
	}
}

// Call makes n calls of the same function through cgoguard.Call.
func Call(n int) error {
	for i := 0; i < n; i++ {
		if err := cgoguard.Call(unsafe.Pointer(C.noop), nil); err != nil {
			return err
		}
	}
	return nil
}

// The pieces of the difference, each added to the raw call alone.

var nilArg unsafe.Pointer

// RawPointerArg passes a variable pointer: cgo checks it at run time (a
// constant nil it does not).
func RawPointerArg(n int) {
	for i := 0; i < n; i++ {
		C.noop(nilArg)
	}
}

//go:noinline
func callNoop(arg unsafe.Pointer) { C.noop(arg) }

// RawGoFrame makes the raw call from a Go function of its own, not inlined,
// with a pointer argument: the shape of cgoguard's in-tree baseline
// (crashfixtures.CallEmpty).
func RawGoFrame(n int) {
	for i := 0; i < n; i++ {
		callNoop(nil)
	}
}

// Guarded makes n raw cgo calls of a C function that runs noop under
// cgg_call: what Call would cost with nothing on its Go side.
func Guarded(n int) {
	for i := 0; i < n; i++ {
		C.guarded_noop(nil)
	}
}

// RawErrno uses cgo's errno form.
func RawErrno(n int) error {
	for i := 0; i < n; i++ {
		if _, err := C.noop(nil); err != nil {
			return err
		}
	}
	return nil
}
