// Package taint decides when a process that contained native faults should
// be replaced. Jumping out of a faulting native call skips its cleanup:
// locks it held stay held, memory it allocated leaks, its data structures
// may be half-updated. Some faults leave that behind more often than others
// (an abort() is a library saying its own state is broken), and many faults
// in a short time say the state is going bad. A Policy watches every
// contained fault (cgoguard.OnFault) against its rules; once one matches,
// the process is draining for good: httpguard.ReadinessHandler answers 503
// so that an orchestrator stops sending traffic and replaces the process
// after the requests in flight finish.
//
//	policy := taint.NewPolicy(
//		taint.OnSignal(syscall.SIGABRT),   // needs cgoguard.ContainAbort()
//		taint.OnUnknownException(),
//		taint.AfterFaults(20, time.Minute),
//	)
//	ops.Handle("/readyz", httpguard.ReadinessHandler(policy))
package taint

import (
	"fmt"
	"strings"
	"sync"
	"syscall"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// Rule is one condition under which the process should drain.
type Rule struct {
	// match reports the reason to drain after nf, or "".
	match func(nf *cgoguard.NativeFault) string
}

// OnSignal drains after any contained fault with one of sigs (SIGABRT is
// contained only with cgoguard.ContainAbort()).
func OnSignal(sigs ...syscall.Signal) Rule {
	return Rule{match: func(nf *cgoguard.NativeFault) string {
		for _, s := range sigs {
			if !nf.Exception && nf.Signal == s {
				return "a contained " + cgoguard.SignalName(s)
			}
		}
		return ""
	}}
}

// unknownException is the shim's description of an exception of a class
// not derived from std::exception, whose what() it cannot read.
const unknownException = "not derived from std::exception"

// OnUnknownException drains after a contained C++ exception of a class not
// derived from std::exception: the library threw something it does not
// document, and nothing says what state it left.
func OnUnknownException() Rule {
	return Rule{match: func(nf *cgoguard.NativeFault) string {
		if nf.Exception && strings.Contains(nf.Message, unknownException) {
			return "a C++ exception not derived from std::exception"
		}
		return ""
	}}
}

// OnAnyException drains after any contained C++ exception.
func OnAnyException() Rule {
	return Rule{match: func(nf *cgoguard.NativeFault) string {
		if nf.Exception {
			return "a contained C++ exception"
		}
		return ""
	}}
}

// AfterFaults drains once n native faults (C++ exceptions included) were
// contained within the span d. It panics if n < 1 or d <= 0.
func AfterFaults(n int, d time.Duration) Rule {
	if n < 1 || d <= 0 {
		panic(fmt.Sprintf("taint.AfterFaults(%d, %v): want n >= 1 and a positive span", n, d))
	}
	var (
		mu    sync.Mutex
		times = make([]time.Time, 0, n) // the latest n fault times, oldest first
	)
	return Rule{match: func(nf *cgoguard.NativeFault) string {
		mu.Lock()
		defer mu.Unlock()
		if len(times) == n {
			copy(times, times[1:])
			times = times[:n-1]
		}
		times = append(times, nf.Time)
		if len(times) == n && nf.Time.Sub(times[0]) <= d {
			return fmt.Sprintf("%d native faults within %v", n, d)
		}
		return ""
	}}
}

// Status is a Policy's verdict.
type Status struct {
	// Drain is true once a rule matched; it stays true.
	Drain bool `json:"drain"`
	// Reason says which rule matched ("a contained SIGABRT").
	Reason string `json:"reason,omitempty"`
	// Since is when it matched; FaultID is the fault that made it match.
	Since   time.Time `json:"since,omitzero"`
	FaultID uint64    `json:"fault_id,omitempty"`
}

// Policy watches contained faults against its rules. It is safe for
// concurrent use.
type Policy struct {
	rules  []Rule
	cancel func()

	mu     sync.Mutex
	status Status
}

// NewPolicy returns a policy that watches every native fault contained in
// the process from now until Close. With no rules it never drains.
func NewPolicy(rules ...Rule) *Policy {
	p := &Policy{rules: rules}
	p.cancel = cgoguard.OnFault(p.observe)
	return p
}

// observe is the cgoguard.OnFault subscription: it runs on the goroutine
// that made the faulting call, so it only compares and counts.
func (p *Policy) observe(nf *cgoguard.NativeFault) {
	reason := ""
	for _, r := range p.rules { // every rule sees every fault: AfterFaults counts
		if m := r.match(nf); m != "" && reason == "" {
			reason = m
		}
	}
	if reason == "" {
		return
	}
	p.mu.Lock()
	if !p.status.Drain {
		p.status = Status{Drain: true, Reason: reason, Since: time.Now(), FaultID: nf.ID}
	}
	p.mu.Unlock()
}

// Status returns the verdict so far.
func (p *Policy) Status() Status {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.status
}

// Draining reports whether a rule matched: the process should stop taking
// traffic and be replaced.
func (p *Policy) Draining() bool { return p.Status().Drain }

// Close stops watching faults; the verdict stays as it is.
func (p *Policy) Close() { p.cancel() }
