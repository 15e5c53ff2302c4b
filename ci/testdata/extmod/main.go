// A program outside the cgoguard module that uses it as a user would after
// `make install`: its own C code, guarded both with cgoguard.Call and with
// the CGG_GUARD macro in its cgo preamble. ci/test-extmod.sh builds and runs
// it against an installed library.
package main

/*
#cgo pkg-config: cgoguard
#include <stdlib.h>
#include <string.h>
#include <cgoguard/cgoguard.h>

__attribute__((noinline)) static int parse(const char* s) {
	if (strcmp(s, "crash") == 0) {
		volatile const int* nothing = NULL;
		return *nothing;
	}
	return (int)strlen(s);
}

static int guarded_parse(const char* s, int* result, cgg_fault* fault) {
	return CGG_GUARD(fault, *result = parse(s));
}

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
	"os"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

func parse(s string) (int, error) {
	cs := C.CString(s)
	defer C.free(unsafe.Pointer(cs))
	var fault C.cgg_fault
	var result C.int
	if rc := C.guarded_parse(cs, &result, &fault); rc != 0 {
		return 0, cgoguard.FaultFromRecord(unsafe.Pointer(&fault))
	}
	return int(result), nil
}

func main() {
	var nf *cgoguard.NativeFault
	if err := cgoguard.Call(unsafe.Pointer(C.write_null), nil); !errors.As(err, &nf) {
		fmt.Println("Call: not contained:", err)
		os.Exit(1)
	}
	fmt.Printf("Call: contained %v at %#x in %s\n", nf.Signal, nf.Addr, nf.Frames[0].Function)
	if _, err := parse("crash"); !errors.As(err, &nf) {
		fmt.Println("CGG_GUARD: not contained:", err)
		os.Exit(1)
	}
	fmt.Printf("CGG_GUARD: contained %v at %#x in %s\n", nf.Signal, nf.Addr, nf.Frames[0].Function)
	n, err := parse("still alive")
	fmt.Printf("afterwards: parse = %d, %v\n", n, err)
}
