// Two instances of cgoguard in one process: this program has the shim
// compiled in (the default), and it links a C library of its own
// (../nativelib/nativelib.c) that links the installed libcgoguard.so. Each
// instance must contain the faults of its own guards and chain everything
// else, Go's own panics included. ci/test-extmod.sh builds
// ../nativelib/libnativelib.so first.
package main

/*
#cgo LDFLAGS: -L${SRCDIR}/../nativelib -Wl,-rpath,${SRCDIR}/../nativelib -lnativelib
int nativelib_guarded_fault(void);
unsigned long long nativelib_contained(void);

__attribute__((noinline)) void go_side_fault(void* arg) {
	(void)arg;
	*(volatile int*)32 = 1;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

func goCall() error {
	var nf *cgoguard.NativeFault
	if err := cgoguard.Call(unsafe.Pointer(C.go_side_fault), nil); !errors.As(err, &nf) || nf.Addr != 32 {
		return fmt.Errorf("the compiled-in instance did not contain its fault: %v", err)
	}
	return nil
}

func goPanic() (recovered any) {
	defer func() { recovered = recover() }()
	var p *int
	return *p
}

func run() error {
	if err := cgoguard.Init(); err != nil { // the compiled-in instance, over Go's handlers
		return err
	}
	if err := goCall(); err != nil {
		return err
	}
	// The library's instance installs its handlers over the compiled-in one.
	if sig := C.nativelib_guarded_fault(); syscall.Signal(sig) != syscall.SIGSEGV {
		return fmt.Errorf("the library's instance returned %d, want SIGSEGV", sig)
	}
	// Faults of the compiled-in guards pass through the library's handler.
	if err := goCall(); err != nil {
		return err
	}
	// Go's own nil dereference passes through both to the Go runtime.
	if r := goPanic(); r == nil {
		return errors.New("a Go nil dereference did not panic")
	}
	own, lib := cgoguard.Stats().ContainedTotal, uint64(C.nativelib_contained())
	if own != 2 || lib != 1 {
		return fmt.Errorf("contained: compiled-in %d (want 2), library %d (want 1)", own, lib)
	}
	fmt.Printf("two instances: compiled-in contained %d, library contained %d, Go panic recovered\n", own, lib)
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}
