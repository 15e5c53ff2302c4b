//go:build cgo

package httpguard_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
)

// fixtureInternals must never reach a client either, besides
// testlog.Internals: the fixtures' function and module names, C++ names,
// this test package's name.
var fixtureInternals = []string{"recurse_forever", "compare_faulting", ".so", "httpguard_test", "secret_function", "std::"}

func assertNoInternals(t *testing.T, what, s string) {
	t.Helper()
	testlog.NoInternals(t, what, s, fixtureInternals...)
}

type response struct {
	status int
	header http.Header
	body   string
}

func get(t *testing.T, client *http.Client, url string, header ...string) response {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	return response{resp.StatusCode, resp.Header, string(body)}
}

// checkIncidentResponse asserts a 500 whose JSON body has exactly the
// error text and the incident ID of the header, and returns that ID.
func checkIncidentResponse(t *testing.T, r response) string {
	t.Helper()
	if r.status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500; body %q", r.status, r.body)
	}
	id := r.header.Get(httpguard.HeaderIncidentID)
	if !testlog.IncidentID.MatchString(id) {
		t.Fatalf("%s = %q, want a fingerprint prefix and 16 hex digits", httpguard.HeaderIncidentID, id)
	}
	var body map[string]string
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("body is not JSON: %v: %q", err, r.body)
	}
	if len(body) != 2 || body["error"] != "internal server error" || body["incident_id"] != id {
		t.Errorf("body = %q, want exactly the error and incident ID %s", r.body, id)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json (the handler's headers must be dropped)", ct)
	}
	assertNoInternals(t, "body", r.body)
	for k, vs := range r.header {
		assertNoInternals(t, "header "+k, strings.Join(vs, ","))
	}
	return id
}

func TestEveryCrashAnswers500WithAnIncidentIDAndNoInternals(t *testing.T) {
	logs, logger := newLogCapture()
	srv := httptest.NewServer(httpguard.Middleware(testMux(), httpguard.WithReporter(incident.Reporter{Logger: logger})))
	defer srv.Close()
	client := srv.Client()

	type crash struct {
		path, kind, signal string
		native             bool // the record carries native frames
	}
	var crashes []crash
	for _, k := range fx.Kinds() {
		c := crash{path: "/crash/" + k.Name, kind: "native_fault", native: true}
		if k.Exception() {
			c.signal, c.native = "cxx_exception", false // the throwing frames are gone
		} else {
			c.signal = cgoguard.SignalName(k.Signal)
		}
		crashes = append(crashes, c)
	}
	for name := range goPanics {
		crashes = append(crashes, crash{path: "/panic/" + name, kind: "panic"})
	}

	for _, c := range crashes {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			id := checkIncidentResponse(t, get(t, client, srv.URL+c.path))
			recs := logs.WithID(t, id)
			if len(recs) != 1 {
				t.Fatalf("%d log records carry incident %s, want 1", len(recs), id)
			}
			rec := recs[0]
			if rec["level"] != "ERROR" || rec["kind"] != c.kind || rec["method"] != "GET" || rec["path"] != c.path ||
				rec["origin"] != "http" {
				t.Errorf("record = %v, want level ERROR, kind %s, GET %s, origin http", rec, c.kind, c.path)
			}
			if fp, _ := rec["fingerprint"].(string); len(fp) != 16 {
				t.Errorf("fingerprint = %v", rec["fingerprint"])
			}
			if c.signal != "" && rec["signal"] != c.signal {
				t.Errorf("signal = %v, want %s", rec["signal"], c.signal)
			}
			if frames, _ := rec["native_frames"].([]any); c.native && len(frames) == 0 {
				t.Errorf("no native frames in %v", rec)
			}
			goStack, _ := rec["go_stack"].([]any)
			if len(goStack) == 0 || !strings.Contains(goStack[0].(string), "httpguard_test.") {
				t.Errorf("go_stack should start in the test's handler: %v", goStack)
			}
			// The server goes on serving.
			if r := get(t, client, srv.URL+"/ok"); r.status != 200 || r.body != "ok\n" {
				t.Fatalf("after %s: /ok = %d %q", c.path, r.status, r.body)
			}
		})
	}
}

func TestPlainTextBodyByAccept(t *testing.T) {
	srv := httptest.NewServer(httpguard.Middleware(testMux(), httpguard.WithReporter(incident.Reporter{Logger: discard})))
	defer srv.Close()
	r := get(t, srv.Client(), srv.URL+"/crash/null-write", "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	id := r.header.Get(httpguard.HeaderIncidentID)
	if r.status != 500 || !testlog.IncidentID.MatchString(id) || r.body != "internal server error (incident "+id+")\n" ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("got %d %q %q (Content-Type %q)", r.status, id, r.body, r.header.Get("Content-Type"))
	}
}

func TestWriteErrorAnswersLikeAPanic(t *testing.T) {
	logs, logger := newLogCapture()
	var hooked []*incident.Incident
	srv := httptest.NewServer(httpguard.Middleware(testMux(), httpguard.WithReporter(incident.Reporter{Logger: logger,
		OnIncident: func(_ context.Context, inc *incident.Incident) { hooked = append(hooked, inc) }})))
	defer srv.Close()
	id := checkIncidentResponse(t, get(t, srv.Client(), srv.URL+"/write-error/null-read"))
	recs := logs.WithID(t, id)
	if len(recs) != 1 || recs[0]["kind"] != "native_fault" || recs[0]["signal"] != "SIGSEGV" {
		t.Errorf("records for %s: %v", id, recs)
	}
	if len(hooked) != 1 || hooked[0].ID != id || hooked[0].Fault == nil {
		t.Errorf("the hook got %v, want the one incident %s with its fault", hooked, id)
	}
}
