package sentryguard_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"

	"github.com/getsentry/sentry-go"
	sentryhttp "github.com/getsentry/sentry-go/http"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/crashmonitor"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/safego"
	"github.com/cgoguard/cgoguard/gobindings/sentryguard"
)

// Record is a hook: one Reporter carries it to every boundary. Here a
// goroutine's fault becomes an event on the hub of the context it was
// started with (in a program, sentry.Init's; here one whose transport keeps
// the events instead of sending them).
func ExampleRecord() {
	tr := &capture{}
	client, _ := sentry.NewClient(sentry.ClientOptions{Dsn: "https://public@sentry.example/1", Transport: tr})
	ctx := sentry.SetHubOnContext(context.Background(), sentry.NewHub(client, sentry.NewScope()))
	rep := incident.Reporter{Logger: slog.New(slog.DiscardHandler), OnIncident: sentryguard.Record}

	g, _ := safego.NewGroup(ctx, safego.WithReporter(rep), safego.Name("reindex"))
	g.Go(func(ctx context.Context) error {
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); err != nil {
			panic(err)
		}
		return nil
	})
	g.Wait()

	ev := tr.all()[0]
	fmt.Println(ev["level"], ev["platform"], path(ev, "exception", 0, "type"))
	fmt.Println(path(ev, "tags", sentryguard.TagKind), path(ev, "tags", sentryguard.TagOrigin))
	fmt.Println(path(ev, "contexts", sentryguard.ContextName, "goroutine"))
	fmt.Println(path(ev, "debug_meta", "images", 0, "type"))
	// Output:
	// error native SIGSEGV
	// native_fault goroutine
	// reindex
	// elf
}

// A service: Sentry first (the crash monitor runs the program's code up to
// crashmonitor.Start, and its hook sends through this client), then the
// monitor, then the request boundary inside sentryhttp's, which gives each
// request a hub carrying the request.
func Example_service() {
	dsn, version := os.Getenv("SENTRY_DSN"), "v1.4.2"
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	mux := http.NewServeMux()

	sentry.Init(sentry.ClientOptions{Dsn: dsn, Release: version})
	rep := incident.Reporter{Logger: logger, OnIncident: sentryguard.Record}
	crashmonitor.Start(crashmonitor.WithReporter(rep))
	defer crashmonitor.Shutdown()
	handler := sentryhttp.New(sentryhttp.Options{}).Handle(httpguard.Middleware(mux, httpguard.WithReporter(rep)))

	logger.Error("serving", "error", http.ListenAndServe("127.0.0.1:8080", handler))
}
