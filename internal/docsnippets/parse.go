//go:build cgo

package docsnippets

// The guard macro in a cgo preamble (docs/go.md); parse is defined in
// parse.c, as a user's C code would be.

/*
#include <stdlib.h>
#include <cgoguard/cgoguard.h>

int parse(const char* s);   // yours, in C

static int guarded_parse(const char* s, int* result, cgg_fault* fault) {
	return CGG_GUARD(fault, *result = parse(s));
}
*/
import "C"

import (
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

func Parse(s string) (int, error) {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	fault := (*C.cgg_fault)(C.malloc(C.sizeof_cgg_fault)) // C memory: see below
	defer C.free(unsafe.Pointer(fault))
	var result C.int
	if rc := C.guarded_parse(cs, &result, fault); rc != 0 {
		return 0, cgoguard.FaultFromRecord(unsafe.Pointer(fault))
	}
	return int(result), nil
}
