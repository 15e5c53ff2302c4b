package echoguard_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/echoguard"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

func TestMain(m *testing.M) {
	if err := cgoguard.Init(); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady() // tests read fault names right after Call
	os.Exit(m.Run())
}

type app struct {
	srv      *httptest.Server
	logs     *testlog.Sink
	clusters *incident.Clusters
}

// routes registers the handlers every test app serves.
func routes(e *echo.Echo, site *quarantine.Site) {
	e.GET("/ok", func(c echo.Context) error { return c.String(200, "ok") })
	e.GET("/panic-fault", func(c echo.Context) error {
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
		return nil
	})
	e.GET("/return-fault", func(c echo.Context) error {
		return cgoguard.Call(fx.NullRead.Fn, nil)
	})
	e.GET("/return-wrapped-fault", func(c echo.Context) error {
		if err := cgoguard.Call(fx.ReadonlyWrite.Fn, nil); err != nil {
			return fmt.Errorf("decoding: %w", err)
		}
		return nil
	})
	e.GET("/go-panic", func(c echo.Context) error {
		var m map[string]int
		m["x"]++
		return nil
	})
	e.GET("/partial", func(c echo.Context) error {
		c.Response().WriteHeader(200)
		c.Response().Write([]byte("partial"))
		c.Response().Flush()
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
		return nil
	})
	e.GET("/quarantined", func(c echo.Context) error { return site.Call(fx.NullWrite.Fn, nil) })
	e.GET("/bad-input", func(c echo.Context) error { return echo.NewHTTPError(400, "bad input") })
	e.GET("/plain-error", func(c echo.Context) error { return errors.New("disk full") })
}

// newApp serves an echo app. With middleware, echoguard.Middleware is in
// the chain (inside echo's Recover); without, only echoguard.ErrorHandler
// is installed, in front of echo's default error handler.
func newApp(t *testing.T, withMiddleware bool) *app {
	q := quarantine.New(quarantine.Threshold(1), quarantine.Cooldown(42*time.Second))
	site := q.Site("decoder")
	site.Call(fx.NullWrite.Fn, nil) // trips the site, before the clusters count
	a := &app{logs: &testlog.Sink{}, clusters: incident.NewClusters()}
	t.Cleanup(a.clusters.Close)
	rep := httpguard.WithReporter(incident.Reporter{Logger: slog.New(slog.NewJSONHandler(a.logs, nil)), Clusters: a.clusters})

	e := echo.New()
	e.Logger.SetOutput(io.Discard)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisablePrintStack: true}))
	if withMiddleware {
		e.Use(echoguard.Middleware(rep))
	} else {
		e.HTTPErrorHandler = echoguard.ErrorHandler(e.DefaultHTTPErrorHandler, rep)
	}
	routes(e, site)
	a.srv = httptest.NewServer(e)
	t.Cleanup(a.srv.Close)
	return a
}

type response struct {
	status int
	header http.Header
	body   string
	err    error
}

func (a *app) get(t *testing.T, path string) response {
	t.Helper()
	resp, err := a.srv.Client().Get(a.srv.URL + path)
	if err != nil {
		return response{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(body), err}
}

func (a *app) checkIncident(t *testing.T, path, kind string) {
	t.Helper()
	r := a.get(t, path)
	id := r.header.Get(httpguard.HeaderIncidentID)
	want := `{"error":"internal server error","incident_id":"` + id + `"}` + "\n"
	if r.status != 500 || !testlog.IncidentID.MatchString(id) || r.body != want {
		t.Fatalf("%s: got %d %q (incident %q), want 500 with the incident ID only", path, r.status, r.body, id)
	}
	testlog.NoInternals(t, path+": the body", r.body, "echoguard_test")
	if recs := a.logs.WithID(t, id); len(recs) != 1 || recs[0]["kind"] != kind || recs[0]["path"] != path {
		t.Errorf("%s: records %v, want one %s record", path, recs, kind)
	}
}

// A returned native fault is the same incident as a panicked one: log
// record, cluster, 500 with the incident ID.
func TestReturnedAndPanickedFaultsAreIncidents(t *testing.T) {
	a := newApp(t, true)
	a.checkIncident(t, "/panic-fault", "native_fault")
	a.checkIncident(t, "/return-fault", "native_fault")
	a.checkIncident(t, "/return-wrapped-fault", "native_fault")
	a.checkIncident(t, "/go-panic", "panic")
	snap := a.clusters.Snapshot()
	if snap.Totals.NativeFaults != 3 || snap.Totals.Panics != 1 || len(snap.Clusters) != 4 {
		t.Errorf("clusters %+v", snap.Totals)
	}
	for _, cl := range snap.Clusters {
		if ex := cl.Examples[0]; !testlog.IncidentID.MatchString(ex.IncidentID) {
			t.Errorf("cluster %s has no incident: %+v", cl.Fingerprint, ex)
		}
	}
	if r := a.get(t, "/ok"); r.status != 200 || r.body != "ok" {
		t.Errorf("/ok = %d %q", r.status, r.body)
	}
}

// ErrorHandler alone: returned faults become incidents, other errors reach
// echo's own handler unchanged.
func TestErrorHandlerAnswersFaultsAndPassesTheRestOn(t *testing.T) {
	a := newApp(t, false)
	a.checkIncident(t, "/return-fault", "native_fault")
	a.checkIncident(t, "/return-wrapped-fault", "native_fault")
	for path, want := range map[string]response{
		"/bad-input":   {status: 400, body: `{"message":"bad input"}` + "\n"},
		"/plain-error": {status: 500, body: `{"message":"Internal Server Error"}` + "\n"},
		"/nowhere":     {status: 404, body: `{"message":"Not Found"}` + "\n"},
	} {
		if r := a.get(t, path); r.status != want.status || r.body != want.body || r.header.Get(httpguard.HeaderIncidentID) != "" {
			t.Errorf("%s: got %d %q, want echo's own %d %q", path, r.status, r.body, want.status, want.body)
		}
	}
	if n := len(a.clusters.Snapshot().Clusters); n != 2 {
		t.Errorf("%d clusters, want the 2 faults only", n)
	}
}

func TestMiddlewarePassesOtherErrorsOn(t *testing.T) {
	a := newApp(t, true)
	if r := a.get(t, "/bad-input"); r.status != 400 || r.body != `{"message":"bad input"}`+"\n" {
		t.Errorf("got %d %q", r.status, r.body)
	}
	if s := a.logs.String(); s != "" {
		t.Errorf("an application error was reported: %s", s)
	}
}

func TestPanicAfterCommitAbortsTheConnection(t *testing.T) {
	a := newApp(t, true)
	r := a.get(t, "/partial")
	if r.status != 200 || r.body != "partial" || !errors.Is(r.err, io.ErrUnexpectedEOF) {
		t.Errorf("got %d %q, %v; want 200, the partial body, then an unexpected EOF", r.status, r.body, r.err)
	}
	if !strings.Contains(a.logs.String(), `"path":"/partial"`) {
		t.Errorf("the fault was not reported: %s", a.logs.String())
	}
}

func TestQuarantinedCallAnswers503(t *testing.T) {
	for _, withMiddleware := range []bool{true, false} {
		a := newApp(t, withMiddleware)
		r := a.get(t, "/quarantined")
		if r.status != 503 || r.header.Get("Retry-After") != "42" || r.body != `{"error":"service unavailable"}`+"\n" {
			t.Errorf("middleware %v: got %d %q, Retry-After %q", withMiddleware, r.status, r.body, r.header.Get("Retry-After"))
		}
	}
}
