package httpguard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// A Go panic in a handler becomes a 500 and an incident, with or without cgo
// (CI runs this with CGO_ENABLED=0 too); the next request is served.
func TestGoPanicIsContainedInEveryBuild(t *testing.T) {
	logs, logger := newLogCapture()
	clusters := incident.NewClusters()
	defer clusters.Close()
	h := httpguard.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/panic" {
			var m map[string]int
			m["x"] = 1
		}
		w.WriteHeader(http.StatusNoContent)
	}), httpguard.WithReporter(incident.Reporter{Logger: logger, Clusters: clusters}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/panic", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("status %d, want 500", rec.Code)
	}
	if recs := logs.Records(t); len(recs) != 1 || recs[0]["kind"] != "panic" {
		t.Errorf("log records %v, want one panic incident", recs)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/ok", nil))
	if rec.Code != http.StatusNoContent {
		t.Errorf("after the panic: status %d, want 204", rec.Code)
	}
}
