//go:build cgo

package cgoguard_test

import (
	"io"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

func init() {
	// A CPU profile at 2 kHz with the cgo traceback registered, over guarded
	// code that runs on a stack of its own with a frame-pointer chain into
	// an unmapped hole: every sample walks that chain from Go's SIGPROF
	// handler.
	childScenarios["profile-smashed-frames"] = func() {
		if err := cgoguard.Init(cgoguard.WithCgoTraceback()); err != nil {
			panic(err)
		}
		spin := fx.NewLongArg(3_000_000)
		defer spin.Free()
		runtime.SetCPUProfileRate(2000) // pprof then keeps this rate (and says so on stderr)
		if err := pprof.StartCPUProfile(io.Discard); err != nil {
			panic(err)
		}
		for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); {
			if err := cgoguard.Call(fx.SmashedFrames.Fn, spin.Ptr()); err != nil {
				panic(err)
			}
		}
		pprof.StopCPUProfile()
	}
}

func TestCPUProfileOverSmashedFramePointers(t *testing.T) {
	code, sig, stderr := runChild(t, "profile-smashed-frames")
	if code != 0 || sig != 0 {
		t.Fatalf("child: exit %d signal %v\n%s", code, sig, stderr)
	}
}
