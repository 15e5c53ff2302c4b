package httpguard

import (
	"encoding/json"
	"errors"
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
	cfg.derive(opts).writeError(w, r, err, started, 1)
}

// writeError is WriteError with its configuration resolved. skip counts the
// callers between the code that got err and writeError, left out of an
// error incident's stack.
func (c *config) writeError(w http.ResponseWriter, r *http.Request, err error, started bool, skip int) {
	if clientGone(err, r) {
		c.logClientGone(r, err)
		return
	}
	var qe *quarantine.Error
	if errors.As(err, &qe) {
		if !started {
			writeQuarantined(w, r, qe)
		}
		return
	}
	inc := incident.FromError(err, skip+1)
	c.report(r, inc)
	if !started {
		c.respond(w, r, inc)
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
	// Built with append and set as canonical keys directly: this runs once
	// per contained crash, and fmt plus header canonicalization were a
	// measurable part of a crash storm's cost.
	text := statusText(code)
	body := make([]byte, 0, 96)
	contentType := "application/json"
	if prefersText(r) {
		contentType = "text/plain; charset=utf-8"
		body = append(body, text...)
		if incidentID != "" {
			body = append(append(append(body, " (incident "...), incidentID...), ')')
		}
	} else {
		body = appendJSONString(append(body, `{"error":`...), text)
		if incidentID != "" {
			body = appendJSONString(append(body, `,"incident_id":`...), incidentID)
		}
		body = append(body, '}')
	}
	body = append(body, '\n')
	h := w.Header()
	h["Cache-Control"] = []string{"no-store"}
	h["X-Content-Type-Options"] = []string{"nosniff"}
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.WriteHeader(code)
	w.Write(body)
}

// statusText is the lower-case status text of code ("internal server
// error"), without a conversion for the codes the middleware answers.
func statusText(code int) string {
	switch code {
	case http.StatusInternalServerError:
		return "internal server error"
	case http.StatusServiceUnavailable:
		return "service unavailable"
	}
	return strings.ToLower(http.StatusText(code))
}

// appendJSONString appends s as a JSON string. Status texts and incident
// IDs are printable ASCII without quotes or backslashes, which need no
// escaping; anything else goes through encoding/json.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			quoted, _ := json.Marshal(s) // a string always marshals
			return append(b, quoted...)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}

// prefersText reports whether the client asked for text and not for JSON
// (a browser, curl -H 'Accept: text/plain'); JSON is the default.
func prefersText(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "text/") && !strings.Contains(accept, "json")
}
