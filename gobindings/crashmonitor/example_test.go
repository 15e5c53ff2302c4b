package crashmonitor_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/gobindings/crashmonitor"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// The top of main: Start before anything else, Shutdown deferred so that
// returning from main is a clean end.
func ExampleStart() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	if err := crashmonitor.Start(crashmonitor.WithReporter(incident.Reporter{Logger: logger})); err != nil {
		logger.Warn("running without a crash monitor", "error", err)
	}
	defer crashmonitor.Shutdown() // returning from main is a clean exit
}

// A service that stops on SIGTERM or ^C by returning from main: its stop is
// clean, not "exited without a crash report".
func ExampleShutdown() {
	crashmonitor.Start()
	defer crashmonitor.Shutdown()

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	srv := &http.Server{Addr: "127.0.0.1:8080"}
	go srv.ListenAndServe()
	<-ctx.Done()
	srv.Shutdown(context.Background())
}

// An exit of the program's own with a status: Exit marks it clean first.
func ExampleExit() {
	crashmonitor.Start()
	if err := loadConfig(); err != nil {
		slog.Error("giving up", "error", err)
		crashmonitor.Exit(1)
	}
}

func loadConfig() error { return errors.New("no configuration") }

// Options: a spool directory of the program's own, a bounded hook, and a
// switch to run without a monitor.
func ExampleWithSpoolDir() {
	logger := slog.Default()
	err := crashmonitor.Start(
		crashmonitor.WithReporter(incident.Reporter{Logger: logger}),
		crashmonitor.WithSpoolDir("/var/lib/myservice/crashes"),
		crashmonitor.WithHookTimeout(5*time.Second),
		crashmonitor.Enabled(os.Getenv("MYSERVICE_DEBUG") == ""),
	)
	if err != nil {
		logger.Warn("running without a crash monitor", "error", err)
	}
}

// A hook that knows it runs in the monitor, after the program died.
func ExampleFromContext() {
	report := func(ctx context.Context, inc *incident.Incident) {
		if crash, ok := crashmonitor.FromContext(ctx); ok {
			slog.Error("crash", "incident_id", inc.ID, "pid", crash.PID, "previous_run", crash.Previous)
		}
	}
	crashmonitor.Start(crashmonitor.WithReporter(incident.Reporter{OnIncident: report}))
}

// testMainWithMonitor is a TestMain that monitors its tests: it must end
// with Exit (os.Exit(m.Run()) would be an exit without the mark).
func testMainWithMonitor(m *testing.M) {
	if err := crashmonitor.Start(); err != nil {
		slog.Warn("tests run without a crash monitor", "error", err)
	}
	crashmonitor.Exit(m.Run())
}

var _ = testMainWithMonitor
