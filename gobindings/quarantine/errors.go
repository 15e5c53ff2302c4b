package quarantine

import (
	"errors"
	"fmt"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// ErrQuarantined matches (errors.Is) every call refused by a quarantine.
var ErrQuarantined = errors.New("quarantine: call site quarantined")

// Error is the error of a refused call: errors.Is(err, ErrQuarantined)
// holds, and errors.As gives the site and when to retry.
type Error struct {
	// Site is the name of the quarantined site.
	Site string
	// RetryAfter is how long until the site lets a probe call through (at
	// least one second: the resolution of an HTTP Retry-After header).
	RetryAfter time.Duration
	// ResetErr is the error of the site's reset hook, when the call was the
	// probe and the hook failed.
	ResetErr error
}

// Error names the site and when to retry (and the reset error, if any).
func (e *Error) Error() string {
	msg := fmt.Sprintf("quarantine: call site %q quarantined, retry after %s", e.Site, e.RetryAfter)
	if e.ResetErr != nil {
		msg += ": reset failed: " + e.ResetErr.Error()
	}
	return msg
}

// Is reports whether target is ErrQuarantined or cgoguard.ErrRefused (so
// that cgoguard.IsContained holds for a refused call).
func (e *Error) Is(target error) bool {
	return target == ErrQuarantined || target == cgoguard.ErrRefused
}

// Unwrap returns the reset hook's error, if any.
func (e *Error) Unwrap() error { return e.ResetErr }
