//go:build cgo

package httpguard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

// healthyHandler makes one guarded native call and answers a short body.
var healthyHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if err := cgoguard.Call(fx.Empty.Fn, nil); err != nil {
		panic(err)
	}
	w.Write([]byte("ok\n"))
})

func handlers() []struct {
	name string
	h    http.Handler
} {
	return []struct {
		name string
		h    http.Handler
	}{
		{"bare", healthyHandler},
		{"middleware", httpguard.Middleware(healthyHandler, httpguard.WithReporter(incident.Reporter{Logger: discard}))},
	}
}

// BenchmarkHealthyRequest is a healthy request over HTTP/1.1 keep-alive to an
// in-process server, from parallel clients: the bare handler vs the same
// handler behind the middleware. Compare ns/op (the inverse of throughput).
func BenchmarkHealthyRequest(b *testing.B) {
	for _, bc := range handlers() {
		b.Run(bc.name, func(b *testing.B) {
			srv := httptest.NewServer(bc.h)
			defer srv.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			defer client.CloseIdleConnections()
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := client.Get(srv.URL)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}

// BenchmarkThroughputRatio measures the middleware's throughput cost on a
// noisy machine: each iteration sends one round of parallel healthy
// requests to the bare server and one to the wrapped server, back to back
// and in alternating order, so that drift and noise hit both alike. It
// reports the median over rounds of wrapped throughput / bare throughput
// (1.0: no cost; the goal is >= 0.98). Run with e.g. -benchtime 30x.
func BenchmarkThroughputRatio(b *testing.B) {
	const clients, perRound = 8, 2000
	var servers [2]*httptest.Server
	var httpClients [2]*http.Client
	for i, bc := range handlers() {
		servers[i] = httptest.NewServer(bc.h)
		defer servers[i].Close()
		httpClients[i] = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
		defer httpClients[i].CloseIdleConnections()
	}
	round := func(i int) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range perRound / clients {
					resp, err := httpClients[i].Get(servers[i].URL)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	round(0) // warm up connections
	round(1)
	var ratios []float64
	for n := 0; b.Loop(); n++ {
		var bare, wrapped time.Duration
		if n%2 == 0 {
			bare, wrapped = round(0), round(1)
		} else {
			wrapped, bare = round(1), round(0)
		}
		ratios = append(ratios, float64(bare)/float64(wrapped))
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "wrapped/bare-throughput")
	b.ReportMetric(float64(perRound), "requests/round")
}

// BenchmarkServeHTTP is the handler alone, without the network: the
// middleware's own cost per request in nanoseconds and allocations.
func BenchmarkServeHTTP(b *testing.B) {
	req := httptest.NewRequest("GET", "/", nil)
	for _, bc := range handlers() {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.h.ServeHTTP(discardWriter{http.Header{}}, req)
			}
		})
	}
}

type discardWriter struct{ h http.Header }

func (w discardWriter) Header() http.Header         { return w.h }
func (w discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w discardWriter) WriteHeader(int)             {}
