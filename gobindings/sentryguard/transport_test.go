package sentryguard_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
)

// capture is a sentry.Transport that keeps the events it is given as the
// JSON the SDK would send, instead of sending them.
type capture struct {
	mu     sync.Mutex
	events []map[string]any
	sink   func(body []byte) // also given each event's JSON, when set
}

func (c *capture) Configure(sentry.ClientOptions)        {}
func (c *capture) Flush(time.Duration) bool              { return true }
func (c *capture) FlushWithContext(context.Context) bool { return true }
func (c *capture) Close()                                {}
func (c *capture) SendEvent(ev *sentry.Event) {
	body, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		panic(err)
	}
	c.mu.Lock()
	c.events = append(c.events, m)
	c.mu.Unlock()
	if c.sink != nil {
		c.sink(body)
	}
}

func (c *capture) all() []map[string]any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]map[string]any(nil), c.events...)
}

// newHub is a hub whose client sends to a capture.
func newHub(t testing.TB) (*sentry.Hub, *capture) {
	t.Helper()
	tr := &capture{}
	client, err := sentry.NewClient(sentry.ClientOptions{Dsn: "https://public@sentry.example/1", Transport: tr})
	if err != nil {
		t.Fatal(err)
	}
	return sentry.NewHub(client, sentry.NewScope()), tr
}

// path reads a value of a decoded JSON document by keys and indexes.
func path(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			a, _ := v.([]any)
			if k < 0 {
				k += len(a)
			}
			if k < 0 || k >= len(a) {
				return nil
			}
			v = a[k]
		}
	}
	return v
}
