// Command httpserver is an HTTP service whose endpoints call real native code
// through cgoguard: a benign native function, crash fixtures of every kind
// (segfaults, a stack overflow, SIGBUS, abort, a C++ exception, ...), a
// native decoder under quarantine with a reset hook, a background job in
// safego groups, the fault clusters' debug page and Prometheus metrics.
//
//	go run . -addr 127.0.0.1:8080
//	curl -i localhost:8080/crash/null-write          # 500 with an incident ID; the server lives on
//	curl localhost:8080/checksum?seed=1        # 200
//	curl -i 'localhost:8080/decode?poison=1'   # pollutes the decoder; later decodes fault, then 503
//	open http://localhost:8080/debug/cgoguard/ # the fault clusters
//	curl localhost:8080/metrics | grep cgoguard_
//	go run . -pprof   # then: go tool pprof http://localhost:8080/debug/pprof/profile
package main

import (
	"context"
	"errors"
	"expvar"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/metrics"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
	"github.com/cgoguard/cgoguard/gobindings/safego"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address (loopback by default)")
	addrFile := flag.String("addr-file", "", "write the address actually listened on to this file once serving")
	cooldown := flag.Duration("quarantine-cooldown", 5*time.Second, "how long the quarantined decoder refuses calls")
	jobInterval := flag.Duration("job-interval", 200*time.Millisecond, "background job period")
	pprof := flag.Bool("pprof", false, "serve net/http/pprof at /debug/pprof/ (for profiling the incident path)")
	flag.Parse()
	if err := run(*addr, *addrFile, *cooldown, *jobInterval, *pprof); err != nil {
		fmt.Fprintln(os.Stderr, "httpserver:", err)
		os.Exit(1)
	}
}

func run(addr, addrFile string, cooldown, jobInterval time.Duration, pprof bool) error {
	// abort() and failed asserts are contained too: the example shows them,
	// but a process that contained one should be restarted soon.
	if err := cgoguard.Init(cgoguard.ContainAbort()); err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	slog.SetDefault(logger)

	q := quarantine.New(quarantine.Threshold(5), quarantine.Window(10*time.Second), quarantine.Cooldown(cooldown),
		quarantine.OnStateChange(func(site string, from, to quarantine.State) {
			logger.Warn("quarantine state change", "site", site, "from", from.String(), "to", to.String())
		}))
	svc := &service{logger: logger, q: q, decoder: newDecoder(q), pprof: pprof}
	metrics.Publish("cgoguard", metrics.Sources{Quarantines: []*quarantine.Quarantine{q}})
	expvar.Publish("process", expvar.Func(processStats))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	safego.Go(func() { runJob(ctx, logger, jobInterval) }, safego.Name("reindex-job"))

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: svc.handler(), ReadHeaderTimeout: 5 * time.Second}
	if addrFile != "" {
		if err := os.WriteFile(addrFile, []byte(ln.Addr().String()), 0o644); err != nil {
			return err
		}
	}
	logger.Info("serving", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	// Log the counts of incidents the log budget held back in windows that
	// are still open.
	incident.DefaultLogBudget().Flush()
	logger.Info("stopped")
	return nil
}

// processStats reports the resident set size and thread count from /proc.
func processStats() any {
	out := map[string]int64{}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return out
	}
	for _, line := range strings.Split(string(status), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			out["rss_bytes"] = n * 1024
		case "Threads":
			out["threads"] = n
		}
	}
	return out
}
