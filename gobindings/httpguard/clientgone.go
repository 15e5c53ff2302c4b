package httpguard

import (
	"context"
	"errors"
	"net/http"
	"syscall"
)

// clientGone reports whether v, a panic value or an error, only says that
// the client went away: a broken pipe or reset writing to it, or its
// canceled request. The request's context must be done too — net/http
// cancels it when the connection breaks — so that a broken pipe to some
// other peer (a database, an upstream) is still a server fault.
func clientGone(v any, r *http.Request) bool {
	err, ok := v.(error)
	if !ok || r.Context().Err() == nil {
		return false
	}
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, context.Canceled)
}
