package ginguard_test

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/ginguard"
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
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// app is a gin engine as a user wires it: gin.New, a status-recording
// middleware (standing for gin.Logger) and ginguard, then the routes.
type app struct {
	srv      *httptest.Server
	logs     *testlog.Sink
	clusters *incident.Clusters
	statuses chan int // what gin's writer reported to the outer middleware
}

func newApp(t *testing.T, outer ...gin.HandlerFunc) *app {
	q := quarantine.New(quarantine.Threshold(1), quarantine.Cooldown(42*time.Second))
	site := q.Site("decoder")
	site.Call(fx.NullWrite.Fn, nil) // trips the site (before the clusters count)
	a := &app{logs: &testlog.Sink{}, clusters: incident.NewClusters(), statuses: make(chan int, 16)}
	t.Cleanup(a.clusters.Close)
	rep := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(a.logs, nil)), Clusters: a.clusters}

	r := gin.New()
	r.Use(outer...)
	r.Use(func(c *gin.Context) {
		c.Next()
		a.statuses <- c.Writer.Status()
	})
	r.Use(ginguard.Middleware(httpguard.WithReporter(rep)))
	r.GET("/ok", func(c *gin.Context) { c.String(200, "ok") })
	r.GET("/panic-fault", func(c *gin.Context) {
		c.Header("Content-Type", "image/png") // must not survive into the 500
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
	})
	r.GET("/error-fault", func(c *gin.Context) {
		if err := cgoguard.Call(fx.NullRead.Fn, nil); err != nil {
			c.Error(err)
			return
		}
		c.String(200, "fixture returned?")
	})
	r.GET("/go-panic", func(c *gin.Context) {
		var m map[string]int
		m["x"]++
	})
	r.GET("/partial", func(c *gin.Context) {
		c.Status(200)
		c.Writer.WriteString("partial")
		c.Writer.Flush()
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
	})
	r.GET("/abort", func(c *gin.Context) { panic(http.ErrAbortHandler) })
	r.GET("/quarantined", func(c *gin.Context) {
		if err := site.Call(fx.NullWrite.Fn, nil); err != nil {
			c.Error(err)
		}
	})
	r.GET("/quarantined-panic", func(c *gin.Context) {
		if err := site.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
	})
	r.GET("/bad-input", func(c *gin.Context) {
		c.Error(errors.New("bad input")) // the application's own error
		c.JSON(400, gin.H{"error": "bad input"})
	})
	a.srv = httptest.NewServer(r)
	t.Cleanup(a.srv.Close)
	return a
}

// status returns the status gin's writer reported to the outer middleware.
func (a *app) status(t *testing.T) int {
	t.Helper()
	select {
	case s := <-a.statuses:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("the outer middleware never saw the request end")
		return 0
	}
}

type response struct {
	status int
	header http.Header
	body   string
	err    error // reading the body
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

// checkIncident asserts the 500 with exactly the incident ID, the one log
// record and gin's own status, and returns the ID.
func (a *app) checkIncident(t *testing.T, r response, path, kind string) string {
	t.Helper()
	id := r.header.Get(httpguard.HeaderIncidentID)
	want := `{"error":"internal server error","incident_id":"` + id + `"}` + "\n"
	if r.status != 500 || !testlog.IncidentID.MatchString(id) || r.body != want || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("%s: got %d %q (incident %q, Content-Type %q), want 500 with the incident ID only",
			path, r.status, r.body, id, r.header.Get("Content-Type"))
	}
	testlog.NoInternals(t, path+": the body", r.body, "ginguard_test")
	recs := a.logs.WithID(t, id)
	if len(recs) != 1 || recs[0]["kind"] != kind || recs[0]["path"] != path || recs[0]["method"] != "GET" {
		t.Errorf("%s: records %v, want one %s record for GET %s", path, recs, kind, path)
	}
	if s := a.status(t); s != 500 {
		t.Errorf("%s: gin's writer reported status %d to the outer middleware, want 500", path, s)
	}
	return id
}

func TestFaultsAndPanicsAreOneIncidentEach(t *testing.T) {
	a := newApp(t)
	a.checkIncident(t, a.get(t, "/panic-fault"), "/panic-fault", "native_fault")
	a.checkIncident(t, a.get(t, "/error-fault"), "/error-fault", "native_fault")
	a.checkIncident(t, a.get(t, "/go-panic"), "/go-panic", "panic")

	snap := a.clusters.Snapshot()
	if snap.Totals.NativeFaults != 2 || snap.Totals.Panics != 1 || len(snap.Clusters) != 3 {
		t.Errorf("clusters %+v, want 2 faults and 1 panic in 3 clusters", snap.Totals)
	}
	for _, cl := range snap.Clusters {
		if ex := cl.Examples[len(cl.Examples)-1]; !testlog.IncidentID.MatchString(ex.IncidentID) || ex.Origin != "http" {
			t.Errorf("cluster %s: the example is not tied to its incident: %+v", cl.Fingerprint, ex)
		}
	}
	if r := a.get(t, "/ok"); r.status != 200 || r.body != "ok" {
		t.Errorf("after the crashes /ok = %d %q", r.status, r.body)
	}
}

// The gin bug this package exists for: a partial write, then a panic, must
// not become a 200 whose body ends with an error JSON. The client sees the
// partial body cut off; the incident is reported. Also with gin.Recovery
// further out, which swallows http.ErrAbortHandler.
func TestPanicAfterPartialWriteCutsTheConnection(t *testing.T) {
	for name, outer := range map[string][]gin.HandlerFunc{
		"gin.New":                  nil,
		"gin.Recovery further out": {gin.RecoveryWithWriter(io.Discard)},
	} {
		t.Run(name, func(t *testing.T) {
			a := newApp(t, outer...)
			r := a.get(t, "/partial")
			if r.status != 200 || r.body != "partial" || !errors.Is(r.err, io.ErrUnexpectedEOF) {
				t.Errorf("got %d %q, %v; want 200, the partial body, then an unexpected EOF", r.status, r.body, r.err)
			}
			snap := a.clusters.Snapshot()
			if snap.Totals.NativeFaults != 1 || len(snap.Clusters) != 1 || !strings.Contains(a.logs.String(), `"path":"/partial"`) {
				t.Errorf("the fault was not reported: %+v\n%s", snap.Totals, a.logs.String())
			}
			if r := a.get(t, "/ok"); r.status != 200 {
				t.Errorf("after the cut /ok = %d", r.status)
			}
		})
	}
}

func TestErrAbortHandlerAbortsTheConnection(t *testing.T) {
	a := newApp(t)
	if r := a.get(t, "/abort"); r.err == nil {
		t.Errorf("got a response (%d %q), want the connection aborted", r.status, r.body)
	}
	if s := a.logs.String(); s != "" {
		t.Errorf("http.ErrAbortHandler was logged: %s", s)
	}
}

func TestQuarantinedCallAnswers503(t *testing.T) {
	a := newApp(t)
	for _, path := range []string{"/quarantined", "/quarantined-panic"} {
		r := a.get(t, path)
		if r.status != 503 || r.header.Get("Retry-After") != "42" || r.body != `{"error":"service unavailable"}`+"\n" ||
			r.header.Get(httpguard.HeaderIncidentID) != "" {
			t.Errorf("%s: got %d %q, Retry-After %q; want 503, 42 and no incident", path, r.status, r.body, r.header.Get("Retry-After"))
		}
		if s := a.status(t); s != 503 {
			t.Errorf("%s: gin saw status %d", path, s)
		}
	}
	if s := a.logs.String(); s != "" {
		t.Errorf("a refused call was logged as an incident: %s", s)
	}
}

// Errors that are not native faults are the application's own.
func TestOtherErrorsAreLeftAlone(t *testing.T) {
	a := newApp(t)
	if r := a.get(t, "/bad-input"); r.status != 400 || r.body != `{"error":"bad input"}` ||
		r.header.Get(httpguard.HeaderIncidentID) != "" {
		t.Errorf("got %d %q", r.status, r.body)
	}
	if s := a.logs.String(); s != "" {
		t.Errorf("an application error was reported: %s", s)
	}
}
