package safego_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/safego"
)

// stopEarly ends its goroutine the way t.FailNow and some "exit this
// worker" helpers do: runtime.Goexit runs the defers, recover sees nothing,
// and the function never returns.
func stopEarly() { runtime.Goexit() }

// A member that ends by runtime.Goexit did not finish its part: without
// safego's check, Wait would return nil as if it had. It is an incident of
// its own kind and Wait's error says so.
func TestGroupMemberEndedByGoexitIsAnError(t *testing.T) {
	s := newSink(t)
	g, ctx := safego.NewGroup(context.Background(), s.options("loader")...)
	g.Go(func(ctx context.Context) error {
		<-ctx.Done() // a sibling, stopped by the failure
		return nil
	})
	g.Go(func(ctx context.Context) error {
		stopEarly()
		return nil
	})
	err := g.Wait()
	var ge *safego.GoexitError
	if !errors.As(err, &ge) || !errors.Is(err, safego.ErrGoexit) || !strings.Contains(err.Error(), "runtime.Goexit") {
		t.Fatalf("Wait = %v, want a *GoexitError", err)
	}
	if context.Cause(ctx) != err {
		t.Errorf("the group's context was not canceled with it: %v", context.Cause(ctx))
	}
	inc := s.next(t)
	if inc.Kind != incident.KindGoexit || inc.ID != ge.IncidentID || inc.Goroutine != "loader" ||
		len(inc.Stack) == 0 || !strings.HasSuffix(inc.Stack[0].Function, "safego_test.stopEarly") {
		t.Errorf("incident %+v (stack %v), want a goexit incident whose stack starts at the caller of Goexit", inc, inc.Stack)
	}
	recs := s.Records(t)
	if len(recs) != 1 || recs[0]["kind"] != "goexit" || recs[0]["incident_id"] != inc.ID {
		t.Errorf("records %v", recs)
	}
	if snap := s.clusters.Snapshot(); len(snap.Clusters) != 1 || snap.Clusters[0].Kind != incident.KindGoexit {
		t.Errorf("clusters %+v", snap)
	}
}

func TestGoReportsGoexit(t *testing.T) {
	s := newSink(t)
	safego.Go(stopEarly, s.options("")...)
	if inc := s.next(t); inc.Kind != incident.KindGoexit || inc.Message() == "" {
		t.Errorf("incident %+v", inc)
	}
}

// The seed's nested-defer trap: a handler recovers a panic, and then a
// deferred cleanup panics again (closing a channel already closed). The
// second panic is contained and reported, and the group's error carries it.
func TestSecondPanicInADeferAfterRecoverIsContained(t *testing.T) {
	s := newSink(t)
	g, _ := safego.NewGroup(context.Background(), s.options("nested")...)
	done := make(chan struct{})
	g.Go(func(ctx context.Context) error {
		defer close(done) // closed again below: panics
		defer func() {
			if recover() != nil {
				close(done) // "signal completion" from the recover handler
			}
		}()
		panic("first")
	})
	err := g.Wait()
	var pe *safego.PanicError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "close of closed channel") {
		t.Fatalf("Wait = %v, want the second panic", err)
	}
	inc := s.next(t)
	if inc.Kind != incident.KindPanic || !strings.Contains(inc.Message(), "close of closed channel") {
		t.Errorf("incident %+v", inc)
	}
	select {
	case extra := <-s.incidents:
		t.Errorf("a second incident: %+v", extra)
	case <-time.After(50 * time.Millisecond):
	}
}
