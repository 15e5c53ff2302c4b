//go:build cgo

package cgoguard_test

import (
	"fmt"
	"strings"
	"testing"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// Call passes a nil arg without cgo's run-time pointer check (a constant
// nil needs none); any other arg must still be checked against the
// pointer-passing rules: Go memory that holds a Go pointer is refused.
func TestCallStillChecksItsArgument(t *testing.T) {
	if err := cgoguard.Call(fx.Empty.Fn, nil); err != nil {
		t.Fatalf("Call(empty, nil) = %v", err)
	}
	plain := new([4]int64)
	if err := cgoguard.Call(fx.Empty.Fn, unsafe.Pointer(plain)); err != nil {
		t.Fatalf("Call(empty, Go memory without pointers) = %v", err)
	}
	type holder struct{ p *int }
	h := &holder{p: new(int)}
	got := func() (v any) {
		defer func() { v = recover() }()
		cgoguard.Call(fx.Empty.Fn, unsafe.Pointer(h))
		return nil
	}()
	if got == nil || !strings.Contains(fmt.Sprint(got), "Go pointer") {
		t.Fatalf("Call with Go memory holding a Go pointer: recovered %v, want cgo's pointer-check panic", got)
	}
}
