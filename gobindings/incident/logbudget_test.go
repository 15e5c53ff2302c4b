package incident_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/internal/testlog"
)

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// budgetReporter reports into its own log, clusters and budget (records
// full records per minute, on clk), counting the callbacks.
type budgetReporter struct {
	incident.Reporter
	log      *testlog.Sink
	clusters *incident.Clusters
	budget   *incident.LogBudget
	mu       sync.Mutex
	hooked   map[string]int // incident ID -> callbacks
}

func newBudgetReporter(t *testing.T, records int, clk *fakeClock) *budgetReporter {
	br := &budgetReporter{log: &testlog.Sink{}, hooked: map[string]int{}}
	br.clusters = incident.NewClusters()
	t.Cleanup(br.clusters.Close)
	br.budget = incident.NewLogBudget(records, time.Minute, incident.WithBudgetClock(clk.Now))
	br.Reporter = incident.Reporter{
		Logger:    slog.New(slog.NewJSONHandler(br.log, nil)),
		Clusters:  br.clusters,
		LogBudget: br.budget,
		OnIncident: func(_ context.Context, inc *incident.Incident) {
			br.mu.Lock()
			br.hooked[inc.ID]++
			br.mu.Unlock()
		},
	}
	return br
}

// report reports a fresh incident of fingerprint fp and returns it.
func (br *budgetReporter) report(fp string) *incident.Incident {
	inc := &incident.Incident{ID: incident.NewID(fp), Kind: incident.KindPanic, Time: time.Now(), Value: "boom", Fingerprint: fp}
	br.Report(context.Background(), inc)
	return inc
}

// split returns the full incident records and the summary records.
func split(recs []map[string]any) (full, summaries []map[string]any) {
	for _, rec := range recs {
		if rec["msg"] == incident.SummaryMessage {
			summaries = append(summaries, rec)
		} else {
			full = append(full, rec)
		}
	}
	return full, summaries
}

// A storm of one fingerprint logs the budget's records in full; the rest
// are counted, still clustered and still passed to the callback, and the
// window's summary says how many, with the latest incident's ID.
func TestLogBudgetBoundsAStormOfOneFingerprint(t *testing.T) {
	clk := &fakeClock{now: time.Date(2026, 1, 1, 3, 0, 0, 0, time.UTC)}
	br := newBudgetReporter(t, 3, clk)
	var first, last *incident.Incident
	ids := map[string]bool{}
	for i := range 1000 {
		last = br.report("storm")
		if i == 0 {
			first = last
		}
		ids[last.ID] = true
		clk.Advance(10 * time.Millisecond) // 10 s in all, within the minute
	}
	full, summaries := split(br.log.Records(t))
	if len(full) != 3 || len(summaries) != 0 {
		t.Fatalf("%d full records and %d summaries during the window, want 3 and 0", len(full), len(summaries))
	}
	if full[0]["incident_id"] != first.ID {
		t.Errorf("the first record is not the first incident's: %v", full[0])
	}
	if len(ids) != 1000 || len(br.hooked) != 1000 || br.budget.Suppressed() != 997 {
		t.Errorf("%d distinct IDs, %d callbacks, %d suppressed", len(ids), len(br.hooked), br.budget.Suppressed())
	}
	if cl, ok := br.clusters.Lookup("storm"); !ok || cl.Count != 1000 {
		t.Errorf("cluster %+v", cl)
	}

	// The next incident after the window: the summary, then a full record
	// (a new window).
	clk.Advance(time.Minute)
	next := br.report("storm")
	recs := br.log.Records(t)
	if len(recs) != 5 {
		t.Fatalf("want 3 + summary + new full record, got %d records", len(recs))
	}
	sum := recs[3]
	if sum["msg"] != incident.SummaryMessage || sum["level"] != "ERROR" || sum["fingerprint"] != "storm" ||
		sum["kind"] != "panic" || sum["suppressed"] != 997.0 || sum["logged"] != 3.0 ||
		sum["latest_incident_id"] != last.ID || sum["window"] != "1m0s" ||
		sum["window_start"] != "2026-01-01T03:00:00Z" {
		t.Errorf("summary %v", sum)
	}
	if recs[4]["incident_id"] != next.ID {
		t.Errorf("the first incident of the new window was not logged in full: %v", recs[4])
	}
}

// A fingerprint whose window is open is suppressed; another one is not,
// however spent the first one's budget is.
func TestLogBudgetNeverHidesANewFingerprint(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	br := newBudgetReporter(t, 1, clk)
	for range 50 {
		br.report("a")
	}
	b := br.report("b")
	full, _ := split(br.log.Records(t))
	if len(full) != 2 || full[1]["incident_id"] != b.ID || full[1]["fingerprint"] != "b" {
		t.Fatalf("full records %v", full)
	}
}

// Each window starts with a fresh budget; a window in which nothing was
// suppressed ends without a summary.
func TestLogBudgetWindowRollover(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	br := newBudgetReporter(t, 2, clk)
	for window := range 3 {
		for range 2 {
			br.report("quiet")
		}
		clk.Advance(time.Minute)
		if full, summaries := split(br.log.Records(t)); len(full) != 2*(window+1) || len(summaries) != 0 {
			t.Fatalf("window %d: %d full records, %d summaries", window, len(full), len(summaries))
		}
	}
	// Just before the end of a window the budget is still spent; at its
	// end it is fresh again.
	for range 3 {
		br.report("edge")
	}
	clk.Advance(time.Minute - time.Nanosecond)
	br.report("edge")
	clk.Advance(time.Nanosecond)
	br.report("edge")
	full, summaries := split(br.log.Records(t))
	if len(summaries) != 1 || summaries[0]["suppressed"] != 2.0 || len(full) != 6+2+1 {
		t.Fatalf("%d full records, summaries %v", len(full), summaries)
	}
}

// The summary of a fingerprint that went quiet is logged at the next report
// of any fingerprint after its window, or by Flush.
func TestLogBudgetSummaryOfAQuietFingerprint(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	br := newBudgetReporter(t, 1, clk)
	for range 5 {
		br.report("went-quiet")
	}
	clk.Advance(2 * time.Minute)
	br.report("other")
	if _, summaries := split(br.log.Records(t)); len(summaries) != 1 || summaries[0]["fingerprint"] != "went-quiet" ||
		summaries[0]["suppressed"] != 4.0 {
		t.Fatalf("summaries %v", summaries)
	}

	for range 3 {
		br.report("flushed")
	}
	br.budget.Flush()
	br.budget.Flush() // nothing left to say
	_, summaries := split(br.log.Records(t))
	if len(summaries) != 2 || summaries[1]["fingerprint"] != "flushed" || summaries[1]["suppressed"] != 2.0 {
		t.Fatalf("summaries %v", summaries)
	}
	// Flush closed the window: the next incident is logged in full.
	next := br.report("flushed")
	if recs := br.log.Records(t); recs[len(recs)-1]["incident_id"] != next.ID {
		t.Errorf("after Flush: %v", recs[len(recs)-1])
	}
}

// With the real clock, a timer logs the summary when the window ends, with
// no further report.
func TestLogBudgetTimerLogsTheSummary(t *testing.T) {
	summaries := make(chan slog.Record, 1)
	logger := slog.New(handlerFunc(func(r slog.Record) {
		if r.Message == incident.SummaryMessage {
			summaries <- r
		}
	}))
	// Long enough for two back-to-back reports to share the window on a
	// loaded machine, short enough to wait for.
	budget := incident.NewLogBudget(1, 500*time.Millisecond)
	clusters := incident.NewClusters()
	defer clusters.Close()
	r := incident.Reporter{Logger: logger, Clusters: clusters, LogBudget: budget}
	for range 2 {
		r.Report(context.Background(), &incident.Incident{ID: incident.NewID("timed"), Kind: incident.KindPanic, Fingerprint: "timed"})
	}
	select {
	case rec := <-summaries:
		var suppressed uint64
		rec.Attrs(func(a slog.Attr) bool {
			if a.Key == "suppressed" {
				suppressed = a.Value.Uint64()
			}
			return true
		})
		if suppressed != 1 {
			t.Errorf("suppressed = %d, want 1", suppressed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no summary was logged after the window ended")
	}
}

// handlerFunc is a slog.Handler that passes every record to a function.
type handlerFunc func(slog.Record)

func (f handlerFunc) Enabled(context.Context, slog.Level) bool      { return true }
func (f handlerFunc) Handle(_ context.Context, r slog.Record) error { f(r); return nil }
func (f handlerFunc) WithAttrs([]slog.Attr) slog.Handler            { return f }
func (f handlerFunc) WithGroup(string) slog.Handler                 { return f }

// Under concurrent reports every fingerprint gets exactly its budget of full
// records, and full records plus suppressed counts add up to the incidents.
func TestLogBudgetConcurrentReports(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	br := newBudgetReporter(t, 4, clk)
	const goroutines, perGoroutine = 8, 300
	fps := []string{"x", "y", "z"}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perGoroutine {
				br.report(fps[(g+i)%len(fps)])
				if i == perGoroutine/2 && g == 0 {
					clk.Advance(time.Minute) // a rollover in the middle of the storm
				}
			}
		}()
	}
	wg.Wait()
	br.budget.Flush()
	full, summaries := split(br.log.Records(t))
	counted := map[string]float64{}
	for _, rec := range full {
		counted[rec["fingerprint"].(string)]++
	}
	for _, rec := range summaries {
		counted[rec["fingerprint"].(string)] += rec["suppressed"].(float64)
	}
	total := 0.0
	for _, fp := range fps {
		cl, _ := br.clusters.Lookup(fp)
		if counted[fp] != float64(cl.Count) {
			t.Errorf("%s: %v logged or summarized, %d clustered", fp, counted[fp], cl.Count)
		}
		total += counted[fp]
	}
	if total != goroutines*perGoroutine || len(br.hooked) != goroutines*perGoroutine {
		t.Errorf("%v incidents accounted for, %d callbacks, want %d", total, len(br.hooked), goroutines*perGoroutine)
	}
	// Two windows at most per fingerprint: at most 8 full records each.
	if len(full) > 2*4*len(fps) {
		t.Errorf("%d full records", len(full))
	}
}

// At the cap on followed fingerprints the oldest window closes early, with
// its summary: memory stays bounded, nothing is lost.
func TestLogBudgetFollowsBoundedFingerprints(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	br := newBudgetReporter(t, 1, clk)
	br.report("oldest")
	br.report("oldest")
	for i := range incident.MaxBudgetWindows {
		br.report(fmt.Sprint("fp-", i))
	}
	full, summaries := split(br.log.Records(t))
	if len(full) != 1+incident.MaxBudgetWindows || len(summaries) != 1 || summaries[0]["fingerprint"] != "oldest" {
		t.Fatalf("%d full records, summaries %v", len(full), summaries)
	}
}

// The zero Reporter uses the default budget; UnlimitedLogRecords logs all.
func TestLogBudgetDefaultAndUnlimited(t *testing.T) {
	log := &testlog.Sink{}
	clusters := incident.NewClusters()
	defer clusters.Close()
	r := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(log, nil)), Clusters: clusters}
	fp := "default-budget-" + incident.NewID(t.Name()) // the default budget is the process's: a fresh fingerprint
	for range incident.DefaultLogRecords + 5 {
		r.Report(context.Background(), &incident.Incident{ID: incident.NewID(fp), Kind: incident.KindPanic, Fingerprint: fp})
	}
	if n := len(log.Records(t)); n != incident.DefaultLogRecords {
		t.Errorf("default budget: %d records, want %d", n, incident.DefaultLogRecords)
	}

	log = &testlog.Sink{}
	r.Logger = slog.New(slog.NewJSONHandler(log, nil))
	r.LogBudget = incident.NewLogBudget(incident.UnlimitedLogRecords, 0)
	for range 100 {
		r.Report(context.Background(), &incident.Incident{ID: incident.NewID("unlimited"), Kind: incident.KindPanic, Fingerprint: "unlimited"})
	}
	if n := len(log.Records(t)); n != 100 {
		t.Errorf("unlimited: %d records, want 100", n)
	}
}

// Two loggers (two log sinks) do not spend each other's budget.
func TestLogBudgetIsPerLogger(t *testing.T) {
	clk := &fakeClock{now: time.Unix(0, 0)}
	budget := incident.NewLogBudget(2, time.Minute, incident.WithBudgetClock(clk.Now))
	clusters := incident.NewClusters()
	defer clusters.Close()
	logs := []*testlog.Sink{{}, {}}
	for _, log := range logs {
		r := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(log, nil)), Clusters: clusters, LogBudget: budget}
		for range 5 {
			r.Report(context.Background(), &incident.Incident{ID: incident.NewID("shared"), Kind: incident.KindPanic, Fingerprint: "shared"})
		}
	}
	budget.Flush()
	for i, log := range logs {
		if full, summaries := split(log.Records(t)); len(full) != 2 || len(summaries) != 1 || summaries[0]["suppressed"] != 3.0 {
			t.Errorf("logger %d: %d full records, summaries %v", i, len(full), summaries)
		}
	}
}
