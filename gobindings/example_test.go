//go:build cgo

package cgoguard_test

import (
	"errors"
	"fmt"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// A native function writes through a null pointer. Without cgoguard the
// process would die; with it the fault is an error.
func Example() {
	// In your code: cgoguard.Call(unsafe.Pointer(C.my_func), unsafe.Pointer(arg))
	err := cgoguard.Call(crashfixtures.NullWrite.Fn, nil)

	var fault *cgoguard.NativeFault
	if errors.As(err, &fault) {
		fmt.Println(fault.Signal)
		fmt.Printf("address %#x\n", fault.Addr)
		fmt.Println(fault.Frames[0].Function)
	}
	fmt.Println(errors.Is(err, cgoguard.ErrNativeFault))
	// Output:
	// segmentation fault
	// address 0x10
	// cgg_fx_null_write
	// true
}
