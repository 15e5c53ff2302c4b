package crashfixtures

// #include <stdint.h>
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// crashfixturesGoCallback runs the Go function whose handle arg points at;
// cgg_fx_call_callback calls it from guarded native code.
//
//export crashfixturesGoCallback
func crashfixturesGoCallback(arg unsafe.Pointer) {
	cgo.Handle(*(*C.uintptr_t)(arg)).Value().(func())()
}
