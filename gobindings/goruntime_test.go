//go:build cgo

package cgoguard_test

import (
	"errors"
	"runtime"
	"strings"
	"syscall"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

// With cgoguard installed, a fault in Go code is still the Go runtime's.
func TestGoNilDereferenceStillPanics(t *testing.T) {
	before := cgoguard.Stats().ChainedTotal
	err := recoverFrom(func() {
		var p *struct{ x int }
		p.x = 1 // SIGSEGV in Go code
	})
	var rerr runtime.Error
	if !errors.As(err, &rerr) || !strings.Contains(rerr.Error(), "nil pointer dereference") {
		t.Fatalf("recovered %v, want a runtime.Error nil pointer dereference", err)
	}
	if cgoguard.Stats().ChainedTotal <= before {
		t.Error("the Go fault did not pass through cgoguard's chain to the Go handler")
	}
}

// recoverFrom runs fn and returns what it panicked with, as an error.
func recoverFrom(fn func()) (err error) {
	defer func() {
		r := recover()
		if e, ok := r.(error); ok {
			err = e
		} else if r != nil {
			err = errors.New(r.(string))
		}
	}()
	fn()
	return nil
}

type callbackPanic struct{}

func (callbackPanic) Error() string { return "panic from the Go callback" }

// A guarded C function calls back into Go; the Go code panics. The panic
// must reach Call's caller unchanged, and no guard may stay behind.
func TestPanicInCallbackPropagates(t *testing.T) {
	runtime.LockOSThread() // so that guard depth is read on the right thread
	defer runtime.UnlockOSThread()
	cb := fx.NewCallback(func() { panic(callbackPanic{}) })
	defer cb.Free()
	for i := 0; i < 3; i++ {
		err := recoverFrom(func() {
			_ = cgoguard.Call(fx.CallCallback.Fn, cb.Ptr())
			t.Fatal("Call returned; the panic should have propagated")
		})
		if !errors.Is(err, callbackPanic{}) {
			t.Fatalf("recovered %v, want the callback's panic", err)
		}
		if d := cgoguard.GuardDepth(); d != 0 {
			t.Fatalf("after the panic %d guard(s) remain armed on this thread", d)
		}
	}
	// Guarded calls keep working, on this thread and elsewhere.
	if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.Is(err, cgoguard.ErrNativeFault) {
		t.Errorf("guarded fault after the panic: %v", err)
	}
	done := make(chan error)
	go func() { done <- cgoguard.Call(fx.NullRead.Fn, nil) }()
	if err := <-done; !errors.Is(err, cgoguard.ErrNativeFault) {
		t.Errorf("guarded fault on another goroutine: %v", err)
	}
}

// A nil dereference in Go code reached through a callback from guarded C is
// an ordinary Go panic, not a native fault: jumping over Go frames would
// kill the process.
func TestGoFaultInCallbackIsGoPanic(t *testing.T) {
	cb := fx.NewCallback(func() {
		var p *int
		*p = 1
	})
	defer cb.Free()
	err := recoverFrom(func() { _ = cgoguard.Call(fx.CallCallback.Fn, cb.Ptr()) })
	var rerr runtime.Error
	if !errors.As(err, &rerr) || errors.Is(err, cgoguard.ErrNativeFault) {
		t.Fatalf("recovered %v, want a Go runtime.Error", err)
	}
	if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.Is(err, cgoguard.ErrNativeFault) {
		t.Errorf("guarded fault afterwards: %v", err)
	}
}

// A native fault in C that Go code called from a callback of guarded C: Go
// frames lie between the fault and the guard, so it is not the guard's.
func TestNativeFaultBehindCallbackIsTheInnerGuards(t *testing.T) {
	var inner error
	cb := fx.NewCallback(func() { inner = cgoguard.Call(fx.NullRead.Fn, nil) })
	defer cb.Free()
	if err := cgoguard.Call(fx.CallCallback.Fn, cb.Ptr()); err != nil {
		t.Fatalf("outer Call = %v; the fault belongs to the inner guard", err)
	}
	var nf *cgoguard.NativeFault
	if !errors.As(inner, &nf) || nf.Addr != fx.NullReadAddr {
		t.Fatalf("inner Call = %v, want the null read", inner)
	}
}

// Calls nested through callbacks deeper than CGG_MAX_GUARD_DEPTH (64): the
// first one past it cannot arm its guard and says so, and every call above
// it still returns normally.
func TestCallPastTheGuardDepthFails(t *testing.T) {
	var errs []error
	var nest func(depth int)
	cb := fx.NewCallback(func() { nest(len(errs)) })
	defer cb.Free()
	nest = func(depth int) {
		if depth > 70 {
			return
		}
		errs = append(errs, nil)
		errs[depth] = cgoguard.Call(fx.CallCallback.Fn, cb.Ptr())
	}
	nest(0)
	for depth, err := range errs {
		switch {
		case depth < 64 && err != nil:
			t.Errorf("Call at depth %d = %v, want nil", depth, err)
		case depth == 64 && !errors.Is(err, syscall.EOVERFLOW):
			t.Errorf("Call at depth %d = %v, want EOVERFLOW", depth, err)
		}
	}
	if len(errs) != 65 {
		t.Errorf("%d nested calls ran, want 65 (the 65th cannot run fn)", len(errs))
	}
}

func init() {
	// Panic through guarded frames, recover, then an unguarded native fault
	// on the same thread, deeper than the abandoned guard: it must not be
	// "caught" by the dead guard.
	childScenarios["stale-guard-then-unguarded-fault"] = func() {
		if err := cgoguard.Init(); err != nil {
			panic(err)
		}
		runtime.LockOSThread()
		cb := fx.NewCallback(func() { panic("from callback") })
		func() {
			defer func() { _ = recover() }()
			_ = cgoguard.Call(fx.CallCallback.Fn, cb.Ptr())
		}()
		deeper(8)
	}
	childScenarios["unguarded-fault-with-cgoguard"] = func() {
		if err := cgoguard.Init(); err != nil {
			panic(err)
		}
		fx.NullWriteUnguarded()
	}
	childScenarios["unguarded-fault-without-cgoguard"] = func() {
		fx.NullWriteUnguarded()
	}
	childScenarios["guarded-raise"] = func() {
		if err := cgoguard.Init(); err != nil {
			panic(err)
		}
		_ = cgoguard.Call(fx.RaiseSegv.Fn, nil)
	}
}

//go:noinline
func deeper(n int) {
	if n == 0 {
		fx.NullWriteUnguarded()
		return
	}
	deeper(n - 1)
}

// goCrash checks a child ended the way the Go runtime ends a process after a
// fault in C code: exit status 2, SIGSEGV and goroutine traces on stderr.
func goCrash(t *testing.T, scenario string) string {
	t.Helper()
	code, sig, stderr := runChild(t, scenario)
	if code != 2 || sig != 0 {
		t.Fatalf("child %s: exit %d signal %v, want exit status 2\n%s", scenario, code, sig, stderr)
	}
	for _, want := range []string{"SIGSEGV", "goroutine "} {
		if !strings.Contains(stderr, want) {
			t.Errorf("child %s stderr lacks %q:\n%s", scenario, want, stderr)
		}
	}
	return stderr
}

func TestStaleGuardDoesNotCatchLaterFault(t *testing.T) {
	stderr := goCrash(t, "stale-guard-then-unguarded-fault")
	if !strings.Contains(stderr, "deeper") {
		t.Errorf("the crash report should show the Go caller of the fault:\n%s", stderr)
	}
}

func TestUnguardedNativeFaultCrashesAsWithoutCgoguard(t *testing.T) {
	with := goCrash(t, "unguarded-fault-with-cgoguard")
	without := goCrash(t, "unguarded-fault-without-cgoguard")
	firstLine := func(s string) string { line, _, _ := strings.Cut(s, "\n"); return line }
	if firstLine(with) != firstLine(without) {
		t.Errorf("crash reports differ:\nwith cgoguard:    %s\nwithout cgoguard: %s", firstLine(with), firstLine(without))
	}
}

// raise(SIGSEGV) is not a fault: even inside a guard it goes to Go, which
// dies of it.
func TestRaisedSignalIsNotContained(t *testing.T) {
	code, sig, stderr := runChild(t, "guarded-raise")
	if code == 0 && sig == 0 {
		t.Fatalf("child survived a raised SIGSEGV:\n%s", stderr)
	}
	if !strings.Contains(stderr, "SIGSEGV") {
		t.Errorf("stderr lacks SIGSEGV:\n%s", stderr)
	}
}
