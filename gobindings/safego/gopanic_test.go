package safego_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/safego"
)

// Go panics are contained with or without cgo (CI runs this with
// CGO_ENABLED=0 too).
func TestGoPanicsAreContainedInEveryBuild(t *testing.T) {
	got := make(chan *incident.Incident, 1)
	clusters := incident.NewClusters()
	defer clusters.Close()
	reporter := incident.Reporter{
		Logger:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clusters:   clusters,
		OnIncident: func(_ context.Context, inc *incident.Incident) { got <- inc },
	}
	quiet := safego.WithReporter(reporter)
	safego.Go(func() { panic("boom") }, quiet)
	select {
	case inc := <-got:
		if inc.Kind != incident.KindPanic || !strings.Contains(inc.Message(), "boom") {
			t.Errorf("incident %+v, want a panic saying boom", inc)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the panicking goroutine reported no incident")
	}

	g, _ := safego.NewGroup(context.Background(), quiet)
	g.Go(func(context.Context) error {
		var m map[string]int
		m["x"] = 1
		return nil
	})
	var pe *safego.PanicError
	if err := g.Wait(); !errors.As(err, &pe) {
		t.Errorf("Wait = %v, want a *safego.PanicError", err)
	}
}
