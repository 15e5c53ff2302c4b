//go:build cgo

package httpguard_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

func TestDebugHandlerServesClustersAsJSONAndHTML(t *testing.T) {
	clusters := incident.NewClusters()
	defer clusters.Close()
	q := quarantine.New(quarantine.Threshold(1), quarantine.Cooldown(time.Hour))
	q.Site("decoder").Call(fx.NullWrite.Fn, nil)

	app := httptest.NewServer(httpguard.Middleware(testMux(), httpguard.WithReporter(incident.Reporter{Logger: discard, Clusters: clusters})))
	defer app.Close()
	for range 3 {
		get(t, app.Client(), app.URL+"/crash/bus")
	}
	// A request path is attacker-controlled: the page must escape it.
	get(t, app.Client(), app.URL+"/panic/%3Cscript%3Ealert(1)%3C%2Fscript%3E")

	mux := http.NewServeMux()
	mux.Handle("/debug/cgoguard/", httpguard.DebugHandler(httpguard.WithReporter(incident.Reporter{Clusters: clusters}), httpguard.WithQuarantines(q)))
	debug := httptest.NewServer(mux)
	defer debug.Close()

	r := get(t, debug.Client(), debug.URL+"/debug/cgoguard/?format=json")
	var page httpguard.DebugPage
	if err := json.Unmarshal([]byte(r.body), &page); err != nil || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("JSON page: %v (%s)\n%s", err, r.header.Get("Content-Type"), r.body)
	}
	if len(page.Clusters) != 3 || page.Totals.Panics != 1 || page.Totals.BySignal["SIGBUS"] != 3 ||
		page.Totals.NativeFaults != 4 || !page.Tainted {
		t.Errorf("page totals %+v, %d clusters", page.Totals, len(page.Clusters))
	}
	bus := page.Clusters[0]
	if bus.Count != 3 || bus.Signal != "SIGBUS" || bus.Site != "cgg_fx_bus_past_eof" || len(bus.Examples) != 1 || bus.Examples[0].Request != "GET /crash/bus" {
		t.Errorf("first cluster %+v", bus)
	}
	if len(page.Quarantine) != 1 || page.Quarantine[0].Name != "decoder" || page.Quarantine[0].StateName != "open" ||
		page.Quarantine[0].Trips != 1 {
		t.Errorf("quarantine %+v", page.Quarantine)
	}

	r = get(t, debug.Client(), debug.URL+"/debug/cgoguard/", "Accept", "text/html")
	if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("Content-Type %q", r.header.Get("Content-Type"))
	}
	for _, want := range []string{bus.Fingerprint, "SIGBUS", "in <code>cgg_fx_bus_past_eof</code>", "GET /crash/bus", "decoder",
		"&lt;script&gt;alert(1)&lt;/script&gt;", "tainted"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the HTML page lacks %q", want)
		}
	}
	if strings.Contains(r.body, "<script>") {
		t.Error("the HTML page carries an unescaped request path")
	}
}

// Neither the middleware nor the debug handler registers anything on
// http.DefaultServeMux.
func TestNothingOnDefaultServeMux(t *testing.T) {
	httpguard.DebugHandler()
	httpguard.Middleware(http.NotFoundHandler())
	for _, path := range []string{"/debug/cgoguard/", "/debug/cgoguard", "/"} {
		req := httptest.NewRequest("GET", path, nil)
		if _, pattern := http.DefaultServeMux.Handler(req); pattern != "" {
			t.Errorf("%s is served by DefaultServeMux pattern %q", path, pattern)
		}
	}
}

// What the engineer on call reads: the rate chart and last-hour count per
// cluster, uptime, the quarantine's retry time, a lookup by incident ID
// that finds an incident whose cluster example has moved on, and stacks
// innermost first as in the log.
func TestDebugPageForOnCall(t *testing.T) {
	q := quarantine.New(quarantine.Threshold(1), quarantine.Cooldown(time.Hour))
	q.Site("decoder").Call(fx.NullWrite.Fn, nil) // before the clusters count
	clusters := incident.NewClusters(incident.ExamplesPerCluster(1))
	defer clusters.Close()

	app := httptest.NewServer(httpguard.Middleware(testMux(), httpguard.WithReporter(incident.Reporter{Logger: discard, Clusters: clusters})))
	defer app.Close()
	first := get(t, app.Client(), app.URL+"/crash/null-write").header.Get(httpguard.HeaderIncidentID)
	for range 4 {
		get(t, app.Client(), app.URL+"/crash/null-write")
	}
	debug := httptest.NewServer(httpguard.DebugHandler(httpguard.WithReporter(incident.Reporter{Clusters: clusters}), httpguard.WithQuarantines(q)))
	defer debug.Close()

	page := get(t, debug.Client(), debug.URL+"/", "Accept", "text/html").body
	for _, want := range []string{`<svg class="rate"`, `fill="#b00"`, "5 in the last hour", "; up ",
		"<th>next call let through</th>", `<input name="incident"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if !strings.Contains(page, "<td>in 59m") && !strings.Contains(page, "<td>in 1h0m0s") {
		t.Errorf("the page lacks the quarantine's retry time (an hour's cool-down)")
	}
	var snap httpguard.DebugPage
	json.Unmarshal([]byte(get(t, debug.Client(), debug.URL+"/?format=json").body), &snap)
	if snap.Uptime <= 0 || snap.Clusters[0].LastHour[59] != 5 {
		t.Errorf("JSON: uptime %v, last hour %v", snap.Uptime, snap.Clusters[0].LastHour)
	}

	// The first incident's example was replaced in its cluster; the lookup
	// still finds it, its native frames innermost first, before its Go
	// frames, and those innermost first too.
	found := get(t, debug.Client(), debug.URL+"/?incident="+first, "Accept", "text/html").body
	section := found[strings.Index(found, `<div class="found"`):strings.Index(found, "<table>")]
	fault := strings.Index(section, "cgg_fx_null_write")
	handler := strings.Index(section, "httpguard_test.testMux")
	loop := strings.Index(section, "net/http.(*conn).serve")
	if !strings.Contains(section, "Incident <code>"+first+"</code>") || fault < 0 || !(fault < handler && handler < loop) ||
		!strings.Contains(section, "GET /crash/null-write") {
		t.Errorf("the looked-up incident (fault at %d, handler at %d, server loop at %d):\n%s", fault, handler, loop, section)
	}
	missing := get(t, debug.Client(), debug.URL+"/?incident=%3Cb%3Enope", "Accept", "text/html").body
	if !strings.Contains(missing, "<code>&lt;b&gt;nope</code> is not among the recent incidents") {
		t.Errorf("an unknown ID: %s", missing)
	}
}
