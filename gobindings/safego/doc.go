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
// Panics (including a panic with a *cgoguard.NativeFault) are reported as
// incidents; an error a Group member returns is its caller's to handle, as
// with errgroup, and is only returned by Wait.
package safego
