//go:build cgo

package taint_test

import (
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/taint"
)

func TestMain(m *testing.M) {
	if err := cgoguard.Init(cgoguard.ContainAbort()); err != nil {
		panic(err)
	}
	os.Exit(m.Run())
}

func TestOnSignalDrainsAfterAContainedAbort(t *testing.T) {
	p := taint.NewPolicy(taint.OnSignal(syscall.SIGABRT))
	defer p.Close()
	cgoguard.Call(fx.NullWrite.Fn, nil) // a SIGSEGV: not this rule's
	if p.Draining() {
		t.Fatal("drains after a SIGSEGV")
	}
	err := cgoguard.Call(fx.Abort.Fn, nil)
	st := p.Status()
	if err == nil || !st.Drain || st.Reason != "a contained SIGABRT" || st.FaultID == 0 || st.Since.IsZero() {
		t.Errorf("after abort (%v): %+v", err, st)
	}
	cgoguard.Call(fx.NullWrite.Fn, nil)
	if p.Status() != st {
		t.Errorf("the verdict changed: %+v, was %+v", p.Status(), st)
	}
}

func TestOnUnknownExceptionTellsForeignFromStdExceptions(t *testing.T) {
	p := taint.NewPolicy(taint.OnUnknownException())
	defer p.Close()
	if err := cgoguard.Call(fx.CxxThrow.Fn, nil); err == nil || p.Draining() {
		t.Fatalf("a std::exception (%v) made the policy drain: %+v", err, p.Status())
	}
	cgoguard.Call(fx.CxxThrowForeign.Fn, nil)
	if st := p.Status(); !st.Drain || !strings.Contains(st.Reason, "not derived from std::exception") {
		t.Errorf("after a foreign exception: %+v", st)
	}
}

func TestAfterFaultsCountsWithinTheSpan(t *testing.T) {
	p := taint.NewPolicy(taint.AfterFaults(3, time.Hour))
	defer p.Close()
	for i := range 2 {
		cgoguard.Call(fx.NullRead.Fn, nil)
		if p.Draining() {
			t.Fatalf("draining after %d faults", i+1)
		}
	}
	cgoguard.Call(fx.NullRead.Fn, nil)
	if st := p.Status(); !st.Drain || st.Reason != "3 native faults within 1h0m0s" {
		t.Errorf("after 3 faults: %+v", st)
	}

	// Faults spread wider than the span never add up.
	slow := taint.NewPolicy(taint.AfterFaults(2, 20*time.Millisecond))
	defer slow.Close()
	for range 3 {
		cgoguard.Call(fx.NullRead.Fn, nil)
		time.Sleep(60 * time.Millisecond)
	}
	if slow.Draining() {
		t.Errorf("faults 60 ms apart matched 2 within 20 ms: %+v", slow.Status())
	}
}

func TestNoRulesAndCloseNeverDrain(t *testing.T) {
	none := taint.NewPolicy()
	defer none.Close()
	closed := taint.NewPolicy(taint.AfterFaults(1, time.Hour))
	closed.Close()
	cgoguard.Call(fx.Abort.Fn, nil)
	if none.Draining() || closed.Draining() {
		t.Errorf("no rules: %+v; closed: %+v", none.Status(), closed.Status())
	}
}

func TestAfterFaultsRejectsBadArguments(t *testing.T) {
	for _, c := range []struct {
		n int
		d time.Duration
	}{{0, time.Second}, {1, 0}} {
		func() {
			defer func() {
				if v := recover(); v == nil || !strings.Contains(v.(string), "taint.AfterFaults") {
					t.Errorf("AfterFaults(%d, %v) panicked with %v", c.n, c.d, v)
				}
			}()
			taint.AfterFaults(c.n, c.d)
		}()
	}
}
