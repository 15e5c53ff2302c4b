//go:build cgo

package httpguard_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/taint"
)

// The orchestrator's view: a real http.Server whose readiness probe turns
// 503 after a contained SIGABRT, while a slow request is in flight; then
// Shutdown lets that request finish with its own 200 and stops the server.
func TestReadinessDrainsAfterAbortAndShutdownFinishesInFlight(t *testing.T) {
	policy := taint.NewPolicy(taint.OnSignal(syscall.SIGABRT))
	defer policy.Close()

	started, release := make(chan struct{}), make(chan struct{})
	mux := http.NewServeMux()
	mux.Handle("/readyz", httpguard.ReadinessHandler(policy))
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "slow done")
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		if err := cgoguard.Call(fx.Abort.Fn, nil); err != nil { // main_test's Init contains SIGABRT
			panic(err)
		}
	})
	srv := &http.Server{Handler: httpguard.Middleware(mux, httpguard.WithReporter(incident.Reporter{Logger: discard}))}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(lis) }()
	base := "http://" + lis.Addr().String()
	client := &http.Client{Timeout: 10 * time.Second}

	if r := get(t, client, base+"/readyz"); r.status != 200 || r.body != "ready\n" {
		t.Fatalf("before any fault: %d %q", r.status, r.body)
	}
	slow := make(chan response, 1)
	go func() { slow <- get(t, client, base+"/slow") }()
	<-started

	checkIncidentResponse(t, get(t, client, base+"/abort"))
	if r := get(t, client, base+"/readyz"); r.status != 503 || r.body != "draining: a contained SIGABRT\n" {
		t.Fatalf("after the abort: %d %q, want 503 draining", r.status, r.body)
	}
	if !policy.Draining() {
		t.Error("the Go accessor disagrees with the probe")
	}

	// The orchestrator stops routing and shuts the process down.
	shutdown := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		shutdown <- srv.Shutdown(ctx)
	}()
	time.Sleep(50 * time.Millisecond) // Shutdown has closed the listener and waits for /slow
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned (%v) with a request in flight", err)
	default:
	}
	close(release)
	if r := <-slow; r.status != 200 || r.body != "slow done" {
		t.Errorf("the in-flight request got %d %q", r.status, r.body)
	}
	if err := <-shutdown; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("Serve: %v", err)
	}
	if _, err := client.Get(base + "/readyz"); err == nil {
		t.Error("the server still answers after Shutdown")
	}
}

func TestReadinessHandlerRejectsANilPolicy(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a nil policy")
		}
	}()
	httpguard.ReadinessHandler(nil)
}

// The debug page shows the policy's verdict, so that on-call sees why the
// readiness probe fails.
func TestDebugPageShowsTheDrainVerdict(t *testing.T) {
	policy := taint.NewPolicy(taint.OnUnknownException())
	defer policy.Close()
	debug := httpguard.DebugHandler(httpguard.WithTaintPolicy(policy))
	page := func() string {
		w := httptest.NewRecorder()
		debug.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		return w.Body.String()
	}
	if p := page(); !strings.Contains(p, "Readiness: ready (no taint rule matched)") {
		t.Errorf("before: %s", p)
	}
	cgoguard.Call(fx.CxxThrowForeign.Fn, nil)
	if p := page(); !strings.Contains(p, `<span class="bad">draining</span>`) ||
		!strings.Contains(p, "a C&#43;&#43; exception not derived from std::exception") { // html/template escapes +
		t.Errorf("after a foreign exception: %s", p)
	}
}
