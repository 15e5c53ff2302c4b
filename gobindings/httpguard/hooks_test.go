//go:build cgo

package httpguard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

func TestCustomResponderAndIncidentCallback(t *testing.T) {
	var (
		mu       sync.Mutex
		incs     []*incident.Incident
		answered []string
	)
	h := httpguard.Middleware(testMux(), httpguard.WithReporter(incident.Reporter{Logger: discard,
		OnIncident: func(_ context.Context, inc *incident.Incident) {
			mu.Lock()
			defer mu.Unlock()
			incs = append(incs, inc)
		}}),
		httpguard.WithResponder(func(w http.ResponseWriter, r *http.Request, inc *incident.Incident) {
			answered = append(answered, inc.ID)
			w.WriteHeader(http.StatusTeapot)
			w.Write([]byte("custom " + inc.ID))
		}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	r := get(t, srv.Client(), srv.URL+"/crash/cxx-exception")
	id := r.header.Get(httpguard.HeaderIncidentID)
	if r.status != http.StatusTeapot || r.body != "custom "+id || !testlog.IncidentID.MatchString(id) {
		t.Errorf("got %d %q (incident %q), want the custom response with the incident header", r.status, r.body, id)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(incs) != 1 || incs[0].ID != id || incs[0].Kind != incident.KindNativeFault || incs[0].Method != "GET" ||
		incs[0].Path != "/crash/cxx-exception" || incs[0].Fault == nil || !incs[0].Fault.Exception {
		t.Fatalf("callback got %+v", incs)
	}
	if len(answered) != 1 || answered[0] != id {
		t.Errorf("responder saw %v", answered)
	}
}

// A call site that keeps faulting is quarantined: after the threshold, the
// handler's call fails fast without entering native code, and the middleware
// answers 503 with Retry-After and no incident.
func TestQuarantinedCallAnswers503WithRetryAfter(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	q := quarantine.New(quarantine.Threshold(3), quarantine.Cooldown(90*time.Second),
		quarantine.WithClock(func() time.Time { return now }))
	site := q.Site("fixture")
	var incidents int
	mux := http.NewServeMux()
	mux.HandleFunc("/native", func(w http.ResponseWriter, r *http.Request) {
		if err := site.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
	})
	mux.HandleFunc("/native-helper", func(w http.ResponseWriter, r *http.Request) {
		if err := site.Call(fx.NullWrite.Fn, nil); err != nil {
			httpguard.WriteError(w, r, err)
		}
	})
	srv := httptest.NewServer(httpguard.Middleware(mux, httpguard.WithReporter(incident.Reporter{Logger: discard,
		OnIncident: func(context.Context, *incident.Incident) { incidents++ }})))
	defer srv.Close()

	for i := range 3 {
		checkIncidentResponse(t, get(t, srv.Client(), srv.URL+"/native"))
		if incidents != i+1 {
			t.Fatalf("%d incidents after %d faults", incidents, i+1)
		}
	}
	contained := cgoguard.Stats().ContainedTotal
	for _, path := range []string{"/native", "/native-helper"} {
		r := get(t, srv.Client(), srv.URL+path)
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "90" ||
			r.header.Get(httpguard.HeaderIncidentID) != "" {
			t.Errorf("%s: got %d, Retry-After %q, incident %q; want 503, 90, none",
				path, r.status, r.header.Get("Retry-After"), r.header.Get(httpguard.HeaderIncidentID))
		}
		var body map[string]string
		if json.Unmarshal([]byte(r.body), &body) != nil || len(body) != 1 || body["error"] != "service unavailable" {
			t.Errorf("%s: body %q", path, r.body)
		}
		assertNoInternals(t, "body", r.body)
		if strings.Contains(r.body, "fixture") {
			t.Errorf("%s: the body names the site: %q", path, r.body)
		}
	}
	if incidents != 3 || cgoguard.Stats().ContainedTotal != contained {
		t.Errorf("quarantined calls made incidents (%d) or entered native code", incidents)
	}
	if st := site.Stats(); st.Rejected != 2 || st.State != quarantine.Open {
		t.Errorf("site stats %+v", st)
	}
}

// Clusters count each failure exactly once: a native fault that a handler
// panics with (the boundary sees it after cgoguard.OnFault did), one that a
// handler answers itself, and a Go panic.
func TestClustersCountExactly(t *testing.T) {
	clusters := incident.NewClusters(incident.ExamplesPerCluster(2))
	defer clusters.Close()
	mux := testMux()
	mux.HandleFunc("/handled", func(w http.ResponseWriter, r *http.Request) {
		if err := cgoguard.Call(fx.NullRead.Fn, nil); err != nil {
			http.Error(w, "bad input", http.StatusBadRequest) // the handler's own answer: no incident
		}
	})
	srv := httptest.NewServer(httpguard.Middleware(mux, httpguard.WithReporter(incident.Reporter{Logger: discard, Clusters: clusters})))
	defer srv.Close()

	const writes, reads, handled, panics, overflows = 8, 4, 3, 5, 2
	hit := func(path string, n, status int) {
		for range n {
			if r := get(t, srv.Client(), srv.URL+path); r.status != status {
				t.Fatalf("%s: %d", path, r.status)
			}
		}
	}
	hit("/crash/null-write", writes, 500)
	hit("/write-error/null-read", reads, 500)
	hit("/handled", handled, 400)
	hit("/panic/nil-map", panics, 500)
	hit("/crash/stack-overflow", overflows, 500)
	hit("/ok", 10, 200)

	snap := clusters.Snapshot()
	if snap.Totals.NativeFaults != writes+reads+handled+overflows || snap.Totals.Panics != panics ||
		snap.Totals.BySignal["SIGSEGV"] != writes+reads+handled+overflows || snap.Totals.Clusters != 4 {
		t.Errorf("totals %+v", snap.Totals)
	}
	counts := []uint64{}
	for _, cl := range snap.Clusters {
		counts = append(counts, cl.Count)
	}
	// null-read sites: the handled calls and the WriteError calls fault at
	// the same native site, so they share a cluster.
	if want := []uint64{writes, reads + handled, panics, overflows}; !equal(counts, want) {
		t.Fatalf("cluster counts %v, want %v (ordered by count)", counts, want)
	}
	write := snap.Clusters[0]
	if write.Kind != incident.KindNativeFault || write.Signal != "SIGSEGV" || len(write.Examples) != 2 ||
		!write.FirstSeen.Before(write.LastSeen) {
		t.Errorf("null-write cluster %+v", write)
	}
	// The example is the whole chain, innermost first as in the log: the
	// native frames from the fault, the guarded call, the Go frames out to
	// the server's loop, the request.
	ex := write.Examples[1]
	if ex.Request != "GET /crash/null-write" || ex.Origin != "http" || !testlog.IncidentID.MatchString(ex.IncidentID) ||
		!strings.Contains(ex.GuardedCall, "httpguard_test.testMux") || len(ex.NativeFrames) == 0 ||
		!strings.Contains(ex.NativeFrames[0], "cgg_fx_null_write") ||
		!strings.Contains(ex.GoStack[0], "httpguard_test.testMux") ||
		!strings.Contains(ex.GoStack[len(ex.GoStack)-1], "net/http.(*conn).serve") {
		t.Errorf("example %+v", ex)
	}
	// A fault no boundary reported keeps its example without an incident.
	shared := snap.Clusters[1]
	if last := shared.Examples[len(shared.Examples)-1]; last.IncidentID != "" || last.FaultID == 0 {
		t.Errorf("the handled fault's example: %+v", last)
	}
}

func equal(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
