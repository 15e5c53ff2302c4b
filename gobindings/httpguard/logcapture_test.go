package httpguard_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// discard is a logger for tests that do not read the log.
var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// logCapture is a JSON slog logger whose records the test reads back, one
// decoded object per line.
type logCapture struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (lc *logCapture) Write(p []byte) (int, error) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.buf.Write(p)
}

func newLogCapture() (*logCapture, *slog.Logger) {
	lc := &logCapture{}
	return lc, slog.New(slog.NewJSONHandler(lc, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// records decodes every line; each must be one JSON object.
func (lc *logCapture) records(t *testing.T) []map[string]any {
	t.Helper()
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(lc.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not one JSON record: %v\n%s", err, line)
		}
		out = append(out, rec)
	}
	return out
}

// withID returns the records that carry incident_id id.
func (lc *logCapture) withID(t *testing.T, id string) []map[string]any {
	var out []map[string]any
	for _, rec := range lc.records(t) {
		if rec["incident_id"] == id {
			out = append(out, rec)
		}
	}
	return out
}

func (lc *logCapture) atLeast(t *testing.T, level slog.Level) []map[string]any {
	var out []map[string]any
	for _, rec := range lc.records(t) {
		var l slog.Level
		if err := l.UnmarshalText([]byte(rec["level"].(string))); err != nil {
			t.Fatal(err)
		}
		if l >= level {
			out = append(out, rec)
		}
	}
	return out
}
