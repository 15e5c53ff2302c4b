//go:build cgo

package docsnippets

import (
	"errors"
	"syscall"
	"testing"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// The Go quick start contains its C function's fault and returns it.
func TestGoQuickStartContainsTheFault(t *testing.T) {
	frame := (*byte)(cAlloc(1))
	defer cFree(unsafe.Pointer(frame))
	*frame = 1
	if err := goQuickStart(unsafe.Pointer(frame)); err != nil {
		t.Fatalf("a good frame: %v", err)
	}
	*frame = 0
	err := goQuickStart(unsafe.Pointer(frame))
	var fault *cgoguard.NativeFault
	if !errors.As(err, &fault) || fault.Signal != syscall.SIGSEGV {
		t.Fatalf("a bad frame: %v, want a contained SIGSEGV", err)
	}
}

// The README's C quick start and CGG_GUARD form contain their faults.
func TestCQuickStartContainsTheFault(t *testing.T) {
	if rc := cQuickStart(1); rc != 0 {
		t.Errorf("a good frame: cgg_call returned %d", rc)
	}
	if rc := cQuickStart(0); rc != int(syscall.SIGSEGV) {
		t.Errorf("a bad frame: cgg_call returned %d, want SIGSEGV", rc)
	}
	if rc, n := cGuard("four"); rc != 0 || n != 4 {
		t.Errorf("CGG_GUARD over parse(\"four\"): %d, %d", rc, n)
	}
	if rc, _ := cGuard("crash"); rc != int(syscall.SIGSEGV) {
		t.Errorf("CGG_GUARD over parse(\"crash\"): %d, want SIGSEGV", rc)
	}
	if n, err := Parse("crash"); !errors.Is(err, cgoguard.ErrNativeFault) {
		t.Errorf("Parse(\"crash\") = %d, %v; want a native fault", n, err)
	}
}

// The build-flag quick start's Catch returns a guarded call's fault as an
// error and lets a clean call's results through.
func TestCatchReturnsTheDriversFault(t *testing.T) {
	frame := (*byte)(cAlloc(1))
	defer cFree(unsafe.Pointer(frame))
	*frame = 1
	if rows, err := catchQuery(driverDB{unsafe.Pointer(frame)}, "four"); rows != 4 || err != nil {
		t.Fatalf("a clean query: %d, %v", rows, err)
	}
	*frame = 0
	if _, err := catchQuery(driverDB{unsafe.Pointer(frame)}, "four"); !errors.Is(err, cgoguard.ErrNativeFault) {
		t.Fatalf("a faulting query: %v, want a native fault", err)
	}
}
