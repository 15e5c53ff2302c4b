// Package incident is the reporting layer that cgoguard's containment
// boundaries share: the HTTP middleware (httpguard) and the panic-safe
// goroutines (safego) turn every panic and native fault they contain into an
// *Incident with an ID (its fingerprint's prefix and 64 random bits: NewID),
// and report it through a Reporter: one structured log/slog record, the
// fault clusters, and an optional callback.
//
// # Log budget
//
// A crash storm repeats one record thousands of times a second. The
// Reporter's LogBudget logs the first DefaultLogRecords incidents of each
// fingerprint per DefaultLogWindow in full, counts the rest, and closes each
// window with one summary record (SummaryMessage) that says how many were
// suppressed and names the latest one's ID. A fingerprint without an open
// window is always logged, and every incident is still counted in the
// clusters and passed to the callback.
//
// # Counting rule
//
// Clusters counts each contained failure exactly once:
//
//   - every native fault contained anywhere in the process while the Clusters
//     exists, once per fault (by fault ID), as cgoguard.OnFault delivers it —
//     whether or not a boundary ever sees it (a handler may turn the error
//     into a 4xx response itself);
//   - every Go panic, and every error reported with httpguard.WriteError, once,
//     when its boundary reports the incident.
//
// An incident that carries a native fault (a handler panicked with the
// *cgoguard.NativeFault it got from cgoguard.Call) adds no count: it only
// attaches its context (incident ID, request, goroutine) to the stored
// example of that fault.
package incident
