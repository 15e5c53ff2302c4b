package httpguard

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
	"github.com/cgoguard/cgoguard/gobindings/taint"
)

// DebugHandler serves, for the engineer on call, the fault clusters — each
// with its rate per minute over the last hour as a small chart — the sites
// of the quarantines given with WithQuarantines and when they let the next
// call through, the process's uptime, and a lookup of a recent incident by
// its ID (?incident=<id>, among the latest incident.DefaultRecentIncidents),
// as a small HTML page, or as JSON for ?format=json or an Accept header
// that asks for JSON. Stacks read innermost first, as in the log records. It serves internals
// — native frames, Go stacks, fault addresses — so mount it where only
// operators reach it (an internal listener, behind authentication); it is
// never registered anywhere by itself:
//
//	mux.Handle("/debug/cgoguard/", httpguard.DebugHandler())
//
// It uses the clusters of the WithReporter option, WithQuarantines and
// WithTaintPolicy; others are ignored.
func DebugHandler(opts ...Option) http.Handler {
	return &debugHandler{cfg: newConfig(opts)}
}

type debugHandler struct{ cfg *config }

// DebugPage is what DebugHandler serves.
type DebugPage struct {
	Time time.Time `json:"time"`
	// Started is when the program started (the httpguard package's
	// initialization); Uptime is Time minus Started.
	Started time.Time     `json:"started"`
	Uptime  time.Duration `json:"uptime_ns"`
	// IncidentQuery is the ?incident= asked for; Incident is what was found
	// (nil when it is not among the recent incidents).
	IncidentQuery string                    `json:"incident_query,omitempty"`
	Incident      *incident.IncidentExample `json:"incident,omitempty"`
	// Tainted and ContainedTotal are cgoguard.Stats' process-wide values.
	Tainted        bool                   `json:"tainted"`
	ContainedTotal uint64                 `json:"contained_total"`
	Totals         incident.Totals        `json:"totals"`
	Clusters       []incident.Cluster     `json:"clusters"`
	Quarantine     []quarantine.SiteStats `json:"quarantine,omitempty"`
	// Drain is the verdict of the policy given with WithTaintPolicy.
	Drain *taint.Status `json:"drain,omitempty"`
}

//go:embed debug.html
var debugHTML string

// started approximates the program's start: packages initialize before main.
var started = time.Now()

// maxIncidentQuery bounds the ?incident= value echoed back.
const maxIncidentQuery = 64

var debugTemplate = template.Must(template.New("debug").Funcs(template.FuncMap{
	"since": func(t time.Time) string { return time.Since(t).Round(time.Second).String() },
	"until": func(t time.Time) string { return max(time.Until(t), 0).Round(time.Second).String() },
	"round": func(d time.Duration) string { return d.Round(time.Second).String() },
	"chart": rateChart,
	"total": func(counts []uint32) (n uint64) {
		for _, c := range counts {
			n += uint64(c)
		}
		return n
	},
}).Parse(debugHTML))

// rateChart draws per-minute counts (oldest first) as an inline SVG bar
// chart, 2 px per minute, scaled to the busiest minute. It holds numbers
// only, so it is safe to embed.
func rateChart(counts []uint32) template.HTML {
	const height = 24
	var peak uint32
	for _, c := range counts {
		peak = max(peak, c)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="rate" width="%d" height="%d" viewBox="0 0 %d %d" role="img" aria-label="per-minute rate, last hour, peak %d">`,
		2*len(counts), height, 2*len(counts), height, peak)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#f3f3f3"/>`, 2*len(counts), height)
	for i, c := range counts {
		if c == 0 {
			continue
		}
		h := max(1, int(c)*height/int(peak))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="2" height="%d" fill="#b00"/>`, 2*i, height-h, h)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func (d *debugHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	stats := cgoguard.Stats()
	snap := d.cfg.reporter.Clusters.Snapshot()
	now := time.Now()
	page := DebugPage{
		Time:           now,
		Started:        started,
		Uptime:         now.Sub(started),
		Tainted:        stats.Tainted,
		ContainedTotal: stats.ContainedTotal,
		Totals:         snap.Totals,
		Clusters:       snap.Clusters,
	}
	if id := r.URL.Query().Get("incident"); id != "" {
		id = strings.TrimSpace(id)
		if len(id) > maxIncidentQuery {
			id = id[:maxIncidentQuery]
		}
		page.IncidentQuery = id
		if inc, ok := d.cfg.reporter.Clusters.LookupIncident(id); ok {
			page.Incident = &inc
		}
	}
	if p := d.cfg.policy; p != nil {
		st := p.Status()
		page.Drain = &st
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
