package zeroguard_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/zeromicro/go-zero/core/logx"
	"github.com/zeromicro/go-zero/rest"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
	"github.com/cgoguard/cgoguard/gobindings/zeroguard"
)

func TestMain(m *testing.M) {
	if err := cgoguard.Init(); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady() // tests read fault names right after Call
	logx.Disable()
	os.Exit(m.Run())
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type app struct {
	url      string
	logs     *testlog.Sink
	clusters *incident.Clusters
}

// newApp starts a real go-zero REST server, its whole default handler
// chain included (timeout, recover, metrics...), with zeroguard in it.
func newApp(t *testing.T) *app {
	q := quarantine.New(quarantine.Threshold(1), quarantine.Cooldown(42*time.Second))
	site := q.Site("decoder")
	site.Call(fx.NullWrite.Fn, nil) // trips the site, before the clusters count
	a := &app{logs: &testlog.Sink{}, clusters: incident.NewClusters()}
	t.Cleanup(a.clusters.Close)
	rep := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(a.logs, nil)), Clusters: a.clusters}

	var conf rest.RestConf
	conf.Name, conf.Host, conf.Port, conf.Timeout = "zeroguard-test", "127.0.0.1", freePort(t), 10_000
	conf.Log.Mode = "console"
	server := rest.MustNewServer(conf)
	server.Use(zeroguard.Middleware(httpguard.WithReporter(rep)))
	route := func(path string, h http.HandlerFunc) {
		server.AddRoute(rest.Route{Method: http.MethodGet, Path: path, Handler: h})
	}
	route("/ok", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	route("/panic-fault", func(w http.ResponseWriter, r *http.Request) {
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
	})
	route("/write-error", func(w http.ResponseWriter, r *http.Request) {
		if err := cgoguard.Call(fx.NullRead.Fn, nil); err != nil {
			httpguard.WriteError(w, r, err)
		}
	})
	route("/go-panic", func(w http.ResponseWriter, r *http.Request) {
		var m map[string]int
		m["x"]++
	})
	route("/partial", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
	})
	route("/abort", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) })
	route("/quarantined", func(w http.ResponseWriter, r *http.Request) {
		if err := site.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
	})
	go server.Start()
	t.Cleanup(server.Stop)
	a.url = fmt.Sprintf("http://127.0.0.1:%d", conf.Port)
	for i := 0; ; i++ { // wait for the listener
		if c, err := net.Dial("tcp", a.url[len("http://"):]); err == nil {
			c.Close()
			break
		} else if i == 100 {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return a
}

type response struct {
	status int
	header http.Header
	body   string
	err    error
}

func (a *app) get(path string) response {
	resp, err := http.Get(a.url + path)
	if err != nil {
		return response{err: err}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(body), err}
}

func TestFaultsAndPanicsAreIncidentsInGoZerosChain(t *testing.T) {
	a := newApp(t)
	for path, kind := range map[string]string{"/panic-fault": "native_fault", "/write-error": "native_fault", "/go-panic": "panic"} {
		r := a.get(path)
		id := r.header.Get(httpguard.HeaderIncidentID)
		want := `{"error":"internal server error","incident_id":"` + id + `"}` + "\n"
		if r.status != 500 || !testlog.IncidentID.MatchString(id) || r.body != want {
			t.Errorf("%s: got %d %q (incident %q, %v), want 500 with the incident ID only", path, r.status, r.body, id, r.err)
			continue
		}
		testlog.NoInternals(t, path+": the body", r.body, "zeroguard_test")
		if recs := a.logs.WithID(t, id); len(recs) != 1 || recs[0]["kind"] != kind || recs[0]["path"] != path {
			t.Errorf("%s: records %v", path, recs)
		}
	}
	if snap := a.clusters.Snapshot(); snap.Totals.NativeFaults != 2 || snap.Totals.Panics != 1 {
		t.Errorf("clusters %+v", snap.Totals)
	}
	if r := a.get("/ok"); r.status != 200 || r.body != "ok" {
		t.Errorf("/ok = %d %q", r.status, r.body)
	}
}

// go-zero's recover handler would turn the abort into a 500 that its
// timeout handler then finishes as a complete 200: the client must see the
// partial body cut off instead.
func TestPanicAfterPartialWriteCutsTheConnection(t *testing.T) {
	a := newApp(t)
	r := a.get("/partial")
	if r.status != 200 || r.body != "partial" || !errors.Is(r.err, io.ErrUnexpectedEOF) {
		t.Errorf("got %d %q, %v; want 200, the partial body, then an unexpected EOF", r.status, r.body, r.err)
	}
	if !strings.Contains(a.logs.String(), `"path":"/partial"`) {
		t.Errorf("the fault was not reported: %s", a.logs.String())
	}
	if r := a.get("/abort"); r.err == nil {
		t.Errorf("/abort: got %d %q, want the connection aborted", r.status, r.body)
	}
	if r := a.get("/ok"); r.status != 200 {
		t.Errorf("/ok = %d", r.status)
	}
}

func TestQuarantinedCallAnswers503(t *testing.T) {
	a := newApp(t)
	r := a.get("/quarantined")
	if r.status != 503 || r.header.Get("Retry-After") != "42" || r.body != `{"error":"service unavailable"}`+"\n" {
		t.Errorf("got %d %q, Retry-After %q", r.status, r.body, r.header.Get("Retry-After"))
	}
}
