//go:build cgo

package cgoguard_test

import (
	"errors"
	"strings"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// abort() and a failed assert() are named after the fixture that called
// them, not after the C library's frames above it.
func TestAbortIsNamedByItsCaller(t *testing.T) {
	for _, f := range []fx.Fixture{fx.Abort, fx.AssertFail} {
		var nf *cgoguard.NativeFault
		if !errors.As(cgoguard.Call(f.Fn, nil), &nf) {
			t.Fatalf("%s: not contained", f.Name)
		}
		nf.Symbolize()
		if site := nf.Site(); site != f.Name {
			t.Errorf("%s: Site() = %q\n%+v", f.Name, site, nf)
		}
		if !strings.Contains(nf.Error(), " in "+f.Name) {
			t.Errorf("%s: Error() = %q, want it to name %s", f.Name, nf.Error(), f.Name)
		}
	}
}
