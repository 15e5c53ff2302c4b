//go:build cgo

package cgoguard_test

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
)

func TestSubscribersReceiveEveryReport(t *testing.T) {
	const faults = 200
	var first, second atomic.Int64
	var lastID atomic.Uint64
	cancel1 := cgoguard.OnFault(func(nf *cgoguard.NativeFault) { first.Add(1); lastID.Store(nf.ID) })
	cancel2 := cgoguard.OnFault(func(*cgoguard.NativeFault) { second.Add(1) })
	for i := 0; i < faults; i++ {
		err := cgoguard.Call(fx.NullWrite.Fn, nil)
		var nf *cgoguard.NativeFault
		if !errors.As(err, &nf) {
			t.Fatalf("fault %d: %v", i, err)
		}
		// Reports are delivered before Call returns, with the same fault.
		if lastID.Load() != nf.ID {
			t.Fatalf("subscriber saw fault %d, Call returned fault %d", lastID.Load(), nf.ID)
		}
	}
	cancel1()
	cancel1() // idempotent
	_ = cgoguard.Call(fx.NullWrite.Fn, nil)
	cancel2()
	if first.Load() != faults || second.Load() != faults+1 {
		t.Errorf("subscribers saw %d and %d reports, want %d and %d", first.Load(), second.Load(), faults, faults+1)
	}
}

func TestPanickingOrSlowSubscriberIsContained(t *testing.T) {
	before := cgoguard.Stats().SubscriberPanics
	var after atomic.Int64
	cancelPanic := cgoguard.OnFault(func(*cgoguard.NativeFault) { panic("subscriber bug") })
	cancelSlow := cgoguard.OnFault(func(*cgoguard.NativeFault) { time.Sleep(20 * time.Millisecond) })
	cancelAfter := cgoguard.OnFault(func(*cgoguard.NativeFault) { after.Add(1) })
	defer cancelAfter()
	err := cgoguard.Call(fx.NullRead.Fn, nil)
	cancelPanic()
	cancelSlow()
	var nf *cgoguard.NativeFault
	if !errors.As(err, &nf) || nf.Addr != fx.NullReadAddr {
		t.Fatalf("Call = %v, want the null-read fault despite the subscribers", err)
	}
	if after.Load() != 1 {
		t.Errorf("a subscriber after the panicking one got %d reports, want 1", after.Load())
	}
	if got := cgoguard.Stats().SubscriberPanics - before; got != 1 {
		t.Errorf("SubscriberPanics grew by %d, want 1", got)
	}
}

func TestStatsCountContainedFaults(t *testing.T) {
	before := cgoguard.Stats()
	_ = cgoguard.Call(fx.NullWrite.Fn, nil)
	_ = cgoguard.Call(fx.BusPastEOF.Fn, nil)
	_ = cgoguard.Call(fx.CxxThrow.Fn, nil)
	after := cgoguard.Stats()
	if d := after.Contained[11] - before.Contained[11]; d != 1 {
		t.Errorf("SIGSEGV count grew by %d, want 1", d)
	}
	if d := after.Contained[7] - before.Contained[7]; d != 1 {
		t.Errorf("SIGBUS count grew by %d, want 1", d)
	}
	if d := after.CxxExceptions - before.CxxExceptions; d != 1 {
		t.Errorf("C++ exception count grew by %d, want 1", d)
	}
	if d := after.ContainedTotal - before.ContainedTotal; d != 3 {
		t.Errorf("ContainedTotal grew by %d, want 3", d)
	}
	if !after.Tainted || !cgoguard.Tainted() || !after.HandlersIntact {
		t.Errorf("Tainted %v, HandlersIntact %v: want tainted, intact", after.Tainted, after.HandlersIntact)
	}
}
