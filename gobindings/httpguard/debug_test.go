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
