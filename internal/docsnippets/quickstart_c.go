//go:build cgo

package docsnippets

/*
#include <stdlib.h>

int docsnippets_c_quickstart(char first_byte);
int docsnippets_c_guard(const char* s, int* result);
*/
import "C"

import "unsafe"

// cQuickStart runs the README's C quick start (c_quickstart.c) over a frame
// whose first byte is firstByte (0 faults) and returns cgg_call's result.
func cQuickStart(firstByte byte) int {
	return int(C.docsnippets_c_quickstart(C.char(firstByte)))
}

// cGuard runs the README's CGG_GUARD form over s ("crash" faults) and
// returns its result and parse's.
func cGuard(s string) (rc, result int) {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	var r C.int
	rc = int(C.docsnippets_c_guard(cs, &r))
	return rc, int(r)
}

// cAlloc and cFree give the tests C memory for a frame.
func cAlloc(n int) unsafe.Pointer { return C.malloc(C.size_t(n)) }
func cFree(p unsafe.Pointer)      { C.free(p) }
