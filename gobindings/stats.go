package cgoguard

// #include <cgoguard/cgoguard.h>
import "C"

import (
	"fmt"
	"syscall"
)

// Stats returns the current counters.
func Stats() Counters {
	var cs C.cgg_stats
	C.cgg_get_stats(&cs)
	s := Counters{
		Contained:        map[syscall.Signal]uint64{},
		Chained:          map[syscall.Signal]uint64{},
		Declined:         map[syscall.Signal]uint64{},
		DeclinedTotal:    uint64(cs.declined_total),
		ContainedTotal:   uint64(cs.contained_total),
		CxxExceptions:    uint64(cs.cxx_exceptions),
		ChainedTotal:     uint64(cs.chained_total),
		Tainted:          cs.tainted != 0,
		HandlersIntact:   cs.displaced == 0,
		ReportsDelivered: reportsDelivered.Load(),
		SubscriberPanics: subscriberPanics.Load(),
	}
	for sig := 1; sig < C.CGG_NSIG; sig++ {
		if n := uint64(cs.contained[sig]); n != 0 {
			s.Contained[syscall.Signal(sig)] = n
		}
		if n := uint64(cs.chained[sig]); n != 0 {
			s.Chained[syscall.Signal(sig)] = n
		}
		if n := uint64(cs.declined[sig]); n != 0 {
			s.Declined[syscall.Signal(sig)] = n
		}
		if cs.displaced&(1<<uint(sig)) != 0 {
			s.Displaced = append(s.Displaced, syscall.Signal(sig))
		}
	}
	return s
}

// Contains reports whether a fault with signal sig inside a guarded call is
// contained now: the options of every Init so far ask for it (SIGSEGV,
// SIGBUS, SIGFPE, SIGILL and SIGTRAP once Init ran, SIGABRT only with
// ContainAbort) and no other library has displaced cgoguard's handler for it
// (see Counters.Displaced). Before the first Init or Call it reports false.
// Code that provokes a fault on purpose checks here first that the fault
// will be contained rather than end the process.
func Contains(sig syscall.Signal) bool {
	if sig <= 0 || sig >= C.CGG_NSIG {
		return false
	}
	bit := C.uint32_t(1) << uint(sig)
	return C.cgg_contained_signals()&bit != 0 && C.cgg_check_handlers()&bit == 0
}

// Tainted reports whether any signal was contained in this process.
func Tainted() bool { return C.cgg_tainted() != 0 }

// Reinstall puts cgoguard's handler back on top of every signal whose
// handler another library replaced (see Counters.HandlersIntact). Declined
// faults keep going to the handler that was there when Init ran (the Go
// runtime's).
func Reinstall() error {
	if rc := C.cgg_reinstall(0); rc != 0 {
		return fmt.Errorf("cgoguard: reinstall: %w", syscall.Errno(-rc))
	}
	return nil
}
