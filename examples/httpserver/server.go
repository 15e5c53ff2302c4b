package main

import (
	"encoding/json"
	"expvar"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/metrics"
	"github.com/cgoguard/cgoguard/gobindings/promguard"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

// crashes are the native crash fixtures served at /crash/{kind}.
var crashes = fx.Crashes()

// service is the example application.
type service struct {
	logger  *slog.Logger
	q       *quarantine.Quarantine
	decoder *decoder
	// pprof serves net/http/pprof's profiles beside the operator endpoints.
	pprof bool
}

// handler returns every route: the application behind httpguard, the
// operator endpoints (debug page, metrics) beside it.
func (s *service) handler() http.Handler {
	app := http.NewServeMux()
	app.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	app.HandleFunc("GET /checksum", s.checksum)
	app.HandleFunc("GET /crash/{kind}", s.crash)
	app.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) {
		var counts map[string]int
		counts[r.URL.Path]++ // a Go bug: assignment to a nil map
	})
	app.HandleFunc("GET /decode", s.decode)

	// Operator endpoints. They show internals (native frames, addresses):
	// in production, serve them on an internal listener only.
	ops := http.NewServeMux()
	ops.Handle("/", httpguard.Middleware(app, httpguard.WithReporter(incident.Reporter{Logger: s.logger})))
	ops.Handle("GET /debug/cgoguard/", httpguard.DebugHandler(httpguard.WithQuarantines(s.q)))
	ops.Handle("GET /debug/vars", expvar.Handler())
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		promguard.NewCollector(metrics.Sources{Quarantines: []*quarantine.Quarantine{s.q}}),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	ops.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if s.pprof {
		ops.HandleFunc("GET /debug/pprof/", pprof.Index)
		ops.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		ops.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		ops.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	return ops
}

// checksum runs a benign native function: the healthy request.
func (s *service) checksum(w http.ResponseWriter, r *http.Request) {
	seed, _ := strconv.ParseUint(r.URL.Query().Get("seed"), 10, 32)
	sum, err := checksum(uint32(seed), 256)
	if err != nil {
		httpguard.WriteError(w, r, err)
		return
	}
	writeJSON(w, map[string]uint32{"checksum": sum})
}

// crash runs a crash fixture. A native fault comes back as an error; the
// handler panics with it and httpguard answers 500 with an incident ID.
func (s *service) crash(w http.ResponseWriter, r *http.Request) {
	f, ok := crashes[r.PathValue("kind")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if err := cgoguard.Call(f.Fn, nil); err != nil {
		panic(err)
	}
	w.Write([]byte("the fixture returned\n"))
}

// decode calls the quarantined native decoder: 200, 500 on a fault, 503
// with Retry-After while the decoder is quarantined.
func (s *service) decode(w http.ResponseWriter, r *http.Request) {
	input, _ := strconv.Atoi(r.URL.Query().Get("input"))
	out, err := s.decoder.decode(input, r.URL.Query().Has("poison"))
	if err != nil {
		httpguard.WriteError(w, r, err)
		return
	}
	writeJSON(w, map[string]int{"output": out})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
