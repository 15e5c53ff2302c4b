package quarantine_test

import (
	"errors"
	"testing"

	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

// A site's Do works with or without cgo (CI runs this with CGO_ENABLED=0
// too): Go errors pass through and count as successes, a Go panic propagates
// and leaves the site closed.
func TestDoWithGoCodeInEveryBuild(t *testing.T) {
	site := quarantine.New(quarantine.Threshold(1)).Site("go-code")
	errPlain := errors.New("plain error")
	if err := site.Do(func() error { return errPlain }); err != errPlain {
		t.Errorf("Do = %v, want the function's own error", err)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("a panic in Do's function did not propagate")
			}
		}()
		_ = site.Do(func() error { panic("boom") })
	}()
	if err := site.Do(func() error { return nil }); err != nil {
		t.Errorf("after a Go error and a Go panic the site refuses calls: %v", err)
	}
	if st := site.Stats(); st.State != quarantine.Closed {
		t.Errorf("state %v, want closed: Go errors and panics are not native faults", st.State)
	}
}
