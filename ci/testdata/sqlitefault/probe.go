package main

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

// Calls the extension's probe (see ext/crashext.c) through the copy of the
// extension SQLite loaded.
static int probe_mutex(const char* so) {
	void* h = dlopen(so, RTLD_NOW | RTLD_NOLOAD);
	if (h == NULL) return -10;
	int (*fn)(void) = (int (*)(void))dlsym(h, "crashext_probe_from_other_thread");
	int rc = fn != NULL ? fn() : -11;
	dlclose(h);
	return rc;
}
*/
import "C"

import "unsafe"

// faultedConnMutex reports the state of the SQLite mutex of the connection
// that faulted, tried from a new native thread.
func faultedConnMutex(so string) string {
	cs := C.CString(so)
	defer C.free(unsafe.Pointer(cs))
	switch rc := C.probe_mutex(cs); rc {
	case 0:
		return "free"
	case 5:
		return "held"
	default:
		return "unknown (probe " + string(rune('0'+(-rc)%10)) + ")"
	}
}
