// CGG_GUARD in a user's own cgo preamble: the fault record lives in C memory
// for the duration of the call (a local of the C function), and the Go side
// turns a non-zero result into a *cgoguard.NativeFault. The preamble includes
// <cgoguard/cgoguard.h>: ci/test-extmod.sh points CGO_CFLAGS at the module's
// include directory, as the README says.
package main

/*
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

// The fault record is C memory; guarded_parse fills *fault only on a fault.
static int guarded_parse(const char* s, int* result, cgg_fault* fault) {
	return CGG_GUARD(fault, *result = parse(s));
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

func parse(s string) (int, error) {
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

func main() {
	if err := cgoguard.Init(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	var nf *cgoguard.NativeFault
	if _, err := parse("crash"); !errors.As(err, &nf) {
		fmt.Println("CGG_GUARD: not contained:", err)
		os.Exit(1)
	}
	nf.Symbolize()
	fmt.Printf("CGG_GUARD: contained %v at %#x in %s\n", nf.Signal, nf.Addr, nf.Frames[0].Function)
	// The native stack reaches the wrapper cgo generated for guarded_parse
	// (named after a hash of this file); the fingerprint must not depend on it.
	for _, fr := range nf.Frames {
		if strings.Contains(fr.Function, "_Cfunc_guarded_parse") {
			fmt.Printf("cgo wrapper on the stack: %s\n", fr.Function)
		}
	}
	fmt.Printf("fingerprint %s\n", nf.Fingerprint)
	n, err := parse("still alive")
	fmt.Printf("afterwards: parse = %d, %v\n", n, err)
}
