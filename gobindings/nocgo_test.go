//go:build !cgo

package cgoguard_test

import (
	"errors"
	"strings"
	"testing"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

func TestWithoutCgoInitAndCallAreUnsupported(t *testing.T) {
	var notAFunction byte
	for name, err := range map[string]error{
		"Init": cgoguard.Init(),
		"Call": cgoguard.Call(unsafe.Pointer(&notAFunction), nil),
	} {
		if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "cgo") {
			t.Errorf("%s = %v, want an error wrapping errors.ErrUnsupported that says cgo is required", name, err)
		}
	}
	if err := cgoguard.Call(nil, nil); !errors.Is(err, cgoguard.ErrNilFunction) {
		t.Errorf("Call(nil) = %v, want ErrNilFunction", err)
	}
	if cgoguard.Tainted() || cgoguard.Stats().ContainedTotal != 0 {
		t.Error("nothing can be contained without cgo")
	}
}
