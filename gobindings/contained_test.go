package cgoguard_test

import (
	"errors"
	"fmt"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// IsContained holds for a native fault and a refused call, bare or
// wrapped, and for nothing else.
func TestIsContained(t *testing.T) {
	fault := &cgoguard.NativeFault{}
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fault, true},
		{fmt.Errorf("decode: %w", fault), true},
		{cgoguard.ErrNativeFault, true},
		{fmt.Errorf("decode: %w", cgoguard.ErrRefused), true},
		{errors.Join(errors.New("other"), fault), true},
		{nil, false},
		{errors.New("cgoguard: native fault"), false}, // the same text is not the same error
		{fmt.Errorf("wrapped: %w", errors.ErrUnsupported), false},
	} {
		if got := cgoguard.IsContained(c.err); got != c.want {
			t.Errorf("IsContained(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
