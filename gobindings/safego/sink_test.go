package safego_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/safego"
)

// sink collects what the boundaries report: incidents and log records.
type sink struct {
	incidents chan *incident.Incident
	mu        sync.Mutex
	log       bytes.Buffer
	clusters  *incident.Clusters
}

func newSink(t *testing.T) *sink {
	s := &sink{incidents: make(chan *incident.Incident, 16), clusters: incident.NewClusters()}
	t.Cleanup(s.clusters.Close)
	return s
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Write(p)
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

func (s *sink) records(t *testing.T) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.log.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not one JSON record: %s", line)
		}
		out = append(out, rec)
	}
	return out
}
