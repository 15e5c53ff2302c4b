package quarantine

import (
	"sync"
	"time"
	"unsafe"
)

// Defaults of New.
const (
	DefaultThreshold = 5
	DefaultWindow    = time.Minute
	DefaultCooldown  = 30 * time.Second
)

// State is a site's state.
type State int

// The states of a site.
const (
	// Closed: calls go through; faults are counted.
	Closed State = iota
	// Open: calls fail fast until the cool-down has passed.
	Open
	// HalfOpen: one probe call is in flight; other calls fail fast.
	HalfOpen
)

// String returns "closed", "open" or "half-open".
func (s State) String() string {
	switch s {
	case Closed:
		return "closed"
	case Open:
		return "open"
	case HalfOpen:
		return "half-open"
	}
	return "unknown"
}

type config struct {
	threshold     int
	window        time.Duration
	cooldown      time.Duration
	now           func() time.Time
	onStateChange func(site string, from, to State)
}

// Option configures New.
type Option func(*config)

// Threshold sets how many faults within the window open a site (default 5).
func Threshold(n int) Option { return func(c *config) { c.threshold = max(n, 1) } }

// Window sets the span the faults must fall within (default 1 minute).
func Window(d time.Duration) Option { return func(c *config) { c.window = d } }

// Cooldown sets how long an open site refuses calls before it lets a probe
// through (default 30 seconds).
func Cooldown(d time.Duration) Option { return func(c *config) { c.cooldown = d } }

// WithClock replaces time.Now (for tests).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// OnStateChange registers fn to be called on every state change of every
// site, after the change, outside the site's lock.
func OnStateChange(fn func(site string, from, to State)) Option {
	return func(c *config) { c.onStateChange = fn }
}

// Quarantine holds the call sites it watches. It is safe for concurrent use.
type Quarantine struct {
	cfg config

	mu    sync.Mutex
	named map[string]*Site
	byFn  map[uintptr]*Site
	order []*Site
}

// New returns a Quarantine with the given options (see the package
// documentation for the defaults).
func New(opts ...Option) *Quarantine {
	q := &Quarantine{
		cfg: config{
			threshold: DefaultThreshold,
			window:    DefaultWindow,
			cooldown:  DefaultCooldown,
			now:       time.Now,
		},
		named: map[string]*Site{},
		byFn:  map[uintptr]*Site{},
	}
	for _, opt := range opts {
		opt(&q.cfg)
	}
	return q
}

// SiteOption configures a site when Site or Func creates it.
type SiteOption func(*Site)

// WithReset sets the site's reset hook: it runs before every probe call,
// to re-initialize the native state the faults may have polluted. If it
// returns an error the probe is not made, the caller gets an *Error with
// ResetErr set, and the site stays open for another cool-down.
func WithReset(reset func() error) SiteOption { return func(s *Site) { s.reset = reset } }

// Site returns the site called name, creating it with opts on first use
// (later calls ignore opts).
func (q *Quarantine) Site(name string, opts ...SiteOption) *Site {
	q.mu.Lock()
	defer q.mu.Unlock()
	if s := q.named[name]; s != nil {
		return s
	}
	s := q.newSiteLocked(name, opts)
	q.named[name] = s
	return s
}

// Func returns the site of the native function fn, creating it with opts on
// first use. Its name is the fingerprint of its first fault (empty until
// then).
func (q *Quarantine) Func(fn unsafe.Pointer, opts ...SiteOption) *Site {
	q.mu.Lock()
	defer q.mu.Unlock()
	if s := q.byFn[uintptr(fn)]; s != nil {
		return s
	}
	s := q.newSiteLocked("", opts)
	s.namedByFault = true
	q.byFn[uintptr(fn)] = s
	return s
}

// Call runs cgoguard.Call(fn, arg) through the site of fn (see Func).
func (q *Quarantine) Call(fn, arg unsafe.Pointer) error {
	return q.Func(fn).Call(fn, arg)
}

// Sites returns the counts of every site, in creation order.
func (q *Quarantine) Sites() []SiteStats {
	q.mu.Lock()
	sites := append([]*Site(nil), q.order...)
	q.mu.Unlock()
	out := make([]SiteStats, len(sites))
	for i, s := range sites {
		out[i] = s.Stats()
	}
	return out
}

func (q *Quarantine) newSiteLocked(name string, opts []SiteOption) *Site {
	s := &Site{q: q, name: name, faultTimes: make([]time.Time, 0, q.cfg.threshold)}
	for _, opt := range opts {
		opt(s)
	}
	q.order = append(q.order, s)
	return s
}
