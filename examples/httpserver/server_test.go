package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

func TestMain(m *testing.M) {
	if err := cgoguard.Init(cgoguard.ContainAbort()); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady() // tests read fault names right after Call
	os.Exit(m.Run())
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestService(t *testing.T, clk *fakeClock) *httptest.Server {
	q := quarantine.New(quarantine.Threshold(3), quarantine.Cooldown(time.Second), quarantine.WithClock(clk.Now))
	svc := &service{logger: slog.New(slog.DiscardHandler), q: q, decoder: newDecoder(q)}
	srv := httptest.NewServer(svc.handler())
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(body)
}

func TestEveryCrashEndpointAnswers500AndTheServiceLivesOn(t *testing.T) {
	srv := newTestService(t, &fakeClock{now: time.Now()})
	paths := []string{"/panic"}
	for kind := range crashes {
		paths = append(paths, "/crash/"+kind)
	}
	for _, path := range paths {
		status, header, body := get(t, srv.URL+path)
		id := header.Get("X-Incident-Id")
		var got map[string]string
		if status != 500 || json.Unmarshal([]byte(body), &got) != nil || len(got) != 2 || got["incident_id"] != id || len(id) != len("4952b62a-9f1c03de5a71b2c4") {
			t.Errorf("%s: %d %q (incident %q)", path, status, body, id)
		}
		if status, _, body := get(t, srv.URL+"/checksum?seed=7"); status != 200 || !strings.Contains(body, "checksum") {
			t.Fatalf("after %s: /checksum = %d %q", path, status, body)
		}
	}
}

// The poisoned decoder keeps faulting until the quarantine trips; after the
// cool-down the reset hook re-initializes it and the probe succeeds.
func TestDecoderIsQuarantinedAndRecoversThroughItsResetHook(t *testing.T) {
	clk := &fakeClock{now: time.Now()}
	srv := newTestService(t, clk)
	if status, _, body := get(t, srv.URL+"/decode?input=3"); status != 200 || !strings.Contains(body, `"output":21`) {
		t.Fatalf("healthy decode: %d %q", status, body)
	}
	get(t, srv.URL+"/decode?poison=1") // fault 1 pollutes the state
	for range 2 {                      // the state stays polluted: faults 2 and 3
		if status, _, _ := get(t, srv.URL+"/decode?input=3"); status != 500 {
			t.Fatalf("a decode after the poison answered %d, want 500", status)
		}
	}
	status, header, _ := get(t, srv.URL+"/decode?input=3")
	if status != 503 || header.Get("Retry-After") != "1" {
		t.Fatalf("quarantined decode: %d, Retry-After %q", status, header.Get("Retry-After"))
	}
	clk.Advance(time.Second)
	if status, _, body := get(t, srv.URL+"/decode?input=3"); status != 200 || !strings.Contains(body, `"output":21`) {
		t.Fatalf("the probe after the reset: %d %q", status, body)
	}
	_, _, page := get(t, srv.URL+"/debug/cgoguard/?format=json")
	if !strings.Contains(page, `"name": "decoder"`) || !strings.Contains(page, `"resets": 1`) {
		t.Errorf("debug page lacks the decoder's reset:\n%s", page)
	}
}

func TestBackgroundBatchContainsItsCrashingMember(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	if err := runBatch(context.Background(), logger, 1); err != nil {
		t.Fatalf("healthy batch: %v", err)
	}
	var nf *cgoguard.NativeFault
	if err := runBatch(context.Background(), logger, 10); !errors.As(err, &nf) {
		t.Fatalf("the tenth batch returned %v, want its member's native fault", err)
	}
}

func TestMetricsEndpoint(t *testing.T) {
	srv := newTestService(t, &fakeClock{now: time.Now()})
	get(t, srv.URL+"/crash/null-write")
	_, _, body := get(t, srv.URL+"/metrics")
	for _, want := range []string{`cgoguard_native_faults_contained_total{signal="SIGSEGV"}`, "cgoguard_tainted 1",
		"cgoguard_quarantine_state{site=", "process_resident_memory_bytes"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
