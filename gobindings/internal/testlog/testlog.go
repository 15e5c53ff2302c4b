// Package testlog holds what the tests of cgoguard's Go packages and
// framework adapters check reports with: a log sink that decodes the JSON
// records a slog.JSONHandler wrote into it, the shape of an incident ID, and
// the check that what a client receives carries none of the process's
// internals.
//
// It is internal to gobindings: the adapter modules below gobindings (each
// its own Go module, replacing the root module with ../..) import it from
// their tests. It depends on the standard library only, so it builds with
// and without cgo.
package testlog

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// IncidentID matches an incident ID as a client receives it: its
// fingerprint's 8-digit prefix, a dash and 16 random lower-case hex digits.
var IncidentID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{16}$`)

// Sink is a log destination the test reads back while reports may still be
// written into it from other goroutines. The zero value is ready to use;
// hand it to slog.NewJSONHandler (or use NewSink).
type Sink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// NewSink returns an empty sink and a JSON logger writing into it at opts.
func NewSink(opts *slog.HandlerOptions) (*Sink, *slog.Logger) {
	s := &Sink{}
	return s, slog.New(slog.NewJSONHandler(s, opts))
}

// Write appends p; it is safe for concurrent use.
func (s *Sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

// String returns everything written so far.
func (s *Sink) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// Records decodes every line written so far. A line that is not one JSON
// object fails the test: the log is meant to be machine-readable.
func (s *Sink) Records(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.String()), "\n") {
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

// WithID returns the records whose incident_id is id.
func (s *Sink) WithID(t testing.TB, id string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, rec := range s.Records(t) {
		if rec["incident_id"] == id {
			out = append(out, rec)
		}
	}
	return out
}

// Internals are the fragments of the process's internals (addresses, the
// native shim's names, signal names, source files, Go stacks) that must never
// reach a client in a response body, status message or header.
var Internals = []string{"0x", "cgg_", "SIGSEGV", "segmentation", ".go", ".c:", "goroutine", "runtime."}

// NoInternals reports an error for each of Internals, and each of the
// caller's own extra fragments (its test package's name, its fixtures'
// names), that text contains. what names the text in the message, as in
// "/panic-fault: the body".
func NoInternals(t testing.TB, what, text string, extra ...string) {
	t.Helper()
	for _, list := range [][]string{Internals, extra} {
		for _, bad := range list {
			if strings.Contains(text, bad) {
				t.Errorf("%s leaks %q: %s", what, bad, text)
			}
		}
	}
}
