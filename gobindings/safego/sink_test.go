package safego_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
	"github.com/cgoguard/cgoguard/gobindings/safego"
)

// sink collects what the boundaries report: incidents and log records.
type sink struct {
	testlog.Sink // the JSON log records
	incidents    chan *incident.Incident
	clusters     *incident.Clusters
}

func newSink(t *testing.T) *sink {
	s := &sink{incidents: make(chan *incident.Incident, 16), clusters: incident.NewClusters()}
	t.Cleanup(s.clusters.Close)
	return s
}

func (s *sink) options(name string) []safego.Option {
	return []safego.Option{
		safego.Name(name),
		safego.WithReporter(incident.Reporter{
			Logger:     slog.New(slog.NewJSONHandler(s, nil)),
			Clusters:   s.clusters,
			OnIncident: func(_ context.Context, inc *incident.Incident) { s.incidents <- inc },
		}),
	}
}

func (s *sink) next(t *testing.T) *incident.Incident {
	t.Helper()
	select {
	case inc := <-s.incidents:
		return inc
	case <-time.After(10 * time.Second):
		t.Fatal("no incident reported")
		return nil
	}
}
