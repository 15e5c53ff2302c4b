//go:build cgo

package crashfixtures

// This file imports "testing" although the package is not a test: RunEach
// needs *testing.T to run subtests. That is fine for a package whose purpose
// is testing: since Go 1.13 importing "testing" registers no flags and runs
// nothing at init (testing.Init, called only by a test binary's main, does
// that), so a program that imports crashfixtures for Handler only carries
// the extra code.

import (
	"errors"
	"sync"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// Check inspects what the code path under test returned for one crash kind
// and reports what is wrong on t (t.Errorf or t.Fatalf).
type Check func(t *testing.T, k Kind, err error)

// RunEach runs call once per crash kind of this architecture (Kinds), each
// in a subtest named after the kind, and checks that the process survived
// and the fault arrived where the test expects it.
//
// call receives the kind and must make the kind's fixture run the way the
// service runs its native code — through the same guarded call, handler,
// middleware or goroutine — by calling k.Fixture.Fn (a `void fn(void*)`,
// nil argument) where the service would call its C function. It returns
// whatever error reached the end of that path: the error the service's
// function returned, the fault of an incident its hook received, or nil.
//
// For every kind RunEach checks that
//   - a fault of that kind was contained while call ran (a cgoguard report
//     with the kind's signal or C++ exception arrived): the fixture did run,
//     and under a guard;
//   - the process still runs guarded native code afterwards (a clean guarded
//     call on the test's goroutine returns normally);
//   - each of checks passes; with no checks, ExpectFault.
//
// Kinds that end in abort() are skipped, with a message saying so, unless
// the process contains SIGABRT (cgoguard.Init(cgoguard.ContainAbort()), for
// example in TestMain): firing them would end the test binary. A kind whose
// fault escapes every guard ends the test binary, as it would end the
// service: that is the failure RunEach exists to find.
//
// The subtests run one after another (not in parallel): each must see only
// its own kind's fault reports.
func RunEach(t *testing.T, call func(t *testing.T, k Kind) error, checks ...Check) {
	t.Helper()
	if call == nil {
		t.Fatal("crashfixtures.RunEach: call is nil")
	}
	if len(checks) == 0 {
		checks = []Check{ExpectFault}
	}
	for _, k := range Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			t.Helper()
			if !k.ContainedNow() {
				t.Skip(notContainedReason(k))
			}
			reports := watchReports()
			err := call(t, k)
			faults := reports.stop()
			if !containsKind(faults, k) {
				t.Errorf("no %s was contained while the code path ran (%d other fault reports): "+
					"it did not call the fixture %s, or not under cgoguard.Call", describe(k), len(faults), k.Fixture.Name)
			}
			if !stillRunsNativeCode() {
				t.Fatalf("after %s, a clean guarded call on this goroutine no longer works", k.Name)
			}
			for _, check := range checks {
				check(t, k, err)
			}
		})
	}
}

// ExpectFault is the Check that err is or wraps a *cgoguard.NativeFault of
// the kind: its signal and one of its si_code values, or a C++ exception.
func ExpectFault(t *testing.T, k Kind, err error) {
	t.Helper()
	var nf *cgoguard.NativeFault
	switch {
	case err == nil:
		t.Errorf("the code path returned nil, want the %s as a *cgoguard.NativeFault", describe(k))
	case !errors.As(err, &nf):
		t.Errorf("the code path returned %q, which wraps no *cgoguard.NativeFault", err)
	case !k.Matches(nf):
		t.Errorf("the code path returned a different fault: %v (signal %v, code %d, exception %v), want the %s",
			nf, nf.Signal, nf.Code, nf.Exception, describe(k))
	}
}

// notContainedReason says why a kind is not fired.
func notContainedReason(k Kind) string {
	if k.NeedsContainAbort && !cgoguard.Contains(k.Signal) {
		return k.Name + " raises SIGABRT, which this process does not contain; " +
			"call cgoguard.Init(cgoguard.ContainAbort()) (in TestMain) to test it"
	}
	return k.Name + " raises " + cgoguard.SignalName(k.Signal) + ", which this process does not contain now " +
		"(another library's handler displaced cgoguard's: see cgoguard.Stats().Displaced)"
}

// describe names the fault a kind produces, for messages.
func describe(k Kind) string {
	if k.Exception() {
		return k.Name + " C++ exception"
	}
	return k.Name + " fault (" + cgoguard.SignalName(k.Signal) + ")"
}

// reportWatch collects the fault reports delivered while a code path runs.
type reportWatch struct {
	mu     sync.Mutex
	faults []*cgoguard.NativeFault
	cancel func()
}

func watchReports() *reportWatch {
	w := &reportWatch{}
	w.cancel = cgoguard.OnFault(func(nf *cgoguard.NativeFault) {
		w.mu.Lock()
		w.faults = append(w.faults, nf)
		w.mu.Unlock()
	})
	return w
}

func (w *reportWatch) stop() []*cgoguard.NativeFault {
	w.cancel()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.faults
}

func containsKind(faults []*cgoguard.NativeFault, k Kind) bool {
	for _, nf := range faults {
		if k.Matches(nf) {
			return true
		}
	}
	return false
}

// stillRunsNativeCode makes a clean guarded call with an observable effect.
func stillRunsNativeCode() bool {
	arg := NewIntArg(41)
	defer arg.Free()
	return cgoguard.Call(Increment.Fn, arg.Ptr()) == nil && arg.Int() == 42
}
