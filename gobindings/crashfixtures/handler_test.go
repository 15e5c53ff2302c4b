//go:build cgo

package crashfixtures_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// crashService is a service that mounted the crash endpoint behind
// httpguard, next to a healthy route, and records its incidents.
type crashService struct {
	*httptest.Server
	mu        sync.Mutex
	incidents map[string]*incident.Incident // by ID
}

func newCrashService(t *testing.T, opts ...fx.HandlerOption) *crashService {
	s := &crashService{incidents: map[string]*incident.Incident{}}
	mux := http.NewServeMux()
	mux.Handle("/debug/crash/{kind}", fx.Handler(opts...))
	mux.Handle("/debug/crash", fx.Handler(opts...))
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	s.Server = httptest.NewServer(httpguard.Middleware(mux, httpguard.WithReporter(incident.Reporter{
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnIncident: func(_ context.Context, inc *incident.Incident) {
			s.mu.Lock()
			s.incidents[inc.ID] = inc
			s.mu.Unlock()
		},
	})))
	t.Cleanup(s.Close)
	return s
}

func (s *crashService) incident(id string) *incident.Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.incidents[id]
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (s *crashService) do(t *testing.T, method, path string) reply {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(body)}
}

// checkAlive fails the test unless the service still answers.
func (s *crashService) checkAlive(t *testing.T, after string) {
	t.Helper()
	if r := s.do(t, "GET", "/ok"); r.status != 200 || r.body != "ok\n" {
		t.Fatalf("after %s: /ok = %d %q", after, r.status, r.body)
	}
}

// Every kind fired at a service: a 500 with an incident ID, an incident
// whose fault is of that kind, and the service answers the next request.
func TestHandlerFiresEveryKindThroughTheMiddleware(t *testing.T) {
	s := newCrashService(t)
	for _, k := range fx.Kinds() {
		t.Run(k.Name, func(t *testing.T) {
			r := s.do(t, "POST", "/debug/crash/"+k.Name)
			id := r.header.Get(httpguard.HeaderIncidentID)
			if r.status != 500 || id == "" || !strings.Contains(r.body, id) {
				t.Fatalf("POST: %d %q (incident %q), want 500 with an incident ID", r.status, r.body, id)
			}
			inc := s.incident(id)
			if inc == nil || inc.Kind != incident.KindNativeFault || !k.Matches(inc.Fault) {
				t.Errorf("incident %s = %+v, want a native fault of kind %s", id, inc, k.Name)
			}
			s.checkAlive(t, k.Name)
		})
	}
}

func TestHandlerTakesTheKindFromTheQuery(t *testing.T) {
	s := newCrashService(t)
	r := s.do(t, "POST", "/debug/crash?kind=null-read")
	inc := s.incident(r.header.Get(httpguard.HeaderIncidentID))
	if r.status != 500 || inc == nil || inc.Fault == nil || inc.Fault.Addr != fx.NullReadAddr {
		t.Fatalf("POST ?kind=null-read: %d %q, incident %+v", r.status, r.body, inc)
	}
}

func TestHandlerRefusesUnknownKinds(t *testing.T) {
	s := newCrashService(t)
	before := cgoguard.Stats().ContainedTotal
	for _, path := range []string{"/debug/crash/no-such-kind", "/debug/crash", "/debug/crash?kind=NULL-WRITE"} {
		r := s.do(t, "POST", path)
		if r.status != 400 || !strings.Contains(r.body, "unknown crash kind") || !strings.Contains(r.body, "null-write, ") {
			t.Errorf("POST %s: %d %q, want 400 naming the known kinds", path, r.status, r.body)
		}
	}
	if after := cgoguard.Stats().ContainedTotal; after != before {
		t.Errorf("%d faults were contained while refusing", after-before)
	}
	s.checkAlive(t, "the refusals")
}

func TestHandlerOnlyFiresOnPost(t *testing.T) {
	s := newCrashService(t)
	before := cgoguard.Stats().ContainedTotal
	for _, method := range []string{"PUT", "DELETE", "PATCH"} {
		r := s.do(t, method, "/debug/crash/null-write")
		if r.status != 405 || r.header.Get("Allow") != "GET, HEAD, POST" {
			t.Errorf("%s: %d (Allow %q), want 405", method, r.status, r.header.Get("Allow"))
		}
	}
	if after := cgoguard.Stats().ContainedTotal; after != before {
		t.Errorf("%d faults were contained for other methods", after-before)
	}
}

type listed struct {
	Name              string `json:"name"`
	Does              string `json:"does"`
	Signal            string `json:"signal"`
	NeedsContainAbort bool   `json:"needs_contain_abort"`
	Contained         bool   `json:"contained"`
}

func (s *crashService) list(t *testing.T) map[string]listed {
	t.Helper()
	r := s.do(t, "GET", "/debug/crash/any")
	var entries []listed
	if r.status != 200 || json.Unmarshal([]byte(r.body), &entries) != nil {
		t.Fatalf("GET: %d %q, want a JSON list", r.status, r.body)
	}
	out := map[string]listed{}
	for _, e := range entries {
		out[e.Name] = e
	}
	return out
}

func TestHandlerListsTheKinds(t *testing.T) {
	s := newCrashService(t)
	got := s.list(t)
	if len(got) != len(fx.Kinds()) {
		t.Errorf("listed %d kinds, want %d", len(got), len(fx.Kinds()))
	}
	for _, k := range fx.Kinds() {
		e := got[k.Name]
		wantSignal := "cxx_exception"
		if !k.Exception() {
			wantSignal = cgoguard.SignalName(k.Signal)
		}
		if e.Does != k.Does || e.Signal != wantSignal || e.NeedsContainAbort != k.NeedsContainAbort || !e.Contained {
			t.Errorf("%s listed as %+v", k.Name, e)
		}
	}
}

func TestHandlerRespondWith(t *testing.T) {
	s := newCrashService(t, fx.RespondWith(func(w http.ResponseWriter, r *http.Request, err error) {
		var nf *cgoguard.NativeFault
		if errors.As(err, &nf) {
			w.WriteHeader(http.StatusTeapot)
			fmt.Fprintf(w, "contained %d", nf.Signal)
		}
	}))
	r := s.do(t, "POST", "/debug/crash/bus")
	if r.status != http.StatusTeapot || r.body != "contained 7" || r.header.Get(httpguard.HeaderIncidentID) != "" {
		t.Errorf("POST bus: %d %q, want the responder's 418 and no incident", r.status, r.body)
	}
}

// In a process without ContainAbort the abort() kinds would end the
// process: the endpoint refuses them with 409 and the reason, still fires
// the other kinds, and the process lives on.
func TestHandlerRefusesAbortKindsWithoutContainAbort(t *testing.T) {
	code, sig, out := runChild(t, "no-abort", "^TestChildHandlerWithoutContainAbort$")
	if code != 0 || sig != 0 || !strings.Contains(out, "--- PASS: TestChildHandlerWithoutContainAbort") {
		t.Fatalf("child exit %d (signal %v), want 0 and a pass:\n%s", code, sig, out)
	}
}

func TestChildHandlerWithoutContainAbort(t *testing.T) {
	if !inChild("no-abort") {
		t.Skip("runs in a child process started by TestHandlerRefusesAbortKindsWithoutContainAbort")
	}
	s := newCrashService(t)
	listing := s.list(t)
	for _, k := range fx.Kinds() {
		r := s.do(t, "POST", "/debug/crash/"+k.Name)
		switch {
		case k.NeedsContainAbort:
			if r.status != 409 || !strings.Contains(r.body, "cgoguard.Init(cgoguard.ContainAbort())") ||
				!strings.Contains(r.body, "would end the process") {
				t.Errorf("%s: %d %q, want 409 saying why", k.Name, r.status, r.body)
			}
			if listing[k.Name].Contained {
				t.Errorf("%s listed as contained", k.Name)
			}
		case r.status != 500:
			t.Errorf("%s: %d %q, want 500", k.Name, r.status, r.body)
		}
		s.checkAlive(t, k.Name)
	}
	if !cgoguard.Contains(syscall.SIGBUS) || cgoguard.Contains(syscall.SIGABRT) {
		t.Error("want SIGBUS contained and SIGABRT not, in this process")
	}
}
