//go:build cgo

package parseguard_test

import (
	"errors"
	"syscall"
	"testing"

	"github.com/cgoguard/cgoguard/examples/parseguard"
	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

func TestGuardMacroFromCgoPreamble(t *testing.T) {
	if n, err := parseguard.Parse("hello"); err != nil || n != 5 {
		t.Fatalf("Parse(hello) = %d, %v; want 5, nil", n, err)
	}
	var reported *cgoguard.NativeFault
	cancel := cgoguard.OnFault(func(nf *cgoguard.NativeFault) { reported = nf })
	defer cancel()
	_, err := parseguard.Parse("crash")
	var nf *cgoguard.NativeFault
	if !errors.As(err, &nf) || nf.Signal != syscall.SIGSEGV || nf.Addr != 0 {
		t.Fatalf("Parse(crash) = %v, want a SIGSEGV at address 0", err)
	}
	// `go test` links its binaries without a symbol table, so C functions
	// of the test executable itself stay unnamed here; ci/testdata/extmod checks the
	// names in an ordinary `go build` binary.
	if len(nf.Frames) < 2 || nf.Frames[0].PC != nf.PC {
		t.Errorf("want the native stack from the faulting pc:\n%+v", nf)
	}
	if reported == nil || reported.ID != nf.ID {
		t.Errorf("OnFault subscribers did not receive the macro-guarded fault")
	}
	// The process goes on: the parser still works.
	if n, err := parseguard.Parse("again"); err != nil || n != 5 {
		t.Fatalf("Parse(again) = %d, %v", n, err)
	}
}
