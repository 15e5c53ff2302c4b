package quarantine

import (
	"errors"
	"sync"
	"time"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// Site is one call site under quarantine.
type Site struct {
	q            *Quarantine
	reset        func() error
	namedByFault bool

	mu         sync.Mutex
	name       string
	state      State
	faultTimes []time.Time // the latest faults while closed, oldest first, at most threshold
	openedAt   time.Time
	stats      SiteStats
}

// SiteStats are a site's counts since it was created, and its state.
type SiteStats struct {
	Name  string `json:"name"`
	State State  `json:"-"`
	// StateName is State.String(), for JSON.
	StateName string `json:"state"`
	// Calls counts calls that went through to the native code (probes
	// included).
	Calls uint64 `json:"calls"`
	// Faults counts calls that returned a native fault.
	Faults uint64 `json:"faults"`
	// Trips counts the times the site opened because of the threshold.
	Trips uint64 `json:"trips"`
	// Rejected counts calls refused with ErrQuarantined.
	Rejected uint64 `json:"rejected"`
	// Probes counts probe calls; ProbeFailures those that faulted (or
	// panicked), which kept the site open.
	Probes        uint64 `json:"probes"`
	ProbeFailures uint64 `json:"probe_failures"`
	// Resets counts reset hook runs; ResetFailures those that returned an
	// error.
	Resets        uint64 `json:"resets"`
	ResetFailures uint64 `json:"reset_failures"`
	// RetryAt is when an open site lets the next probe through (zero unless
	// open).
	RetryAt time.Time `json:"retry_at,omitzero"`
}

// Name returns the site's name.
func (s *Site) Name() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.name
}

// Stats returns the site's counts and state.
func (s *Site) Stats() SiteStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Name, st.State, st.StateName = s.name, s.state, s.state.String()
	if s.state == Open {
		st.RetryAt = s.openedAt.Add(s.q.cfg.cooldown)
	}
	return st
}

// Call runs cgoguard.Call(fn, arg) through the site: it fails fast with an
// *Error while the site is open, and counts a returned *cgoguard.NativeFault
// as a fault of the site.
func (s *Site) Call(fn, arg unsafe.Pointer) error {
	return s.Do(func() error { return cgoguard.Call(fn, arg) })
}

// Do runs f through the site, like Call: use it for a guarded operation
// that is more than one cgoguard.Call (a cgo wrapper around CGG_GUARD, a
// sequence of calls). An error that matches cgoguard.ErrNativeFault counts
// as a fault; any other result as a success. A panic (in f or in the reset
// hook) propagates; in a probe it counts as a failed probe.
func (s *Site) Do(f func() error) error {
	probe, err := s.admit()
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done { // f or the reset hook panicked
			s.finish(probe, outcomePanic, nil)
		}
	}()
	if probe {
		if err := s.startProbe(); err != nil {
			done = true
			return err
		}
	}
	err = f()
	done = true
	if errors.Is(err, cgoguard.ErrNativeFault) {
		s.finish(probe, outcomeFault, err)
	} else {
		s.finish(probe, outcomeOK, err)
	}
	return err
}

type outcome int

const (
	outcomeOK outcome = iota
	outcomeFault
	outcomePanic
)

// admit decides whether a call may go through, and whether it is the probe.
func (s *Site) admit() (probe bool, err error) {
	s.mu.Lock()
	switch s.state {
	case Closed:
		s.stats.Calls++
		s.mu.Unlock()
		return false, nil
	case Open:
		now := s.q.cfg.now()
		if retryAt := s.openedAt.Add(s.q.cfg.cooldown); now.Before(retryAt) {
			s.stats.Rejected++
			err := s.errorLocked(retryAt.Sub(now), nil)
			s.mu.Unlock()
			return false, err
		}
		s.stats.Probes++
		s.setStateLocked(HalfOpen) // unlocks
		return true, nil
	default: // HalfOpen: the probe is in flight
		s.stats.Rejected++
		err := s.errorLocked(0, nil)
		s.mu.Unlock()
		return false, err
	}
}

// startProbe runs the reset hook, if any, before a probe call; when the
// hook fails, the site reopens and the probe is not made.
func (s *Site) startProbe() error {
	var resetErr error
	if s.reset != nil {
		resetErr = s.reset()
	}
	s.mu.Lock()
	if s.reset != nil {
		s.stats.Resets++
	}
	if resetErr == nil {
		s.stats.Calls++
		s.mu.Unlock()
		return nil
	}
	s.stats.ResetFailures++
	s.openedAt = s.q.cfg.now()
	err := s.errorLocked(s.q.cfg.cooldown, resetErr)
	s.setStateLocked(Open) // unlocks
	return err
}

// finish records a call's outcome.
func (s *Site) finish(probe bool, out outcome, err error) {
	if !probe && out != outcomeFault {
		return // the healthy path: nothing to record
	}
	s.mu.Lock()
	now := s.q.cfg.now()
	if out == outcomeFault {
		s.stats.Faults++
		s.nameFromFaultLocked(err)
	}
	switch {
	case probe && out != outcomeOK:
		s.stats.ProbeFailures++
		s.openedAt = now
		s.setStateLocked(Open) // unlocks
	case probe:
		s.faultTimes = s.faultTimes[:0]
		s.setStateLocked(Closed) // unlocks
	case out == outcomeFault && s.state == Closed && s.recordFaultLocked(now):
		s.stats.Trips++
		s.openedAt = now
		s.setStateLocked(Open) // unlocks
	default:
		s.mu.Unlock()
	}
}

// recordFaultLocked adds a fault at now and reports whether the site has
// now seen threshold faults within the window.
func (s *Site) recordFaultLocked(now time.Time) bool {
	if len(s.faultTimes) == s.q.cfg.threshold {
		copy(s.faultTimes, s.faultTimes[1:])
		s.faultTimes = s.faultTimes[:len(s.faultTimes)-1]
	}
	s.faultTimes = append(s.faultTimes, now)
	if len(s.faultTimes) < s.q.cfg.threshold || now.Sub(s.faultTimes[0]) > s.q.cfg.window {
		return false
	}
	s.faultTimes = s.faultTimes[:0]
	return true
}

func (s *Site) nameFromFaultLocked(err error) {
	var nf *cgoguard.NativeFault
	// Named by the first symbolized fault; symbolizing here would run on
	// the faulting goroutine (and ignore Symbolize(false)).
	if s.namedByFault && s.name == "" && errors.As(err, &nf) && nf.Symbolized() {
		s.name = nf.Fingerprint
	}
}

func (s *Site) errorLocked(retryAfter time.Duration, resetErr error) *Error {
	return &Error{Site: s.name, RetryAfter: max(retryAfter, time.Second), ResetErr: resetErr}
}

// setStateLocked changes the state, unlocks s, and then tells the
// OnStateChange callback, if any.
func (s *Site) setStateLocked(to State) {
	from, name := s.state, s.name
	s.state = to
	s.mu.Unlock()
	if fn := s.q.cfg.onStateChange; fn != nil && from != to {
		fn(name, from, to)
	}
}
