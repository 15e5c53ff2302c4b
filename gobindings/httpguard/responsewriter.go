package httpguard

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// responseWriter records whether the response was started (so that a panic
// afterwards does not write a second header) or the connection hijacked.
// It passes Flush, Hijack and ReadFrom (sendfile) through, and Unwrap lets
// http.ResponseController reach the writer beneath.
type responseWriter struct {
	http.ResponseWriter
	cfg      *config
	started  bool
	hijacked bool
}

func (rw *responseWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		rw.started = true // informational 1xx headers may be followed by the real one
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *responseWriter) Write(p []byte) (int, error) {
	rw.started = true
	return rw.ResponseWriter.Write(p)
}

// ReadFrom keeps net/http's sendfile path for io.Copy and http.ServeContent.
func (rw *responseWriter) ReadFrom(src io.Reader) (int64, error) {
	rw.started = true
	return io.Copy(rw.ResponseWriter, src)
}

// Flush sends the headers and any buffered body.
func (rw *responseWriter) Flush() {
	rw.started = true
	if f, ok := rw.ResponseWriter.(http.Flusher); ok {
		f.Flush()
		return
	}
	_ = http.NewResponseController(rw.ResponseWriter).Flush() // a writer that only Unwraps to one
}

// Hijack hands the connection to the handler.
func (rw *responseWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, buf, err := http.NewResponseController(rw.ResponseWriter).Hijack()
	if err == nil {
		rw.hijacked = true
	}
	return conn, buf, err
}

// Unwrap returns the writer beneath, for http.ResponseController.
func (rw *responseWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// guardWriter finds the middleware's writer under w, through any writers
// that wrap it and implement Unwrap.
func guardWriter(w http.ResponseWriter) *responseWriter {
	for {
		switch t := w.(type) {
		case *responseWriter:
			return t
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
}
