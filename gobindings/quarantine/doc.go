// Package quarantine stops calling native code that keeps faulting.
//
// A contained fault leaves native state behind that may be polluted (a lock
// still held, a half-written global): the same call then faults again and
// again. A Quarantine watches faults per call site and, when a site faults
// Threshold times within Window, opens it: calls fail fast with an error
// matching ErrQuarantined without entering native code. After Cooldown, one
// call is let through as a probe, after the site's reset hook (if any) has
// re-initialized the native state; if the probe succeeds the site closes
// again, if it faults the site stays open for another Cooldown.
//
// A site is named by the caller (Quarantine.Site) or, for calls made with
// Quarantine.Call, keyed by the native function and named by the
// fingerprint of its first fault.
//
// Defaults: Threshold 5 faults, Window 1 minute, Cooldown 30 seconds. Every
// count is observable through Site.Stats and Quarantine.Sites.
package quarantine
