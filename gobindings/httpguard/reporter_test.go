//go:build cgo

package httpguard_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
)

type traceKey struct{}

// withTrace stands for a tracing middleware: it puts a value in the
// request's context, as otelhttp puts the span.
func withTrace(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), traceKey{}, "trace-"+r.URL.Path)))
	})
}

// The hook gets the request's context, for a panic, a panicked native fault
// and WriteError alike, so that it can reach the request's span.
func TestHookGetsTheRequestContext(t *testing.T) {
	got := make(chan string, 1)
	rep := incident.Reporter{Logger: discard, OnIncident: func(ctx context.Context, inc *incident.Incident) {
		v, _ := ctx.Value(traceKey{}).(string)
		got <- v + " " + inc.Path
	}}
	srv := httptest.NewServer(withTrace(httpguard.Middleware(testMux(), httpguard.WithReporter(rep))))
	defer srv.Close()
	for _, path := range []string{"/panic/nil-map", "/crash/null-read", "/write-error/null-write"} {
		checkIncidentResponse(t, get(t, srv.Client(), srv.URL+path))
		if v := <-got; v != "trace-"+path+" "+path {
			t.Errorf("%s: the hook saw %q, want the request's context value", path, v)
		}
	}
}

// WriteError outside the middleware takes the middleware's options: the
// user's reporter and responder, not the defaults.
func TestWriteErrorOutsideTheMiddlewareTakesOptions(t *testing.T) {
	logs, logger := newLogCapture()
	var hooked int
	opts := []httpguard.Option{
		httpguard.WithReporter(incident.Reporter{Logger: logger,
			OnIncident: func(context.Context, *incident.Incident) { hooked++ }}),
		httpguard.WithResponder(func(w http.ResponseWriter, r *http.Request, inc *incident.Incident) {
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("custom " + inc.ID))
		}),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpguard.WriteError(w, r, cgoguard.Call(fx.NullWrite.Fn, nil), opts...)
	}))
	defer srv.Close()
	r := get(t, srv.Client(), srv.URL+"/bare")
	id := r.header.Get(httpguard.HeaderIncidentID)
	if r.status != http.StatusBadGateway || r.body != "custom "+id || !testlog.IncidentID.MatchString(id) {
		t.Errorf("got %d %q (incident %q), want the custom responder's answer", r.status, r.body, id)
	}
	if recs := logs.WithID(t, id); len(recs) != 1 || recs[0]["path"] != "/bare" || hooked != 1 {
		t.Errorf("the user's logger got %v, the hook ran %d times; want one record and one call", recs, hooked)
	}
}

// Inside the middleware, WriteError's options apply on top of the
// middleware's: the middleware's reporter stays, the responder is replaced.
func TestWriteErrorOptionsApplyOnTopOfTheMiddlewares(t *testing.T) {
	logs, logger := newLogCapture()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		httpguard.WriteError(w, r, cgoguard.Call(fx.NullRead.Fn, nil),
			httpguard.WithResponder(func(w http.ResponseWriter, r *http.Request, inc *incident.Incident) {
				w.WriteHeader(http.StatusTeapot)
			}))
	})
	srv := httptest.NewServer(httpguard.Middleware(mux, httpguard.WithReporter(incident.Reporter{Logger: logger})))
	defer srv.Close()
	r := get(t, srv.Client(), srv.URL+"/")
	id := r.header.Get(httpguard.HeaderIncidentID)
	if r.status != http.StatusTeapot || len(logs.WithID(t, id)) != 1 {
		t.Errorf("got %d, %d records for %q; want 418 and the middleware's logger", r.status, len(logs.WithID(t, id)), id)
	}
}
