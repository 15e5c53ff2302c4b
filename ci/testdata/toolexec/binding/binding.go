// Package cgobinding is a Go binding of a small C library, written the way
// third-party bindings are: plain C.f calls, no cgoguard anywhere. The
// module is read-only in the test that uses it, as the module cache is.
package cgobinding

/*
// bnd_count never calls back into Go: declared so, as performance-minded
// bindings do (the runtime panics if such a function calls into Go).
#cgo noescape bnd_count
#cgo nocallback bnd_count
#include <stdlib.h>
#include <string.h>
#include "bnd.h"

extern void goVisit(bnd_handle* h, int i, void* ctx);
static void each_go(bnd_handle* h, void* ctx) { bnd_each(h, goVisit, ctx); }
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// Handle is a handle of the C library. A nil or closed Handle is passed to C
// as it is: the library faults, as real ones do.
type Handle struct{ p *C.bnd_handle }

// Stats is the library's struct result.
type Stats struct {
	Items int
	Total int64
	Mean  float64
}

// Open opens a handle with items items (at most 64).
func Open(items int) *Handle { return &Handle{C.bnd_open(C.int(items))} }

func (h *Handle) ptr() *C.bnd_handle {
	if h == nil {
		return nil
	}
	return h.p
}

// Close frees the handle. Using it afterwards faults.
func (h *Handle) Close() { C.bnd_close(h.ptr()) }

// Count returns the number of items (a scalar result, a function declared
// with #cgo noescape and nocallback).
func (h *Handle) Count() int { return int(C.bnd_count(h.ptr())) }

// Bump counts a use (a void call).
func (h *Handle) Bump() { C.bnd_bump(h.ptr()) }

// Stats returns the handle's statistics (a struct result).
func (h *Handle) Stats() Stats {
	s := C.bnd_stats(h.ptr())
	return Stats{Items: int(s.items), Total: int64(s.total), Mean: float64(s.mean)}
}

// Parse parses a decimal number through the errno form of a cgo call.
// ParseC passes a NULL string, which the library dereferences.
func Parse(s string) (int, error) {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	n, err := C.bnd_parse(cs)
	return int(n), err
}

// ParseNull hands the parser a NULL string.
func ParseNull() (int, error) {
	n, err := C.bnd_parse(nil)
	return int(n), err
}

// Each calls fn for every item, from C (a callback into Go).
func (h *Handle) Each(fn func(i int)) {
	ref := cgo.NewHandle(fn)
	defer ref.Delete()
	C.each_go(h.ptr(), unsafe.Pointer(&ref))
}

// Bytes copies n bytes of C memory through the cgo helpers C.malloc,
// C.GoBytes and C.free.
func Bytes(n int) []byte {
	p := C.malloc(C.size_t(n))
	defer C.free(p)
	C.memset(p, 7, C.size_t(n))
	return C.GoBytes(p, C.int(n))
}

//export goVisit
func goVisit(h *C.bnd_handle, i C.int, ctx unsafe.Pointer) {
	fn := (*cgo.Handle)(ctx).Value().(func(int))
	fn(int(i))
}
