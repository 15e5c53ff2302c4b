//go:build cgo

package docsnippets

// The service-boundary snippet of docs/services.md: a quarantined decoder
// behind httpguard, the debug page, a safego group.

/*
void decoder_init(void) {}
void decode(void* job) { (void)job; }
*/
import "C"

import (
	"context"
	"log/slog"
	"net/http"
	"unsafe"
)

import (
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
	"github.com/cgoguard/cgoguard/gobindings/safego"
)

// services builds what the snippet builds and returns the public handler,
// the operators' handler and the group's result.
func services(ctx context.Context, logger *slog.Logger, job *byte, work func(context.Context) error) (http.Handler, http.Handler, error) {
	q := quarantine.New() // 5 faults within 1 min -> fail fast for 30 s, then one probe
	decoder := q.Site("decoder", quarantine.WithReset(func() error { C.decoder_init(); return nil }))

	mux := http.NewServeMux()
	mux.HandleFunc("/decode", func(w http.ResponseWriter, r *http.Request) {
		if err := decoder.Call(unsafe.Pointer(C.decode), unsafe.Pointer(job)); err != nil {
			httpguard.WriteError(w, r, err) // 500 + incident ID, or 503 + Retry-After when quarantined
			return                          // (or simply: panic(err))
		}
		// ...
	})
	rep := incident.Reporter{Logger: logger} // optional: Clusters, OnIncident: func(ctx, *incident.Incident)
	public := httpguard.Middleware(mux, httpguard.WithReporter(rep))
	internal := httpguard.DebugHandler(httpguard.WithQuarantines(q)) // mount on an operators-only listener

	g, ctx := safego.NewGroup(ctx, safego.Name("reindex"), safego.WithReporter(rep))
	g.Go(func(ctx context.Context) error { return work(ctx) }) // a panic cannot kill the process
	// *safego.PanicError, *cgoguard.NativeFault or the member's own error:
	err := g.Wait()
	return public, internal, err
}
