//go:build cgo

package crashmonitor_test

import (
	"fmt"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// containedFingerprint contains the fault of the fixture that the
// unguarded scenarios crash with (a null write, or abort()) and returns
// its fingerprint.
func containedFingerprint(abort bool) string {
	fixture := crashfixtures.NullWrite
	if abort {
		cgoguard.Init(cgoguard.ContainAbort())
		fixture = crashfixtures.Abort
	} else {
		cgoguard.Init()
	}
	<-cgoguard.SymbolizerReady()
	nf := cgoguard.Call(fixture.Fn, nil).(*cgoguard.NativeFault)
	nf.Symbolize()
	fmt.Printf("frames=%v\n", nf.Frames)
	return nf.Fingerprint
}
