//go:build cgo

package cgoguard_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"syscall"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// The path of a call that the build flag guards, without a rewritten
// package: the C wrapper's code, then the Go stub's raise, under Catch.
func TestBuildFlagPathPanicsWithTheFault(t *testing.T) {
	var delivered *cgoguard.NativeFault
	cancel := cgoguard.OnFault(func(nf *cgoguard.NativeFault) { delivered = nf })
	defer cancel()

	if code := cgoguard.BuildFlagCall(fx.Empty.Fn, nil); code != 0 {
		t.Fatalf("a clean call returned code %d", code)
	}
	code := cgoguard.BuildFlagCall(fx.NullWrite.Fn, nil)
	if code < 1<<20 {
		t.Fatalf("a faulting call returned code %d, want a parked code", code)
	}
	err := cgoguard.Catch(func() { cgoguard.RaiseFault(code) })
	var nf *cgoguard.NativeFault
	if !errors.As(err, &nf) || !errors.Is(err, cgoguard.ErrNativeFault) || nf.Signal != syscall.SIGSEGV {
		t.Fatalf("Catch returned %v, want the SIGSEGV fault", err)
	}
	if nf.Addr != fx.NullWriteAddr {
		t.Errorf("fault address %#x, want %#x", nf.Addr, fx.NullWriteAddr)
	}
	if delivered != nf {
		t.Errorf("OnFault got %p, want the raised fault %p", delivered, nf)
	}
	// The Go stack starts at the code that made the call: no raise frame.
	nf.Symbolize()
	if len(nf.GoStack) == 0 || !strings.HasPrefix(nf.GoStack[0].Function, "github.com/cgoguard/cgoguard/gobindings_test.TestBuildFlagPathPanicsWithTheFault.func") {
		t.Errorf("Go stack starts at %v", nf.GoStack)
	}
	// An errno that merely looks large is not a fault: the stub goes on.
	cgoguard.RaiseFault(5)
	cgoguard.RaiseFault(1<<20 + 1<<14 + 1)
}

func TestCatch(t *testing.T) {
	if err := cgoguard.Catch(func() {}); err != nil {
		t.Fatalf("Catch of a function that returned: %v", err)
	}
	repanics := func(name string, fn func(), check func(v any) bool) {
		t.Helper()
		defer func() {
			if v := recover(); !check(v) {
				t.Errorf("%s: Catch panicked again with %v (%T)", name, v, v)
			}
		}()
		err := cgoguard.Catch(fn)
		t.Errorf("%s: Catch returned %v instead of panicking again", name, err)
	}
	repanics("a Go panic", func() { panic("boom") }, func(v any) bool { return v == "boom" })
	repanics("a Go nil dereference", func() {
		var p *int
		_ = *p
	}, func(v any) bool { _, ok := v.(runtime.Error); return ok })
	nf := &cgoguard.NativeFault{Signal: syscall.SIGSEGV}
	wrapped := fmt.Errorf("wrapped: %w", nf)
	repanics("an error wrapping a fault", func() { panic(wrapped) }, func(v any) bool { return v == wrapped })
	if err := cgoguard.Catch(func() { panic(nf) }); err != nf {
		t.Errorf("Catch of a panic with a *NativeFault returned %v", err)
	}
}

// A fault's panic unwinds on the thread that faulted: the deferred clean-up
// of the code that made the call (rows.Close re-entering SQLite, whose
// connection mutex is recursive and belongs to that thread) runs there, even
// when the call ran long enough to lose its P to the other goroutines that
// keep every P busy, and when the goroutine yields during the clean-up.
func TestBuildFlagFaultUnwindsOnTheFaultingThread(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	for i := 0; i < runtime.GOMAXPROCS(0); i++ {
		go func() {
			for {
				select {
				case <-stop:
					return
				default:
					runtime.Gosched()
				}
			}
		}()
	}
	moved := 0
	const runs = 20
	for run := 0; run < runs; run++ {
		result := make(chan [2]int)
		go func() {
			var cleanupThread int
			err := cgoguard.Catch(func() {
				code := cgoguard.BuildFlagCall(cgoguard.SlowNullWrite(), nil)
				defer func() {
					for i := 0; i < 100; i++ {
						runtime.Gosched()
					}
					cleanupThread = syscall.Gettid()
				}()
				cgoguard.RaiseFault(code)
			})
			var nf *cgoguard.NativeFault
			if !errors.As(err, &nf) {
				t.Errorf("Catch returned %v, want the fault", err)
			}
			result <- [2]int{nf.ThreadID, cleanupThread}
		}()
		if r := <-result; r[0] != r[1] {
			moved++
		}
	}
	if moved != 0 {
		t.Errorf("in %d of %d runs the deferred clean-up ran on another thread than the fault's", moved, runs)
	}
}
