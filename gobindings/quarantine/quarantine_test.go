//go:build cgo

package quarantine_test

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

func TestMain(m *testing.M) {
	if err := cgoguard.Init(); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady() // tests read fault names right after Call
	os.Exit(m.Run())
}

// clock is a fake time source the test moves by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Unix(1_700_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// native is a counter in C memory and the two calls a test makes on it:
// one that increments it, one that faults.
type native struct{ counter fx.CArg }

func newNative(t *testing.T) *native {
	n := &native{counter: fx.NewIntArg(0)}
	t.Cleanup(n.counter.Free)
	return n
}

func (n *native) ok(s *quarantine.Site) error    { return s.Call(fx.Increment.Fn, n.counter.Ptr()) }
func (n *native) fault(s *quarantine.Site) error { return s.Call(fx.NullWrite.Fn, nil) }

func mustFault(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, cgoguard.ErrNativeFault) {
		t.Fatalf("got %v, want a native fault", err)
	}
}

func mustBeQuarantined(t *testing.T, err error) *quarantine.Error {
	t.Helper()
	var qe *quarantine.Error
	if !errors.Is(err, quarantine.ErrQuarantined) || !errors.As(err, &qe) {
		t.Fatalf("got %v, want ErrQuarantined", err)
	}
	return qe
}

// The whole cycle: faults trip the site, calls fail fast without entering
// native code, a probe after the cool-down runs after the reset hook, and
// the site closes again.
func TestTripFailFastProbeRecover(t *testing.T) {
	clk := newClock()
	var transitions []string
	q := quarantine.New(quarantine.Threshold(3), quarantine.Window(10*time.Second), quarantine.Cooldown(30*time.Second),
		quarantine.WithClock(clk.Now),
		quarantine.OnStateChange(func(site string, from, to quarantine.State) {
			transitions = append(transitions, site+": "+from.String()+" -> "+to.String())
		}))
	n := newNative(t)
	var resets int
	site := q.Site("decoder", quarantine.WithReset(func() error {
		resets++
		return nil
	}))

	for range 3 {
		mustFault(t, n.fault(site))
		clk.Advance(time.Second)
	}
	if st := site.Stats(); st.State != quarantine.Open || st.Trips != 1 || st.Faults != 3 {
		t.Fatalf("after 3 faults in 3 s: %+v", st)
	}

	// Open: fail fast, no native code runs.
	contained := cgoguard.Stats().ContainedTotal
	for range 5 {
		qe := mustBeQuarantined(t, n.fault(site))
		if qe.Site != "decoder" || qe.RetryAfter != 29*time.Second {
			t.Errorf("error %+v, want site decoder, retry after 29s", qe)
		}
		mustBeQuarantined(t, n.ok(site))
	}
	if n.counter.Int() != 0 || cgoguard.Stats().ContainedTotal != contained {
		t.Fatal("a quarantined call entered native code")
	}
	if resets != 0 {
		t.Fatal("reset ran before the cool-down")
	}

	// After the cool-down: one probe, after the reset hook.
	clk.Advance(29 * time.Second)
	if err := n.ok(site); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if resets != 1 || n.counter.Int() != 1 {
		t.Errorf("resets %d, counter %d; want the reset hook once, then the probe", resets, n.counter.Int())
	}
	if err := n.ok(site); err != nil || n.counter.Int() != 2 {
		t.Errorf("after recovery: %v, counter %d", err, n.counter.Int())
	}
	st := site.Stats()
	want := quarantine.SiteStats{Name: "decoder", State: quarantine.Closed, StateName: "closed",
		Calls: 5, Faults: 3, Trips: 1, Rejected: 10, Probes: 1, Resets: 1}
	if st != want {
		t.Errorf("stats\n got %+v\nwant %+v", st, want)
	}
	wantTransitions := []string{"decoder: closed -> open", "decoder: open -> half-open", "decoder: half-open -> closed"}
	if len(transitions) != 3 || transitions[0] != wantTransitions[0] || transitions[1] != wantTransitions[1] ||
		transitions[2] != wantTransitions[2] {
		t.Errorf("transitions %q, want %q", transitions, wantTransitions)
	}
}

func TestFaultsSpreadBeyondTheWindowDoNotTrip(t *testing.T) {
	clk := newClock()
	q := quarantine.New(quarantine.Threshold(3), quarantine.Window(10*time.Second), quarantine.WithClock(clk.Now))
	n := newNative(t)
	site := q.Site("sparse")
	for range 10 {
		mustFault(t, n.fault(site))
		clk.Advance(6 * time.Second) // any 3 consecutive faults span 12 s
	}
	if st := site.Stats(); st.State != quarantine.Closed || st.Faults != 10 || st.Trips != 0 {
		t.Errorf("%+v", st)
	}
	// Successful calls in between do not reset the count: three faults
	// within the window trip whatever succeeded meanwhile.
	clk.Advance(time.Minute)
	for range 2 {
		mustFault(t, n.fault(site))
		if err := n.ok(site); err != nil {
			t.Fatal(err)
		}
	}
	mustFault(t, n.fault(site))
	if st := site.Stats(); st.State != quarantine.Open {
		t.Errorf("three faults in a row within the window: %+v", st)
	}
}

func TestFailedProbeReopensForAnotherCooldown(t *testing.T) {
	clk := newClock()
	q := quarantine.New(quarantine.Threshold(1), quarantine.Cooldown(time.Minute), quarantine.WithClock(clk.Now))
	n := newNative(t)
	site := q.Site("stubborn")
	mustFault(t, n.fault(site))
	clk.Advance(time.Minute)
	mustFault(t, n.fault(site)) // the probe faults
	if qe := mustBeQuarantined(t, n.ok(site)); qe.RetryAfter != time.Minute {
		t.Errorf("retry after %v, want a full cool-down", qe.RetryAfter)
	}
	clk.Advance(time.Minute)
	if err := n.ok(site); err != nil {
		t.Fatalf("second probe: %v", err)
	}
	st := site.Stats()
	if st.State != quarantine.Closed || st.Probes != 2 || st.ProbeFailures != 1 || st.Trips != 1 || st.Faults != 2 {
		t.Errorf("%+v", st)
	}
}

func TestFailedResetKeepsTheSiteOpen(t *testing.T) {
	clk := newClock()
	q := quarantine.New(quarantine.Threshold(1), quarantine.Cooldown(time.Minute), quarantine.WithClock(clk.Now))
	n := newNative(t)
	broken := errors.New("cannot re-initialize")
	fail := true
	site := q.Site("reinit", quarantine.WithReset(func() error {
		if fail {
			return broken
		}
		return nil
	}))
	mustFault(t, n.fault(site))
	clk.Advance(time.Minute)
	qe := mustBeQuarantined(t, n.ok(site))
	if !errors.Is(qe, broken) || n.counter.Int() != 0 {
		t.Fatalf("got %v (counter %d), want the reset error and no call", qe, n.counter.Int())
	}
	mustBeQuarantined(t, n.ok(site)) // open again for a full cool-down
	fail = false
	clk.Advance(time.Minute)
	if err := n.ok(site); err != nil || n.counter.Int() != 1 {
		t.Fatalf("after a good reset: %v, counter %d", err, n.counter.Int())
	}
	if st := site.Stats(); st.Resets != 2 || st.ResetFailures != 1 || st.Probes != 2 || st.Calls != 2 {
		t.Errorf("%+v", st)
	}
}

// While the probe runs, every other call fails fast: one probe at a time.
func TestOneProbeAtATime(t *testing.T) {
	clk := newClock()
	q := quarantine.New(quarantine.Threshold(1), quarantine.Cooldown(time.Second), quarantine.WithClock(clk.Now))
	site := q.Site("slow")
	mustFault(t, site.Do(func() error { return cgoguard.Call(fx.NullWrite.Fn, nil) }))
	clk.Advance(time.Second)

	inProbe, release := make(chan struct{}), make(chan struct{})
	probeDone := make(chan error)
	go func() {
		probeDone <- site.Do(func() error {
			close(inProbe)
			<-release
			return nil
		})
	}()
	<-inProbe
	var rejected atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errors.Is(site.Do(func() error { return nil }), quarantine.ErrQuarantined) {
				rejected.Add(1)
			}
		}()
	}
	wg.Wait()
	close(release)
	if err := <-probeDone; err != nil {
		t.Fatal(err)
	}
	if rejected.Load() != 20 || site.Stats().State != quarantine.Closed {
		t.Errorf("%d of 20 calls rejected during the probe; state %v", rejected.Load(), site.Stats().State)
	}
}

// A probe that panics must not leave the site half-open for ever.
func TestPanickingProbeReopens(t *testing.T) {
	clk := newClock()
	q := quarantine.New(quarantine.Threshold(1), quarantine.Cooldown(time.Second), quarantine.WithClock(clk.Now))
	site := q.Site("panicky")
	mustFault(t, site.Call(fx.NullWrite.Fn, nil))
	clk.Advance(time.Second)
	func() {
		defer func() { recover() }()
		site.Do(func() error { panic("probe blew up") })
	}()
	if st := site.Stats(); st.State != quarantine.Open || st.ProbeFailures != 1 {
		t.Errorf("%+v", st)
	}
}

// Sites keyed by the native function are named by their first fault's
// fingerprint; each function has its own site.
func TestSitesByFunctionAreNamedByFingerprint(t *testing.T) {
	q := quarantine.New(quarantine.Threshold(2))
	n := newNative(t)
	if err := q.Call(fx.Increment.Fn, n.counter.Ptr()); err != nil {
		t.Fatal(err)
	}
	var nf *cgoguard.NativeFault
	if !errors.As(q.Call(fx.NullRead.Fn, nil), &nf) {
		t.Fatal("no fault")
	}
	mustFault(t, q.Call(fx.NullRead.Fn, nil))
	mustBeQuarantined(t, q.Call(fx.NullRead.Fn, nil))
	if err := q.Call(fx.Increment.Fn, n.counter.Ptr()); err != nil {
		t.Fatalf("another function's site is not affected: %v", err)
	}
	sites := q.Sites()
	if len(sites) != 2 || sites[0].Name != "" || sites[0].Calls != 2 || sites[1].Name != nf.Fingerprint ||
		sites[1].State != quarantine.Open || q.Func(fx.NullRead.Fn).Name() != nf.Fingerprint {
		t.Errorf("sites %+v, want the faulting one named %s", sites, nf.Fingerprint)
	}
}

func TestDefaults(t *testing.T) {
	clk := newClock()
	q := quarantine.New(quarantine.WithClock(clk.Now))
	site := q.Site("defaults")
	for range quarantine.DefaultThreshold - 1 {
		mustFault(t, site.Call(fx.NullWrite.Fn, nil))
		clk.Advance(quarantine.DefaultWindow / quarantine.DefaultThreshold)
	}
	if site.Stats().State != quarantine.Closed {
		t.Fatal("tripped below the threshold")
	}
	mustFault(t, site.Call(fx.NullWrite.Fn, nil))
	if st := site.Stats(); st.State != quarantine.Open || !st.RetryAt.Equal(clk.Now().Add(quarantine.DefaultCooldown)) {
		t.Fatalf("%+v", st)
	}
	if quarantine.DefaultThreshold != 5 || quarantine.DefaultWindow != time.Minute || quarantine.DefaultCooldown != 30*time.Second {
		t.Error("the documented defaults changed")
	}
}

// The healthy path costs a lock and no allocation.
func TestClosedSiteCallAllocatesNothing(t *testing.T) {
	site := quarantine.New().Site("hot")
	allocs := testing.AllocsPerRun(1000, func() {
		if err := site.Call(fx.Empty.Fn, nil); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a call through a closed site allocates %.1f times", allocs)
	}
}

func BenchmarkSiteCall(b *testing.B) {
	site := quarantine.New().Site("hot")
	for b.Loop() {
		site.Call(fx.Empty.Fn, nil)
	}
}
