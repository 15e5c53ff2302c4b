//go:build cgo

package cgoguard_test

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// profileFaultingCalls CPU-profiles guarded calls that spend time in native
// code and then fault, and returns the (gzipped protobuf) profile.
func profileFaultingCalls(d time.Duration) ([]byte, int, error) {
	spin := fx.NewLongArg(2_000_000)
	defer spin.Free()
	var buf bytes.Buffer
	if err := pprof.StartCPUProfile(&buf); err != nil {
		return nil, 0, err
	}
	faults := 0
	for deadline := time.Now().Add(d); time.Now().Before(deadline); {
		if err := cgoguard.Call(fx.SpinThenFault.Fn, spin.Ptr()); !errors.Is(err, cgoguard.ErrNativeFault) {
			pprof.StopCPUProfile()
			return nil, faults, err
		}
		faults++
	}
	pprof.StopCPUProfile()
	return buf.Bytes(), faults, nil
}

// profileStrings returns the decompressed profile; function names are plain
// strings in its string table.
func profileStrings(t *testing.T, profile []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(profile))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func init() {
	childScenarios["profile-with-traceback"] = func() {
		if err := cgoguard.Init(cgoguard.WithCgoTraceback()); err != nil {
			panic(err)
		}
		profile, _, err := profileFaultingCalls(1500 * time.Millisecond)
		if err != nil {
			panic(err)
		}
		if err := os.WriteFile(os.Getenv("CGOGUARD_PROFILE_OUT"), profile, 0o600); err != nil {
			panic(err)
		}
	}
}

func TestCPUProfileWhileFaulting(t *testing.T) {
	profile, faults, err := profileFaultingCalls(time.Second)
	if err != nil {
		t.Fatal(err)
	}
	raw := profileStrings(t, profile)
	if faults == 0 || !bytes.Contains(raw, []byte("TestCPUProfileWhileFaulting")) {
		t.Fatalf("%d faults; the profile (%d bytes) has no samples of this test", faults, len(raw))
	}
	if bytes.Contains(raw, []byte("cgg_fx_spin")) {
		t.Error("without cgo traceback support the profile should not name native functions")
	}

	// With the traceback support (process-wide, once): native frames appear.
	out := filepath.Join(t.TempDir(), "cpu.pprof")
	code, sig, stderr := runChild(t, "profile-with-traceback", "CGOGUARD_PROFILE_OUT="+out)
	if code != 0 || sig != 0 {
		t.Fatalf("child: exit %d signal %v\n%s", code, sig, stderr)
	}
	withTraceback, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// The fixture spends its time in the static function spin() of fixtures.c.
	raw = profileStrings(t, withTraceback)
	if !bytes.Contains(raw, []byte("fixtures.c")) || !bytes.Contains(raw, []byte("\x04spin")) {
		t.Errorf("with WithCgoTraceback the profile does not name the native function spin() in fixtures.c")
	}
}

// Async preemption (SIGURG) still works while guarded calls fault: a tight
// loop with no function calls must not block a garbage collection.
func TestAsyncPreemptionWhileFaulting(t *testing.T) {
	var stop atomic.Bool
	defer stop.Store(true)
	spinning := make(chan struct{})
	go func() {
		close(spinning)
		x := 0
		for !stop.Load() {
			x++
		}
		_ = x
	}()
	<-spinning
	go func() {
		for !stop.Load() {
			_ = cgoguard.Call(fx.NullWrite.Fn, nil)
		}
	}()
	done := make(chan struct{})
	go func() {
		for i := 0; i < 5; i++ {
			runtime.GC()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("GC did not complete: the tight loop was not preempted")
	}
}
