package httpguard_test

import (
	"io"
	"log/slog"
	"testing"

	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
)

// discard is a logger for tests that do not read the log.
var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// newLogCapture returns a JSON logger at debug level whose records the test
// reads back.
func newLogCapture() (*testlog.Sink, *slog.Logger) {
	return testlog.NewSink(&slog.HandlerOptions{Level: slog.LevelDebug})
}

// atLeast returns the records logged at level or above.
func atLeast(t *testing.T, logs *testlog.Sink, level slog.Level) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, rec := range logs.Records(t) {
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
