//go:build !cgo

package crashmonitor_test

// containedFingerprint needs cgo; its scenarios are skipped without it.
func containedFingerprint(abort bool) string { panic("containment needs cgo") }
