package incident

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Defaults of the log budget: ten full records per fingerprint per minute.
// A crash storm of one fingerprint then logs about 10 KiB a minute (records
// are about 1 KiB) instead of one record per incident, and the first ten
// records of a burst, which hold everything the later ones would repeat,
// are always there.
const (
	DefaultLogRecords = 10
	DefaultLogWindow  = time.Minute
	// UnlimitedLogRecords, as NewLogBudget's records, logs every incident in
	// full.
	UnlimitedLogRecords = -1
)

// maxBudgetWindows bounds the fingerprints a LogBudget follows at once. At
// the cap the oldest window is closed early (its summary is logged then),
// so memory stays bounded and nothing is hidden.
const maxBudgetWindows = 4096

// SummaryMessage is the message of the record that closes a window in which
// incidents were suppressed.
const SummaryMessage = "incident records suppressed"

// LogBudget bounds the incident records logged per fingerprint. A window
// opens at a fingerprint's first incident and lasts the budget's window; its
// first records incidents are logged in full, later ones of the same
// fingerprint are only counted. Budgets are kept per logger: incidents
// logged to different loggers do not spend each other's. When the window ends, one summary record
// (SummaryMessage, level Error) says how many were suppressed, with the
// prefix their IDs share (incident_id_prefix: every suppressed ID leads to
// this record and to the fingerprint's full ones) and the ID of the latest
// one; the next incident of that fingerprint opens a new
// window and is logged in full again.
//
// A fingerprint without an open window is never suppressed: a new failure
// always reaches the log. The budget touches only the log: every incident
// still gets its ID, its response, its metrics, its cluster count and the
// OnIncident callback.
//
// Summaries are logged when the window ends (a timer; with WithBudgetClock
// at the next report after the window ended, or by Flush), to the logger
// the window's incidents went to. All methods are safe for concurrent
// use.
type LogBudget struct {
	records int
	window  time.Duration
	now     func() time.Time
	timers  bool // false with a custom clock: real timers do not follow it

	mu         sync.Mutex
	byKey      map[budgetKey]*budgetWindow
	queue      []*budgetWindow // open windows by start, and so by end
	timerArmed bool
	suppressed uint64
}

// budgetKey names what a window counts: one fingerprint's records to one
// logger.
type budgetKey struct {
	logger      *slog.Logger
	fingerprint string
}

// budgetWindow is one fingerprint's current window.
type budgetWindow struct {
	key        budgetKey
	kind       Kind
	signal     string
	start, end time.Time
	logged     uint64
	suppressed uint64
	latestID   string
}

// LogBudgetOption configures NewLogBudget.
type LogBudgetOption func(*LogBudget)

// WithBudgetClock replaces time.Now, for tests. With it, no timer logs the
// summaries of quiet fingerprints: they come with the next report after
// the window ended, or from Flush.
func WithBudgetClock(now func() time.Time) LogBudgetOption {
	return func(b *LogBudget) { b.now, b.timers = now, false }
}

// NewLogBudget returns a budget of records full records per fingerprint per
// window. records 0 means DefaultLogRecords and a negative value
// (UnlimitedLogRecords) logs every incident; window <= 0 means
// DefaultLogWindow.
func NewLogBudget(records int, window time.Duration, opts ...LogBudgetOption) *LogBudget {
	if records == 0 {
		records = DefaultLogRecords
	}
	if window <= 0 {
		window = DefaultLogWindow
	}
	b := &LogBudget{records: records, window: window, now: time.Now, timers: true, byKey: map[budgetKey]*budgetWindow{}}
	for _, opt := range opts {
		opt(b)
	}
	return b
}

// DefaultLogBudget returns the process-wide budget (DefaultLogRecords per
// DefaultLogWindow) that a Reporter without its own uses.
var DefaultLogBudget = sync.OnceValue(func() *LogBudget { return NewLogBudget(DefaultLogRecords, DefaultLogWindow) })

// Suppressed returns how many incidents this budget kept out of the log
// since it was created (each of them is counted in a summary record).
func (b *LogBudget) Suppressed() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.suppressed
}

// admit decides whether inc is logged in full to logger, and logs the
// summaries of the windows that ended by now.
func (b *LogBudget) admit(inc *Incident, logger *slog.Logger) bool {
	if b.records < 0 {
		return true
	}
	now := b.now()
	b.mu.Lock()
	due := b.expireLocked(now)
	key := budgetKey{logger, inc.Fingerprint}
	w := b.byKey[key]
	if w == nil {
		if len(b.byKey) >= maxBudgetWindows {
			due = b.closeHeadLocked(due)
		}
		w = &budgetWindow{key: key, kind: inc.Kind, signal: inc.Signal(), start: now, end: now.Add(b.window)}
		b.byKey[key] = w
		b.queue = append(b.queue, w)
	}
	full := w.logged < uint64(b.records)
	if full {
		w.logged++
	} else {
		w.suppressed++
		b.suppressed++
		w.latestID = inc.ID
		if w.suppressed == 1 && b.timers && !b.timerArmed {
			b.armTimerLocked(now, w.end)
		}
	}
	b.mu.Unlock()
	logSummaries(due)
	return full
}

// Flush closes every window with suppressed incidents now, ended or not,
// and logs their summaries: call it before the process exits so that no
// count is lost.
func (b *LogBudget) Flush() {
	b.mu.Lock()
	var due []*budgetWindow
	open := b.queue[:0]
	for _, w := range b.queue {
		if w.suppressed > 0 {
			delete(b.byKey, w.key)
			due = append(due, w)
		} else {
			open = append(open, w)
		}
	}
	clear(b.queue[len(open):])
	b.queue = open
	b.mu.Unlock()
	logSummaries(due)
}

// expireLocked closes the windows that ended by now and returns those with
// suppressed incidents. Windows all last b.window, so they end in the order
// they started: the ended ones are at the front of the queue.
func (b *LogBudget) expireLocked(now time.Time) []*budgetWindow {
	var due []*budgetWindow
	for len(b.queue) > 0 && !now.Before(b.queue[0].end) {
		due = b.closeHeadLocked(due)
	}
	return due
}

// closeHeadLocked closes the oldest window, adding it to due if it has a
// summary to log.
func (b *LogBudget) closeHeadLocked(due []*budgetWindow) []*budgetWindow {
	w := b.queue[0]
	b.queue[0] = nil
	b.queue = b.queue[1:]
	delete(b.byKey, w.key)
	if w.suppressed > 0 {
		due = append(due, w)
	}
	return due
}

// armTimerLocked logs the summaries due at `at` when it comes, and re-arms
// for the next window with suppressed incidents.
func (b *LogBudget) armTimerLocked(now, at time.Time) {
	b.timerArmed = true
	time.AfterFunc(at.Sub(now), func() {
		now := b.now()
		b.mu.Lock()
		due := b.expireLocked(now)
		b.timerArmed = false
		for _, w := range b.queue {
			if w.suppressed > 0 {
				b.armTimerLocked(now, w.end)
				break
			}
		}
		b.mu.Unlock()
		logSummaries(due)
	})
}

func logSummaries(due []*budgetWindow) {
	for _, w := range due {
		attrs := []slog.Attr{
			slog.String("fingerprint", w.key.fingerprint),
			slog.String("kind", string(w.kind)),
		}
		if w.signal != "" {
			attrs = append(attrs, slog.String("signal", w.signal))
		}
		attrs = append(attrs,
			slog.Uint64("suppressed", w.suppressed),
			slog.Uint64("logged", w.logged),
			slog.String("incident_id_prefix", IDPrefix(w.key.fingerprint)),
			slog.String("latest_incident_id", w.latestID),
			slog.Time("window_start", w.start),
			slog.String("window", w.end.Sub(w.start).String()))
		w.key.logger.LogAttrs(context.Background(), slog.LevelError, SummaryMessage, attrs...)
	}
}
