package cgoguard

import "syscall"

// Counters is a snapshot of cgoguard's counters (see Stats). All counts are since process
// start and never decrease.
type Counters struct {
	// Contained counts contained faults by signal.
	Contained map[syscall.Signal]uint64
	// ContainedTotal counts all contained faults, C++ exceptions included.
	ContainedTotal uint64
	// CxxExceptions counts contained C++ exceptions.
	CxxExceptions uint64
	// Chained counts signals passed on to the previous handler (the Go
	// runtime's), by signal: faults in Go code, unguarded native faults,
	// signals sent with kill().
	Chained      map[syscall.Signal]uint64
	ChainedTotal uint64
	// Declined counts, by signal, the faults of guarded calls that cgoguard
	// declined because they lay under a process-wide lock holder (the C
	// library's allocator, the dynamic loader, stdio, DeclineIn's names):
	// each went to the Go runtime, which usually ends the process, so a
	// live process mostly reads 0. Included in Chained.
	Declined      map[syscall.Signal]uint64
	DeclinedTotal uint64
	// Tainted is true once any signal was contained: the jump skipped native
	// clean-up (locks held, memory leaked). See docs/hazards.md.
	Tainted bool
	// HandlersIntact is false when another library installed its own handler
	// over cgoguard's for one of the signals in Displaced; Reinstall repairs.
	HandlersIntact bool
	Displaced      []syscall.Signal
	// ReportsDelivered counts fault reports that reached Go.
	ReportsDelivered uint64
	// SubscriberPanics counts OnFault subscribers that panicked.
	SubscriberPanics uint64
}
