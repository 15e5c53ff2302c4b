// Package parseguard shows the pattern for guarding your own C function from
// a cgo preamble with the CGG_GUARD macro: the C side arms the guard in
// place, the Go side turns a non-zero result into a *cgoguard.NativeFault.
package parseguard

/*
#cgo CFLAGS: -I${SRCDIR}/../../include
#include <stdlib.h>
#include <string.h>
#include <cgoguard/cgoguard.h>

// A parser with a bug: the input "crash" makes it dereference NULL.
__attribute__((noinline)) static int parse(const char* s) {
	if (strcmp(s, "crash") == 0) {
		volatile const int* nothing = NULL;
		return *nothing;
	}
	return (int)strlen(s);
}

// The guarded entry point: 0 with *result set, or the signal number with
// *fault describing the fault.
static int guarded_parse(const char* s, int* result, cgg_fault* fault) {
	return CGG_GUARD(fault, *result = parse(s));
}
*/
import "C"

import (
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

func init() {
	// Install the handlers and the report path before the first guard.
	if err := cgoguard.Init(); err != nil {
		panic(err)
	}
}

// Parse runs the C parser under a guard.
func Parse(s string) (int, error) {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	fault := (*C.cgg_fault)(C.malloc(C.sizeof_cgg_fault))
	defer C.free(unsafe.Pointer(fault))
	var result C.int
	if rc := C.guarded_parse(cs, &result, fault); rc != 0 {
		return 0, cgoguard.FaultFromRecord(unsafe.Pointer(fault))
	}
	return int(result), nil
}
