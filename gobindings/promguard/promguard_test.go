package promguard_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/metrics"
	"github.com/cgoguard/cgoguard/gobindings/promguard"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

func TestMain(m *testing.M) {
	if err := cgoguard.Init(); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady() // tests read fault names right after Call
	os.Exit(m.Run())
}

// scrape GETs the metrics endpoint and returns the value of one series
// (0 when absent).
func scrape(t *testing.T, url string) func(series string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape: %d %v", resp.StatusCode, err)
	}
	text := string(body)
	return func(series string) float64 {
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
		if m == nil {
			return 0
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatalf("%s: %v", series, err)
		}
		return v
	}
}

func TestPrometheusEndpointExposesTheCounters(t *testing.T) {
	clusters := incident.NewClusters()
	defer clusters.Close()
	q := quarantine.New(quarantine.Threshold(2), quarantine.Cooldown(time.Hour))
	reg := prometheus.NewRegistry()
	src := metrics.Sources{Clusters: clusters, Quarantines: []*quarantine.Quarantine{q}}
	if err := promguard.Register(reg, src); err != nil {
		t.Fatal(err)
	}
	if problems, err := testutil.CollectAndLint(promguard.NewCollector(src)); err != nil || len(problems) > 0 {
		t.Fatalf("lint: %v %v", err, problems)
	}
	metricsSrv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer metricsSrv.Close()

	// The application: a native fault, a C++ exception and a Go panic per
	// request kind, and a quarantined call site.
	site := q.Site("decoder")
	mux := http.NewServeMux()
	mux.HandleFunc("/segv", func(w http.ResponseWriter, r *http.Request) {
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
	})
	mux.HandleFunc("/cxx", func(w http.ResponseWriter, r *http.Request) {
		httpguard.WriteError(w, r, cgoguard.Call(fx.CxxThrow.Fn, nil))
	})
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) { panic("go panic") })
	mux.HandleFunc("/decode", func(w http.ResponseWriter, r *http.Request) {
		httpguard.WriteError(w, r, site.Call(fx.NullRead.Fn, nil))
	})
	app := httptest.NewServer(httpguard.Middleware(mux, httpguard.WithReporter(incident.Reporter{
		Clusters: clusters, Logger: slog.New(slog.DiscardHandler)})))
	defer app.Close()

	before := scrape(t, metricsSrv.URL)
	hits := map[string]int{"/segv": 3, "/cxx": 2, "/panic": 4, "/decode": 5}
	for path, n := range hits {
		for range n {
			resp, err := http.Get(app.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	after := scrape(t, metricsSrv.URL)

	delta := func(series string) float64 { return after(series) - before(series) }
	// SIGSEGV: 3 from /segv, 2 from /decode before its site was quarantined.
	checks := map[string]float64{
		`cgoguard_native_faults_contained_total{signal="SIGSEGV"}`:       5,
		`cgoguard_native_faults_contained_total{signal="cxx_exception"}`: 2,
		`cgoguard_panics_recovered_total`:                                4,
		`cgoguard_quarantine_calls_rejected_total{site="decoder"}`:       3,
		`cgoguard_quarantine_trips_total{site="decoder"}`:                1,
		`cgoguard_quarantine_faults_total{site="decoder"}`:               2,
	}
	for series, want := range checks {
		if got := delta(series); got != want {
			t.Errorf("%s went up by %v, want %v", series, got, want)
		}
	}
	if after(`cgoguard_quarantine_state{site="decoder"}`) != 1 || after(`cgoguard_tainted`) != 1 ||
		after(`cgoguard_handlers_intact`) != 1 {
		t.Error("gauges: want the decoder open (1), the process tainted, the handlers intact")
	}
	// One series per fingerprint cluster, with its exact count.
	var segvFP, panicFP string
	for _, cl := range clusters.Snapshot().Clusters {
		switch {
		case cl.Signal == "SIGSEGV" && cl.Count == 3:
			segvFP = cl.Fingerprint
		case cl.Kind == incident.KindPanic:
			panicFP = cl.Fingerprint
		}
	}
	if got := after(`cgoguard_cluster_incidents_total{fingerprint="` + segvFP + `",kind="native_fault",signal="SIGSEGV"}`); segvFP == "" || got != 3 {
		t.Errorf("the /segv cluster %q: %v, want 3", segvFP, got)
	}
	if got := after(`cgoguard_cluster_incidents_total{fingerprint="` + panicFP + `",kind="panic",signal=""}`); got != 4 {
		t.Errorf("the panic cluster %q: %v, want 4", panicFP, got)
	}
}

// In a crash storm the log budget keeps most incident records out of the
// log; the endpoint says how many.
func TestPrometheusEndpointCountsSuppressedIncidentRecords(t *testing.T) {
	clusters := incident.NewClusters()
	defer clusters.Close()
	budget := incident.NewLogBudget(2, time.Hour)
	reg := prometheus.NewRegistry()
	if err := promguard.Register(reg, metrics.Sources{Clusters: clusters, LogBudgets: []*incident.LogBudget{budget}}); err != nil {
		t.Fatal(err)
	}
	metricsSrv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer metricsSrv.Close()
	app := httptest.NewServer(httpguard.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpguard.WriteError(w, r, cgoguard.Call(fx.NullWrite.Fn, nil))
	}), httpguard.WithReporter(incident.Reporter{Clusters: clusters, Logger: slog.New(slog.DiscardHandler), LogBudget: budget})))
	defer app.Close()

	const series = `cgoguard_incident_records_suppressed_total`
	if got := scrape(t, metricsSrv.URL)(series); got != 0 {
		t.Fatalf("%s is %v before any request", series, got)
	}
	for range 7 {
		resp, err := http.Get(app.URL)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	// Seven faults of one fingerprint, two logged in full.
	if got := scrape(t, metricsSrv.URL)(series); got != 5 {
		t.Errorf("%s is %v, want 5", series, got)
	}
}
