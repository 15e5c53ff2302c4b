package httpguard

import (
	_ "embed"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

// DebugHandler serves the fault clusters (and the sites of the quarantines
// given with WithQuarantines) as a small HTML page, or as JSON for
// ?format=json or an Accept header that asks for JSON. It serves internals
// — native frames, Go stacks, fault addresses — so mount it where only
// operators reach it (an internal listener, behind authentication); it is
// never registered anywhere by itself:
//
//	mux.Handle("/debug/cgoguard/", httpguard.DebugHandler())
//
// It uses the clusters of the WithReporter option and the WithQuarantines
// option; others are ignored.
func DebugHandler(opts ...Option) http.Handler {
	return &debugHandler{cfg: newConfig(opts)}
}

type debugHandler struct{ cfg *config }

// DebugPage is what DebugHandler serves.
type DebugPage struct {
	Time time.Time `json:"time"`
	// Tainted and ContainedTotal are cgoguard.Stats' process-wide values.
	Tainted        bool                   `json:"tainted"`
	ContainedTotal uint64                 `json:"contained_total"`
	Totals         incident.Totals        `json:"totals"`
	Clusters       []incident.Cluster     `json:"clusters"`
	Quarantine     []quarantine.SiteStats `json:"quarantine,omitempty"`
}

//go:embed debug.html
var debugHTML string

var debugTemplate = template.Must(template.New("debug").Funcs(template.FuncMap{
	"since": func(t time.Time) string { return time.Since(t).Round(time.Second).String() },
}).Parse(debugHTML))

func (d *debugHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	stats := cgoguard.Stats()
	snap := d.cfg.reporter.Clusters.Snapshot()
	page := DebugPage{
		Time:           time.Now(),
		Tainted:        stats.Tainted,
		ContainedTotal: stats.ContainedTotal,
		Totals:         snap.Totals,
		Clusters:       snap.Clusters,
	}
	for _, q := range d.cfg.quarantines {
		page.Quarantine = append(page.Quarantine, q.Sites()...)
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json") {
		h.Set("Content-Type", "application/json")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(page)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	debugTemplate.Execute(w, page)
}
