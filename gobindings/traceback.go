package cgoguard

// #include <cgoguard/cgoguard.h>
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// enableCgoTraceback registers the shim's native unwinder and symbolizer
// with the Go runtime (see WithCgoTraceback). The runtime panics when a
// different set of functions was registered before; that becomes an error.
func enableCgoTraceback() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("cgoguard: runtime.SetCgoTraceback: %v (another cgo symbolizer is registered)", r)
		}
	}()
	runtime.SetCgoTraceback(0, unsafe.Pointer(C.cgg_cgo_traceback), nil, unsafe.Pointer(C.cgg_cgo_symbolizer))
	return nil
}
