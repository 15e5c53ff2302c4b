package main

import (
	"errors"
	"testing"

	"example.com/cgobinding"
	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// Run with go test -toolexec=cgoguard: the binding's fault is contained in a
// test binary too.
func TestANilHandleIsContained(t *testing.T) {
	var h *cgobinding.Handle
	err := cgoguard.Catch(func() { h.Count() })
	if !errors.Is(err, cgoguard.ErrNativeFault) {
		t.Fatalf("Catch returned %v, want a native fault", err)
	}
	if got := cgobinding.Open(4).Count(); got != 4 {
		t.Fatalf("a clean call after the fault returned %d", got)
	}
}
