//go:build cgo

package crashfixtures

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// HandlerOption configures Handler.
type HandlerOption func(*handlerConfig)

type handlerConfig struct {
	respond func(w http.ResponseWriter, r *http.Request, err error)
}

// RespondWith makes Handler answer a contained crash with fn (for example
// a closure around httpguard.WriteError) instead of panicking with it.
func RespondWith(fn func(w http.ResponseWriter, r *http.Request, err error)) HandlerOption {
	return func(c *handlerConfig) { c.respond = fn }
}

// Handler returns a staging tool: an HTTP endpoint that performs a real
// native crash of a chosen kind inside a guarded call, so that a deployed
// service, its incident pipeline, its alerts and its dashboards can be
// exercised end to end. Nothing mounts it by default; mount it explicitly,
// on an internal or operator listener, never on a public one:
//
//	ops.Handle("/debug/crash/{kind}", httpguard.Middleware(crashfixtures.Handler()))
//
// Requests:
//   - POST with the kind's name (see Kinds) in the {kind} path wildcard of
//     the route, or in the "kind" query parameter, fires that kind: the
//     fixture runs under cgoguard.Call and the handler panics with the
//     *cgoguard.NativeFault it gets, as a handler of the service would, so
//     the middleware in front (httpguard: a 500 with an incident ID, a log
//     record, a cluster, metrics) reports it. RespondWith answers otherwise.
//     A fixture that returned without faulting (possible only for
//     use-after-munmap, when other threads mapped the freed page again in
//     the instant between munmap and the read on each of its 64 attempts)
//     gets 200 and a line saying so.
//   - GET or HEAD lists the kinds as JSON: name, what it does, its signal,
//     and whether this process contains it now.
//
// It refuses, without calling anything, an unknown kind (400, listing the
// known ones), a kind this process would not contain — the abort() kinds
// unless cgoguard.Init(cgoguard.ContainAbort()) ran, a signal whose handler
// another library displaced — with 409 and the reason (firing it would end
// the process), and other methods (405). It never crashes unguarded.
func Handler(opts ...HandlerOption) http.Handler {
	cfg := &handlerConfig{}
	for _, opt := range opts {
		opt(cfg)
	}
	return &crashHandler{cfg: cfg}
}

type crashHandler struct{ cfg *handlerConfig }

func (h *crashHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.list(w)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		http.Error(w, "crash endpoint: use POST to fire a kind, GET to list them", http.StatusMethodNotAllowed)
		return
	}
	name := r.PathValue("kind")
	if name == "" {
		name = r.URL.Query().Get("kind")
	}
	k, ok := KindNamed(name)
	if !ok {
		http.Error(w, fmt.Sprintf("unknown crash kind %q; known kinds: %s", name, strings.Join(kindNames(), ", ")),
			http.StatusBadRequest)
		return
	}
	if !k.ContainedNow() {
		http.Error(w, "refused: "+notContainedReason(k)+"; firing it would end the process", http.StatusConflict)
		return
	}
	err := cgoguard.Call(k.Fixture.Fn, nil)
	if err == nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "crash kind %s returned without faulting this time\n", k.Name)
		return
	}
	if h.cfg.respond != nil {
		h.cfg.respond(w, r, err)
		return
	}
	panic(err)
}

// kindInfo is one entry of the GET listing.
type kindInfo struct {
	Name              string `json:"name"`
	Does              string `json:"does"`
	Signal            string `json:"signal"` // "SIGSEGV", or "cxx_exception"
	NeedsContainAbort bool   `json:"needs_contain_abort"`
	Contained         bool   `json:"contained"` // a POST would fire it
}

func (h *crashHandler) list(w http.ResponseWriter) {
	var out []kindInfo
	for _, k := range Kinds() {
		sig := "cxx_exception"
		if !k.Exception() {
			sig = cgoguard.SignalName(k.Signal)
		}
		out = append(out, kindInfo{Name: k.Name, Does: k.Does, Signal: sig,
			NeedsContainAbort: k.NeedsContainAbort, Contained: k.ContainedNow()})
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}

func kindNames() []string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
	}
	return names
}
