// Package ginguard is gin middleware that contains, per request, Go panics
// and native faults, as httpguard does for net/http, writing through gin's
// own response writer.
//
// Use it in place of gin.Recovery:
//
//	r := gin.New()
//	r.Use(ginguard.Middleware(httpguard.WithReporter(rep)))
//
// A handler may panic with the *cgoguard.NativeFault it got from
// cgoguard.Call, or pass it to c.Error and return: either way the fault
// becomes one incident (log record, cluster, the reporter's hook with the
// request's context) and a 500 whose body carries the incident ID and
// nothing else. A call refused by a quarantine answers 503 with
// Retry-After. Other errors in c.Errors are left to the application.
//
// A panic after the handler started the response cannot change the status:
// the incident is reported and the connection cut (closed outright on
// HTTP/1.x, so that even a gin.Recovery further out, which recovers
// http.ErrAbortHandler like any panic and lets gin finish the response,
// cannot end the truncated body as if it were complete), never a 200 with
// an error body appended. A panic with http.ErrAbortHandler is raised
// again.
package ginguard

import (
	"net/http"

	"github.com/gin-gonic/gin"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
)

// Middleware returns gin middleware with httpguard's options
// (httpguard.WithReporter, httpguard.WithResponder).
func Middleware(opts ...httpguard.Option) gin.HandlerFunc {
	b := httpguard.NewBoundary(opts...)
	return func(c *gin.Context) {
		defer func() {
			if v := recover(); v != nil {
				started := c.Writer.Written()
				c.Abort()
				if b.Recovered(c.Writer, c.Request, v, started) {
					if started {
						closeConnection(c.Writer)
					}
					panic(http.ErrAbortHandler)
				}
			}
		}()
		c.Next()
		for _, e := range c.Errors {
			if cgoguard.IsContained(e.Err) {
				b.WriteError(c.Writer, c.Request, e.Err, c.Writer.Written())
				c.Abort()
				return // one answer per request: the first contained error
			}
		}
	}
}

// closeConnection closes an HTTP/1.x connection under a started response,
// after flushing what the handler wrote, so that the client sees a broken
// response. It goes to net/http's writer beneath gin's, which refuses to
// hijack once a body was written. HTTP/2 cannot be hijacked: there the
// http.ErrAbortHandler panic resets the stream.
func closeConnection(w http.ResponseWriter) {
	if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); ok {
		w = u.Unwrap()
	}
	rc := http.NewResponseController(w)
	rc.Flush()
	if conn, _, err := rc.Hijack(); err == nil {
		conn.Close()
	}
}
