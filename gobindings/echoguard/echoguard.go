// Package echoguard is echo middleware and an error handler that contain,
// per request, Go panics and native faults, as httpguard does for
// net/http, writing through echo's own response.
//
//	e := echo.New()
//	e.Use(echoguard.Middleware(httpguard.WithReporter(rep)))
//
// A handler may panic with the *cgoguard.NativeFault it got from
// cgoguard.Call or return it (or an error wrapping it): either way it
// becomes one incident (log record, cluster, the reporter's hook with the
// request's context) and a 500 whose body carries the incident ID and
// nothing else. A call refused by a quarantine answers 503 with
// Retry-After. Any other error goes on to echo's error handler unchanged.
//
// ErrorHandler does the same for errors that reach echo's HTTPErrorHandler
// without passing through Middleware (returned by middleware further out,
// or in an application that recovers panics its own way):
//
//	e.HTTPErrorHandler = echoguard.ErrorHandler(e.DefaultHTTPErrorHandler, httpguard.WithReporter(rep))
//
// A panic after the response was committed cannot change the status: the
// incident is reported and the handler panics with http.ErrAbortHandler,
// which echo's Recover middleware and net/http pass on to abort the
// connection. A panic with http.ErrAbortHandler is raised again.
package echoguard

import (
	"net/http"

	"github.com/labstack/echo/v4"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
)

// Middleware returns echo middleware with httpguard's options
// (httpguard.WithReporter, httpguard.WithResponder).
func Middleware(opts ...httpguard.Option) echo.MiddlewareFunc {
	b := httpguard.NewBoundary(opts...)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) (err error) {
			defer func() {
				if v := recover(); v != nil {
					err = nil
					if b.Recovered(c.Response(), c.Request(), v, c.Response().Committed) {
						panic(http.ErrAbortHandler)
					}
				}
			}()
			err = next(c)
			if err != nil && cgoguard.IsContained(err) {
				b.WriteError(c.Response(), c.Request(), err, c.Response().Committed)
				return nil
			}
			return err
		}
	}
}

// ErrorHandler returns an echo.HTTPErrorHandler that answers a native
// fault or a refused call as Middleware does, and hands every other error
// to next unchanged.
func ErrorHandler(next echo.HTTPErrorHandler, opts ...httpguard.Option) echo.HTTPErrorHandler {
	b := httpguard.NewBoundary(opts...)
	return func(err error, c echo.Context) {
		if err != nil && cgoguard.IsContained(err) {
			b.WriteError(c.Response(), c.Request(), err, c.Response().Committed)
			return
		}
		next(err, c)
	}
}
