//go:build cgo

package cgoguard_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// symbolizedNullWrite returns a symbolized fault whose Go stack runs through
// this function and its caller's call site.
func symbolizedNullWrite(t *testing.T) *cgoguard.NativeFault {
	t.Helper()
	var nf *cgoguard.NativeFault
	if !errors.As(cgoguard.Call(fx.NullWrite.Fn, nil), &nf) {
		t.Fatal("not contained")
	}
	nf.Symbolize()
	return nf
}

// A storm from one call site resolves its Go stack once: the faults share
// the resolved frames (and fingerprint), while a fault from another call
// site gets its own stack.
func TestGoStackIsResolvedOncePerCallSite(t *testing.T) {
	var storm []*cgoguard.NativeFault
	for range 3 {
		storm = append(storm, symbolizedNullWrite(t))
	}
	other := symbolizedNullWrite(t)

	first := storm[0]
	if len(first.GoStack) < 2 || first.GoStack[1].Function != "github.com/cgoguard/cgoguard/gobindings_test.TestGoStackIsResolvedOncePerCallSite" {
		t.Fatalf("GoStack should start at the helper, then this test:\n%+v", first)
	}
	for _, nf := range storm[1:] {
		if !slices.Equal(nf.GoStack, first.GoStack) || nf.Fingerprint != first.Fingerprint {
			t.Fatalf("same call site, different Go stack or fingerprint:\n%+v\n%+v", first, nf)
		}
		if &nf.GoStack[0] != &first.GoStack[0] {
			t.Errorf("fault %d resolved its Go stack again instead of sharing the frames of the first", nf.ID)
		}
	}
	if len(other.GoStack) < 2 || other.GoStack[1].Line == first.GoStack[1].Line {
		t.Errorf("another call site got the storm's Go stack:\n%+v\n%+v", first, other)
	}
	if cap(first.GoStack) != len(first.GoStack) {
		t.Errorf("a shared Go stack has room to append into (cap %d, len %d)", cap(first.GoStack), len(first.GoStack))
	}
}

// A Call made by Go code that C code called back (through a guarded call
// of its own): its Go stack runs through the cgo callback into the code
// that made the outer call, as the Go runtime's own tracebacks show it.
func TestGoStackOfACallInsideACallbackReachesTheOuterCaller(t *testing.T) {
	var inner error
	cb := fx.NewCallback(func() { inner = cgoguard.Call(fx.NullRead.Fn, nil) })
	defer cb.Free()
	if err := cgoguard.Call(fx.CallCallback.Fn, cb.Ptr()); err != nil {
		t.Fatalf("outer Call = %v", err)
	}
	var nf *cgoguard.NativeFault
	if !errors.As(inner, &nf) {
		t.Fatalf("inner Call = %v, want a native fault", inner)
	}
	nf.Symbolize()
	const self = "github.com/cgoguard/cgoguard/gobindings_test.TestGoStackOfACallInsideACallbackReachesTheOuterCaller"
	if len(nf.GoStack) == 0 || !strings.HasPrefix(nf.GoStack[0].Function, self+".func") {
		t.Fatalf("GoStack should start at the callback:\n%+v", nf.GoStack)
	}
	if !slices.ContainsFunc(nf.GoStack, func(f cgoguard.Frame) bool { return f.Function == self }) {
		t.Fatalf("GoStack should reach the test that made the outer call:\n%+v", nf.GoStack)
	}
}
