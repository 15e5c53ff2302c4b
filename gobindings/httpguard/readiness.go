package httpguard

import (
	"net/http"

	"github.com/cgoguard/cgoguard/gobindings/taint"
)

// ReadinessHandler answers a readiness probe from the taint policy: 200
// "ready" while the process may take traffic, 503 "draining: <reason>"
// once a rule of the policy matched — a contained fault may have left
// native state broken, so an orchestrator should stop routing to the
// process and replace it after the requests in flight finish (for
// http.Server, Shutdown). The reason names the rule, never an address.
// policy.Draining() is the same verdict for Go code.
func ReadinessHandler(policy *taint.Policy) http.Handler {
	if policy == nil {
		panic("httpguard.ReadinessHandler: nil *taint.Policy")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Type", "text/plain; charset=utf-8")
		if st := policy.Status(); st.Drain {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("draining: " + st.Reason + "\n"))
			return
		}
		w.Write([]byte("ready\n"))
	})
}
