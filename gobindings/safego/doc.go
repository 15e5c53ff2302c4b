// Package safego runs goroutines whose panics and native faults are
// contained and reported instead of killing the process.
//
// A panic in a goroutine that no middleware wraps ends the whole process;
// safego.Go and Group recover it, report it as an incident (one log/slog
// record, the fault clusters, the reporter's hook with the goroutine's
// context: the same incident.Reporter as httpguard's WithReporter), and go
// on. Group is errgroup-like: a member's panic becomes a
// *PanicError, a native fault stays a *cgoguard.NativeFault, and either
// cancels the group's context so the other members stop.
//
// A goroutine that ends by runtime.Goexit without returning (t.FailNow, a
// helper that "stops this worker") did not do its work though nothing
// panicked; recover cannot see it, so an errgroup reports success. safego
// reports it as an incident of kind incident.KindGoexit, and a Group member
// that does so fails the group with a *GoexitError. A panic raised by a
// deferred function after the code recovered an earlier one (closing a
// channel already closed) is contained like any other.
//
// Panics (including a panic with a *cgoguard.NativeFault) are reported as
// incidents; an error a Group member returns is its caller's to handle, as
// with errgroup, and is only returned by Wait.
package safego
