//go:build cgo

package safego_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/safego"
)

func TestMain(m *testing.M) {
	if err := cgoguard.Init(); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady() // tests read fault names right after Call
	os.Exit(m.Run())
}

func TestGoContainsAGoroutinePanic(t *testing.T) {
	s := newSink(t)
	safego.Go(func() {
		var m map[string]int
		m["boom"]++ // a runtime error: without safego, the process dies
	}, s.options("cache-warmer")...)
	inc := s.next(t)
	if inc.Kind != incident.KindPanic || inc.Origin != incident.OriginGoroutine || inc.Goroutine != "cache-warmer" {
		t.Errorf("incident %+v", inc)
	}
	if _, ok := inc.Value.(runtime.Error); !ok {
		t.Errorf("value %T, want the runtime.Error", inc.Value)
	}
	if len(inc.Stack) == 0 || !strings.Contains(inc.Stack[0].Function, "TestGoContainsAGoroutinePanic") {
		t.Errorf("the stack should start at the panicking function: %v", inc.Stack)
	}
	recs := s.Records(t)
	if len(recs) != 1 || recs[0]["incident_id"] != inc.ID || recs[0]["goroutine"] != "cache-warmer" ||
		recs[0]["kind"] != "panic" || recs[0]["level"] != "ERROR" {
		t.Errorf("log records %v", recs)
	}
	if snap := s.clusters.Snapshot(); snap.Totals.Panics != 1 || len(snap.Clusters) != 1 ||
		snap.Clusters[0].Fingerprint != inc.Fingerprint {
		t.Errorf("clusters %+v", snap)
	}
}

func TestGoContainsANativeFault(t *testing.T) {
	s := newSink(t)
	safego.Go(func() {
		if err := cgoguard.Call(fx.DivideByZero.Fn, nil); err != nil {
			panic(err)
		}
	}, s.options("")...)
	inc := s.next(t)
	if runtime.GOARCH == "amd64" && (inc.Kind != incident.KindNativeFault || inc.Signal() != "SIGFPE" || inc.Fault == nil) {
		t.Errorf("incident %+v", inc)
	}
	// Counted once: by the fault, not again by the incident.
	if snap := s.clusters.Snapshot(); snap.Totals.NativeFaults != 1 || snap.Clusters[0].Count != 1 ||
		snap.Clusters[0].Examples[0].IncidentID != inc.ID || snap.Clusters[0].Examples[0].Origin != "goroutine" {
		t.Errorf("clusters %+v", snap)
	}
}

// A member's panic becomes a *PanicError and cancels the group's context:
// the other members, blocked on it, stop.
func TestGroupPanicCancelsSiblings(t *testing.T) {
	s := newSink(t)
	g, ctx := safego.NewGroup(context.Background(), s.options("batch")...)
	stopped := make(chan error, 2)
	for range 2 {
		g.Go(func(ctx context.Context) error {
			<-ctx.Done()
			stopped <- ctx.Err()
			return ctx.Err()
		})
	}
	g.Go(func(ctx context.Context) error {
		panic("member exploded")
	})
	err := g.Wait()
	var pe *safego.PanicError
	if !errors.As(err, &pe) || pe.Value != "member exploded" {
		t.Fatalf("Wait = %v, want the *PanicError", err)
	}
	if !bytes.Contains(pe.Stack, []byte("TestGroupPanicCancelsSiblings")) || !bytes.Contains(pe.Stack, []byte("panic(")) {
		t.Errorf("Stack does not show the panic:\n%s", pe.Stack)
	}
	inc := s.next(t)
	if inc.ID != pe.IncidentID || inc.Goroutine != "batch" || !strings.Contains(pe.Error(), inc.ID) {
		t.Errorf("incident %+v, error %v", inc, pe)
	}
	for range 2 {
		if e := <-stopped; !errors.Is(e, context.Canceled) {
			t.Errorf("sibling stopped with %v", e)
		}
	}
	if context.Cause(ctx) != err {
		t.Errorf("context cause %v, want the panic error", context.Cause(ctx))
	}
}

// A native fault stays a *cgoguard.NativeFault, returned or panicked with,
// and cancels the group; only the panicked one is an incident.
func TestGroupNativeFaultStaysANativeFault(t *testing.T) {
	for _, how := range []string{"returned", "panicked"} {
		t.Run(how, func(t *testing.T) {
			s := newSink(t)
			g, ctx := safego.NewGroup(context.Background(), s.options("")...)
			g.Go(func(ctx context.Context) error {
				<-ctx.Done()
				return nil
			})
			g.Go(func(ctx context.Context) error {
				err := cgoguard.Call(fx.NullWrite.Fn, nil)
				if how == "panicked" {
					panic(err)
				}
				return err
			})
			err := g.Wait()
			var nf *cgoguard.NativeFault
			if !errors.As(err, &nf) || nf.Signal != syscall.SIGSEGV || ctx.Err() == nil {
				t.Fatalf("Wait = %v (%T), context %v", err, err, ctx.Err())
			}
			if _, isPanic := err.(*safego.PanicError); isPanic {
				t.Error("a native fault was wrapped in a PanicError")
			}
			reported := 0
			if how == "panicked" {
				if inc := s.next(t); inc.Fault != nf {
					t.Errorf("incident %+v", inc)
				}
				reported = 1
			}
			if n := len(s.Records(t)); n != reported {
				t.Errorf("%d log records, want %d", n, reported)
			}
			if snap := s.clusters.Snapshot(); snap.Totals.NativeFaults != 1 {
				t.Errorf("clusters counted %d faults, want 1", snap.Totals.NativeFaults)
			}
		})
	}
}

func TestGroupFirstErrorWinsAndSuccessIsNil(t *testing.T) {
	g, ctx := safego.NewGroup(context.Background())
	for range 5 {
		g.Go(func(ctx context.Context) error { return nil })
	}
	if err := g.Wait(); err != nil || ctx.Err() == nil {
		t.Errorf("Wait = %v, context %v; want nil and a canceled context", err, ctx.Err())
	}

	first := errors.New("first")
	g, _ = safego.NewGroup(context.Background())
	g.Go(func(ctx context.Context) error { return first })
	g.Go(func(ctx context.Context) error {
		<-ctx.Done()
		return errors.New("second, after the cancel")
	})
	if err := g.Wait(); err != first {
		t.Errorf("Wait = %v, want the first error", err)
	}
}

// PanicError unwraps to an error value, so errors.Is sees through it.
func TestPanicErrorUnwraps(t *testing.T) {
	sentinel := errors.New("sentinel")
	g, _ := safego.NewGroup(context.Background(), safego.WithReporter(incident.Reporter{Logger: slog.New(slog.DiscardHandler)}))
	g.Go(func(ctx context.Context) error { panic(sentinel) })
	if err := g.Wait(); !errors.Is(err, sentinel) {
		t.Errorf("Wait = %v, want it to wrap the sentinel", err)
	}
}

type ctxKey struct{}

// The hook gets the goroutine's context: GoContext's, or the group's
// (derived from the context NewGroup was given).
func TestHookGetsTheGoroutineContext(t *testing.T) {
	seen := make(chan any, 2)
	rep := safego.WithReporter(incident.Reporter{Logger: slog.New(slog.DiscardHandler),
		OnIncident: func(ctx context.Context, inc *incident.Incident) { seen <- ctx.Value(ctxKey{}) }})
	ctx := context.WithValue(context.Background(), ctxKey{}, "span-1")

	safego.GoContext(ctx, func(ctx context.Context) { panic("in GoContext") }, rep)
	if v := <-seen; v != "span-1" {
		t.Errorf("GoContext: the hook saw %v", v)
	}
	g, _ := safego.NewGroup(ctx, rep)
	g.Go(func(context.Context) error { panic("in a member") })
	g.Wait()
	if v := <-seen; v != "span-1" {
		t.Errorf("Group: the hook saw %v", v)
	}
}
