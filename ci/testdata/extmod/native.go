//go:build cgo

package main

/*
// Not static: Go takes its address (cgo cannot reference a static function).
__attribute__((noinline)) void write_null(void* arg) {
	(void)arg;
	*(volatile int*)16 = 1;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

func nativeCheck() bool {
	var nf *cgoguard.NativeFault
	if err := cgoguard.Call(unsafe.Pointer(C.write_null), nil); !errors.As(err, &nf) {
		fmt.Println("Call: not contained:", err)
		return false
	}
	nf.Symbolize() // the first fault may come back before the symbolizer is warm
	fmt.Printf("Call: contained %v at %#x in %s\n", nf.Signal, nf.Addr, nf.Frames[0].Function)
	return true
}
