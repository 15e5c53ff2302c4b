//go:build cgo

package httpguard_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
)

// 10,000 requests, one in ten crashing (native faults of every kind, a C++
// exception, Go panics), from 32 concurrent clients: every healthy request
// answers 200, every crashing one 500 with its own incident ID, and the
// incidents, clusters and log add up exactly: each fingerprint logs at most
// the log budget's records in full, and the summaries count the rest.
func TestCrashStorm(t *testing.T) {
	const clients, crashEvery = 32, 10
	const total = 10_000

	crashPaths := []string{}
	for name := range crashFixtures {
		crashPaths = append(crashPaths, "/crash/"+name)
	}
	for name := range goPanics {
		crashPaths = append(crashPaths, "/panic/"+name)
	}
	sort.Strings(crashPaths)

	clusters := incident.NewClusters()
	defer clusters.Close()
	budget := incident.NewLogBudget(incident.DefaultLogRecords, incident.DefaultLogWindow)
	records := &countingHandler{byFingerprint: map[string]int{}}
	var incidents atomic.Int64
	srv := httptest.NewServer(httpguard.Middleware(testMux(),
		httpguard.WithReporter(incident.Reporter{Logger: slog.New(records), Clusters: clusters, LogBudget: budget,
			OnIncident: func(context.Context, *incident.Incident) { incidents.Add(1) }})))
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 30 * time.Second}
	defer client.CloseIdleConnections()

	stats0 := cgoguard.Stats()
	var (
		next                  atomic.Int64
		mu                    sync.Mutex
		failures              []string
		ids                   = map[string]bool{}
		healthy, crashed      int
		nativeCrashes, panics int
	)
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= total {
					return
				}
				path, crash := "/ok", i%crashEvery == 0
				if crash {
					path = crashPaths[(i/crashEvery)%len(crashPaths)]
				}
				status, id, body, err := fetch(client, srv.URL+path)
				mu.Lock()
				switch {
				case err != nil:
					failures = append(failures, fmt.Sprintf("%s: %v", path, err))
				case !crash && (status != 200 || body != "ok\n"):
					failures = append(failures, fmt.Sprintf("%s: %d %q", path, status, body))
				case crash && (status != 500 || !testlog.IncidentID.MatchString(id) || ids[id]):
					failures = append(failures, fmt.Sprintf("%s: %d, incident %q (duplicate: %v)", path, status, id, ids[id]))
				case crash:
					ids[id] = true
					crashed++
					if path[:6] == "/crash" {
						nativeCrashes++
					} else {
						panics++
					}
				default:
					healthy++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d requests (%d healthy, %d crashing) from %d clients in %v (%.0f req/s)",
		total, healthy, crashed, clients, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds())

	if len(failures) > 0 {
		t.Fatalf("%d of %d requests failed, first: %s", len(failures), total, failures[:min(5, len(failures))])
	}
	if healthy != total-total/crashEvery || crashed != total/crashEvery {
		t.Errorf("%d healthy, %d crashed; want %d and %d", healthy, crashed, total-total/crashEvery, total/crashEvery)
	}
	if n := incidents.Load(); n != int64(crashed) {
		t.Errorf("%d incidents reported, want %d", n, crashed)
	}
	budget.Flush() // the summaries of the windows still open
	records.mu.Lock()
	if records.full+records.suppressed != crashed {
		t.Errorf("%d full records + %d suppressed in summaries, want one per incident: %d",
			records.full, records.suppressed, crashed)
	}
	for fp, n := range records.byFingerprint {
		if n > incident.DefaultLogRecords {
			t.Errorf("fingerprint %s: %d full records, budget %d", fp, n, incident.DefaultLogRecords)
		}
	}
	t.Logf("%d full records, %d incidents in summaries", records.full, records.suppressed)
	records.mu.Unlock()
	snap := clusters.Snapshot()
	var clustered uint64
	for _, cl := range snap.Clusters {
		clustered += cl.Count
	}
	if snap.Totals.NativeFaults != uint64(nativeCrashes) || snap.Totals.Panics != uint64(panics) ||
		clustered != uint64(crashed) {
		t.Errorf("clusters: %d native faults, %d panics, %d in clusters; want %d, %d, %d",
			snap.Totals.NativeFaults, snap.Totals.Panics, clustered, nativeCrashes, panics, crashed)
	}
	if got := cgoguard.Stats().ContainedTotal - stats0.ContainedTotal; got != uint64(nativeCrashes) {
		t.Errorf("cgoguard contained %d faults, want %d", got, nativeCrashes)
	}
}

// fetch GETs url and returns the status, the incident ID header and the body.
func fetch(client *http.Client, url string) (status int, id, body string, err error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get(httpguard.HeaderIncidentID), string(b), err
}

// countingHandler is a slog.Handler that counts the incident records of
// level Error, by fingerprint, and the incidents that summary records say
// were suppressed.
type countingHandler struct {
	mu            sync.Mutex
	full          int
	suppressed    int
	byFingerprint map[string]int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelError {
		return nil
	}
	attrs := map[string]slog.Value{}
	r.Attrs(func(a slog.Attr) bool { attrs[a.Key] = a.Value; return true })
	h.mu.Lock()
	defer h.mu.Unlock()
	if r.Message == incident.SummaryMessage {
		h.suppressed += int(attrs["suppressed"].Uint64())
		return nil
	}
	h.full++
	h.byFingerprint[attrs["fingerprint"].String()]++
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// A 10 s storm of one crash, 20,000 faults: the log stays under 100 KB,
// and every incident ID a client got leads to the log — to its own full
// record, or to the summary that counts it, which names the ID's prefix.
func TestEveryIncidentIDOfAStormResolvesInTheLog(t *testing.T) {
	const faults, storm = 20_000, 10 * time.Second
	start := time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)
	var elapsed atomic.Int64 // fake time, advanced by each request
	budget := incident.NewLogBudget(incident.DefaultLogRecords, incident.DefaultLogWindow,
		incident.WithBudgetClock(func() time.Time { return start.Add(time.Duration(elapsed.Load())) }))
	log := &testlog.Sink{}
	clusters := incident.NewClusters()
	defer clusters.Close()
	h := httpguard.Middleware(testMux(), httpguard.WithReporter(incident.Reporter{
		Logger: slog.New(slog.NewJSONHandler(log, nil)), Clusters: clusters, LogBudget: budget}))

	ids := make([]string, 0, faults)
	for range faults {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/crash/null-write", nil))
		if w.Code != http.StatusInternalServerError || !testlog.IncidentID.MatchString(w.Header().Get(httpguard.HeaderIncidentID)) {
			t.Fatalf("status %d, incident %q", w.Code, w.Header().Get(httpguard.HeaderIncidentID))
		}
		ids = append(ids, w.Header().Get(httpguard.HeaderIncidentID))
		elapsed.Add(int64(storm / faults))
	}
	budget.Flush()

	full := map[string]bool{}
	suppressedByPrefix := map[string]float64{}
	for _, rec := range log.Records(t) {
		if rec["msg"] == incident.SummaryMessage {
			prefix, _ := rec["incident_id_prefix"].(string)
			if fp, _ := rec["fingerprint"].(string); incident.IDPrefix(fp) != prefix {
				t.Errorf("summary of %s names the prefix %q", fp, prefix)
			}
			suppressedByPrefix[prefix] += rec["suppressed"].(float64)
		} else if id, ok := rec["incident_id"].(string); ok {
			full[id] = true
		}
	}
	unlogged := map[string]float64{}
	for _, id := range ids {
		if !full[id] {
			prefix, _, _ := strings.Cut(id, "-")
			unlogged[prefix]++
		}
	}
	for prefix, n := range unlogged {
		if suppressedByPrefix[prefix] != n {
			t.Errorf("%v incidents of prefix %s are in no full record, and summaries of that prefix count %v",
				n, prefix, suppressedByPrefix[prefix])
		}
	}
	if len(full) != incident.DefaultLogRecords || len(unlogged) != 1 {
		t.Errorf("%d full records, unlogged IDs of %d prefixes; want %d and 1", len(full), len(unlogged), incident.DefaultLogRecords)
	}
	t.Logf("%d faults in %v: %d bytes of log, %d full records, summaries %v", faults, storm, len(log.String()), len(full), suppressedByPrefix)
	if len(log.String()) > 100_000 {
		t.Errorf("the storm logged %d bytes, more than 100 KB", len(log.String()))
	}
}
