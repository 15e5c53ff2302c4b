//go:build cgo

package incident_test

import (
	"context"
	"fmt"
	"log/slog"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// A Reporter is where incidents go: one log record, the clusters, and a
// hook with the context of the request or goroutine. Boundaries build and
// report incidents; code that contains a failure its own way can too.
func ExampleReporter() {
	clusters := incident.NewClusters()
	defer clusters.Close()
	rep := incident.Reporter{
		Logger:   slog.New(slog.DiscardHandler),
		Clusters: clusters,
		OnIncident: func(ctx context.Context, inc *incident.Incident) {
			fmt.Println("hook:", inc.Kind, inc.Signal(), inc.Origin)
		},
	}

	err := cgoguard.Call(fx.NullWrite.Fn, nil) // a contained SIGSEGV
	inc := incident.FromError(err, 0)
	inc.Origin = "batch"
	rep.Report(context.Background(), inc)

	snap := clusters.Snapshot()
	fmt.Println("clusters:", len(snap.Clusters), "native faults:", snap.Totals.NativeFaults)
	// Output:
	// hook: native_fault SIGSEGV batch
	// clusters: 1 native faults: 1
}

// Hooks runs several hooks in order; one that panics does not stop the
// others.
func ExampleHooks() {
	trace := func(ctx context.Context, inc *incident.Incident) { fmt.Println("trace", inc.Kind) }
	page := func(ctx context.Context, inc *incident.Incident) { fmt.Println("page", inc.Kind) }
	rep := incident.Reporter{Logger: slog.New(slog.DiscardHandler), OnIncident: incident.Hooks(trace, page)}
	defer func() { rep.Report(context.Background(), incident.FromPanic(recover())) }()
	panic("bug")
	// Output:
	// trace panic
	// page panic
}
