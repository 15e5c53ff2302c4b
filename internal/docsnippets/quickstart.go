//go:build cgo

package docsnippets

/*
#include <stdint.h>

// decode_frame stands for the user's C function: a frame whose first byte
// is 0 makes it read through NULL.
__attribute__((noinline)) void decode_frame(void* frame) {
	if (((volatile char*)frame)[0] == 0) {
		*(volatile char*)(uintptr_t)((volatile char*)frame)[0] = 1;
	}
}
*/
import "C"

import cgoguard "github.com/cgoguard/cgoguard/gobindings"

import (
	"errors"
	"log"
	"unsafe"
)

// goQuickStart is the README's Go quick start, with frame as the argument
// of its C call.
func goQuickStart(frame unsafe.Pointer) error {
	// At start-up (optional: Call initializes too).
	if err := cgoguard.Init(); err != nil {
		log.Fatal(err)
	}

	// fn is a C function `void fn(void*)`: unsafe.Pointer(C.decode_frame). It
	// must not be `static` in the preamble (cgo takes its address by symbol).
	err := cgoguard.Call(unsafe.Pointer(C.decode_frame), unsafe.Pointer(frame))
	var fault *cgoguard.NativeFault
	if errors.As(err, &fault) {
		log.Printf("native fault: %v", fault) // signal, address, function, fingerprint
		log.Printf("%+v", fault)              // the whole chain, innermost first
	}
	if errors.Is(err, cgoguard.ErrNativeFault) { // true for every contained fault
		log.Print("contained")
	}

	cancel := cgoguard.OnFault(func(f *cgoguard.NativeFault) {
		log.Printf("fault %s at %s", f.Fingerprint, f.Site())
	})
	defer cancel()
	return err
}
