package httpguard

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
)

// WriteError answers a request whose handler got err the way the middleware
// answers a panic with err: for a *cgoguard.NativeFault (or any other
// error) it reports an incident and writes 500 with the incident ID; for a
// quarantine.ErrQuarantined error it writes 503 with Retry-After; for a
// client that went away it writes nothing. It takes the middleware's
// options: inside Middleware it starts from the middleware's and applies
// opts on top; elsewhere it starts from the defaults. Once the response was
// started it reports the incident but writes nothing. A nil err does
// nothing.
func WriteError(w http.ResponseWriter, r *http.Request, err error, opts ...Option) {
	if err == nil {
		return
	}
	cfg, started := defaultConfig(), false
	if rw := guardWriter(w); rw != nil {
		cfg, started = rw.cfg, rw.started || rw.hijacked
	}
	cfg = cfg.derive(opts)
	if clientGone(err, r) {
		cfg.logClientGone(r, err)
		return
	}
	var qe *quarantine.Error
	if errors.As(err, &qe) {
		if !started {
			writeQuarantined(w, r, qe)
		}
		return
	}
	inc := incident.FromError(err, 1)
	cfg.report(r, inc)
	if !started {
		cfg.respond(w, r, inc)
	}
}

// DefaultResponder writes 500 with a body that holds the incident ID and
// nothing else: {"error":"internal server error","incident_id":"..."}, or
// "internal server error (incident ...)" as plain text when the request's
// Accept header asks for text rather than JSON.
func DefaultResponder(w http.ResponseWriter, r *http.Request, inc *incident.Incident) {
	writeStatus(w, r, http.StatusInternalServerError, inc.ID)
}

// writeQuarantined answers a refused call: 503 with Retry-After, and no
// incident.
func writeQuarantined(w http.ResponseWriter, r *http.Request, qe *quarantine.Error) {
	h := w.Header()
	clear(h)
	h.Set("Retry-After", strconv.Itoa(int(math.Ceil(qe.RetryAfter.Seconds()))))
	writeStatus(w, r, http.StatusServiceUnavailable, "")
}

func writeStatus(w http.ResponseWriter, r *http.Request, code int, incidentID string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	text := strings.ToLower(http.StatusText(code))
	if prefersText(r) {
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		if incidentID != "" {
			fmt.Fprintf(w, "%s (incident %s)\n", text, incidentID)
		} else {
			fmt.Fprintln(w, text)
		}
		return
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(code)
	if incidentID != "" {
		fmt.Fprintf(w, "{\"error\":%q,\"incident_id\":%q}\n", text, incidentID)
	} else {
		fmt.Fprintf(w, "{\"error\":%q}\n", text)
	}
}

// prefersText reports whether the client asked for text and not for JSON
// (a browser, curl -H 'Accept: text/plain'); JSON is the default.
func prefersText(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/") && !strings.Contains(accept, "json")
}
