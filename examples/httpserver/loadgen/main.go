// Command loadgen drives a bounded mixed load at the example service and
// prints a summary: requests by status, faults contained, clusters, healthy
// latency percentiles, and the server's RSS before and after.
//
// It runs phases one after the other: "calm" (no crashing requests), then
// "storm" (-crash-ratio of the requests crash: native faults of every kind,
// a C++ exception, Go panics, a poisoned decoder), and compares the healthy
// requests' p99 latency between them. Requests are sent at a fixed rate
// (-rate, open loop): a request's latency counts from when it was due, so
// a stalled server cannot hide its queue (no coordinated omission); -rate 0
// sends as fast as the clients can. It only talks to a loopback address,
// stops after -requests per phase or -max-duration, whichever comes first,
// and exits 1 if any healthy request did not answer 200 or the server
// stopped answering.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// crashPaths are the crashing requests, taken in turn. /decode?poison=1
// pollutes the decoder's native state: later decodes fault until the
// quarantine's reset hook re-initializes it.
var crashPaths = []string{
	"/crash/null-write", "/crash/null-read", "/crash/readonly-write", "/crash/bad-pointer", "/crash/stack-overflow",
	"/crash/bus", "/crash/divide-by-zero", "/crash/illegal-instruction", "/crash/abort", "/crash/cxx-exception", "/crash/qsort-callback",
	"/panic", "/decode?poison=1",
}

type category int

const (
	healthy  category = iota // must answer 200
	decoder                  // 200, or 500/503 while the decoder is polluted or quarantined
	crashing                 // must answer 500 (503 for a poisoned decode while quarantined)
)

func (c category) String() string { return [...]string{"healthy", "decoder", "crashing"}[c] }

type config struct {
	base        string
	requests    int
	rate        float64
	clients     int
	crashRatio  float64
	decodeRatio float64
	maxDuration time.Duration
	phases      []string
	crashPaths  []string
}

func main() {
	var cfg config
	var phases string
	flag.StringVar(&cfg.base, "url", "http://127.0.0.1:8080", "the service's base URL (loopback only)")
	flag.IntVar(&cfg.requests, "requests", 10000, "requests per phase")
	flag.Float64Var(&cfg.rate, "rate", 2000, "requests per second (0: as fast as the clients can)")
	flag.IntVar(&cfg.clients, "clients", 16, "concurrent clients")
	flag.Float64Var(&cfg.crashRatio, "crash-ratio", 0.10, "share of crashing requests in the storm phase")
	flag.Float64Var(&cfg.decodeRatio, "decode-ratio", 0.05, "share of requests to the quarantined decoder")
	flag.DurationVar(&cfg.maxDuration, "max-duration", 60*time.Second, "upper bound on each phase's duration")
	flag.StringVar(&phases, "phases", "calm,storm", "phases to run, in order: calm (no crashes), storm")
	wait := flag.Duration("wait", 10*time.Second, "how long to wait for the service to become ready")
	only := flag.String("crashes", "", "comma-separated crashing paths to use instead of all of them")
	flag.Parse()
	cfg.phases = strings.Split(phases, ",")
	cfg.crashPaths = crashPaths
	if *only != "" {
		cfg.crashPaths = strings.Split(*only, ",")
	}
	if err := checkLoopback(cfg.base); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConnsPerHost: cfg.clients, MaxConnsPerHost: cfg.clients},
		Timeout:   10 * time.Second,
	}
	if err := waitReady(client, cfg.base, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	if !report(client, cfg) {
		os.Exit(1)
	}
}

// checkLoopback refuses any target but this machine's loopback.
func checkLoopback(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	ips, err := net.LookupIP(u.Hostname())
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s is not a loopback address: refusing to send load there", u.Host)
		}
	}
	return nil
}

func waitReady(client *http.Client, base string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v: %v", base, wait, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// result is one phase's outcome.
type result struct {
	name      string
	elapsed   time.Duration
	sent      int
	byStatus  map[category]map[int]int // status 0: no response
	latencies []time.Duration          // healthy requests only
	failures  []string                 // unexpected outcomes, first few
	failed    int
}

// runPhase sends cfg.requests requests (or stops at cfg.maxDuration) from
// cfg.clients goroutines, at cfg.rate.
func runPhase(client *http.Client, cfg config, name string, crashRatio float64, seed uint64) *result {
	res := &result{name: name, byStatus: map[category]map[int]int{healthy: {}, decoder: {}, crashing: {}}}
	var (
		mu      sync.Mutex
		crashes atomic.Int64
		wg      sync.WaitGroup
	)
	start := time.Now()
	slots := schedule(cfg, start)
	for c := range cfg.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(c)))
			for s := range slots {
				path, cat := pick(rng, s.index, crashRatio, cfg.decodeRatio, cfg.crashPaths, &crashes)
				if s.due.IsZero() { // closed loop: latency is the request's own
					s.due = time.Now()
				}
				status, err := get(client, cfg.base+path)
				lat := time.Since(s.due)
				mu.Lock()
				res.sent++
				res.byStatus[cat][status]++
				if cat == healthy && err == nil && status == 200 {
					res.latencies = append(res.latencies, lat)
				}
				if !expected(cat, path, status) {
					res.failed++
					if len(res.failures) < 5 {
						res.failures = append(res.failures, fmt.Sprintf("%s %s: status %d %v", cat, path, status, err))
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// slot is one request to send: its index and when it was due (zero when
// not paced).
type slot struct {
	index int
	due   time.Time
}

// schedule releases cfg.requests slots at cfg.rate per second (all at once
// for rate 0), and stops early at cfg.maxDuration.
func schedule(cfg config, start time.Time) <-chan slot {
	slots := make(chan slot, cfg.requests)
	go func() {
		defer close(slots)
		deadline := start.Add(cfg.maxDuration)
		for i := 0; i < cfg.requests; {
			now := time.Now()
			if now.After(deadline) {
				return
			}
			due := cfg.requests
			if cfg.rate > 0 {
				due = min(int(now.Sub(start).Seconds()*cfg.rate)+1, cfg.requests)
			}
			for ; i < due; i++ {
				var at time.Time
				if cfg.rate > 0 {
					at = start.Add(time.Duration(float64(i) / cfg.rate * float64(time.Second)))
				}
				slots <- slot{index: i, due: at}
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	return slots
}

// pick chooses the i-th request.
func pick(rng *rand.Rand, i int, crashRatio, decodeRatio float64, crashPaths []string, crashes *atomic.Int64) (string, category) {
	switch r := rng.Float64(); {
	case r < crashRatio:
		return crashPaths[int(crashes.Add(1)-1)%len(crashPaths)], crashing
	case r < crashRatio+decodeRatio:
		return fmt.Sprintf("/decode?input=%d", i), decoder
	case r < crashRatio+decodeRatio+0.05:
		return "/healthz", healthy
	default:
		return fmt.Sprintf("/checksum?seed=%d", i), healthy
	}
}

func expected(cat category, path string, status int) bool {
	switch cat {
	case healthy:
		return status == 200
	case decoder:
		return status == 200 || status == 500 || status == 503
	default:
		return status == 500 || (status == 503 && strings.HasPrefix(path, "/decode"))
	}
}

func get(client *http.Client, u string) (int, error) {
	resp, err := client.Get(u)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// serverVars is the part of the service's /debug/vars the summary reads.
type serverVars struct {
	Process struct {
		RSSBytes int64 `json:"rss_bytes"`
		Threads  int64 `json:"threads"`
	} `json:"process"`
	Cgoguard struct {
		Contained          map[string]uint64 `json:"contained"`
		ContainedTotal     uint64            `json:"contained_total"`
		Panics             uint64            `json:"panics"`
		Clusters           []struct{}        `json:"clusters"`
		QuarantineRejected uint64            `json:"quarantine_rejected"`
		Quarantine         []struct {
			Name   string `json:"name"`
			Trips  uint64 `json:"trips"`
			Probes uint64 `json:"probes"`
			Resets uint64 `json:"resets"`
		} `json:"quarantine"`
		Tainted bool `json:"tainted"`
	} `json:"cgoguard"`
	JobOK     int64 `json:"job_batches_ok"`
	JobFailed int64 `json:"job_batches_failed"`
}

func fetchVars(client *http.Client, base string) (*serverVars, error) {
	resp, err := client.Get(base + "/debug/vars")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var v serverVars
	return &v, json.NewDecoder(resp.Body).Decode(&v)
}

// report runs the phases and prints the summary; it returns false when a
// healthy request failed or the server stopped answering.
func report(client *http.Client, cfg config) bool {
	before, err := fetchVars(client, cfg.base)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen: reading /debug/vars:", err)
		return false
	}
	// Warm up connections and caches so the calm phase measures a steady state.
	runPhase(client, config{base: cfg.base, requests: 1000, clients: cfg.clients, maxDuration: cfg.maxDuration}, "warm-up", 0, 1)

	rate := "as fast as possible"
	if cfg.rate > 0 {
		rate = fmt.Sprintf("%.0f req/s", cfg.rate)
	}
	fmt.Printf("load: %s, %d clients, %d requests per phase at %s, %.0f%% crashing in the storm\n\n",
		cfg.base, cfg.clients, cfg.requests, rate, cfg.crashRatio*100)
	fmt.Printf("%-6s %8s %8s %8s %9s %8s %8s %11s %11s %11s\n",
		"phase", "requests", "healthy", "crashing", "decoder", "time", "req/s", "healthy p50", "healthy p99", "healthy max")
	var results []*result
	ok := true
	for i, phase := range cfg.phases {
		ratio := 0.0
		if phase == "storm" {
			ratio = cfg.crashRatio
		}
		res := runPhase(client, cfg, phase, ratio, uint64(100+i))
		results = append(results, res)
		fmt.Printf("%-6s %8d %8d %8d %9d %8s %8.0f %11s %11s %11s\n", res.name, res.sent,
			total(res.byStatus[healthy]), total(res.byStatus[crashing]), total(res.byStatus[decoder]),
			res.elapsed.Round(time.Millisecond), float64(res.sent)/res.elapsed.Seconds(),
			ms(percentile(res.latencies, 50)), ms(percentile(res.latencies, 99)), ms(percentile(res.latencies, 100)))
		if res.failed > 0 {
			ok = false
		}
	}

	fmt.Println("\nresponses by status:")
	for _, res := range results {
		for _, cat := range []category{healthy, crashing, decoder} {
			if total(res.byStatus[cat]) > 0 {
				fmt.Printf("  %-6s %-9s %s\n", res.name, cat, statusLine(res.byStatus[cat]))
			}
		}
	}

	after, err := fetchVars(client, cfg.base)
	if err != nil {
		fmt.Printf("\nSERVER NOT ANSWERING after the load: %v\n", err)
		return false
	}
	cg := after.Cgoguard
	fmt.Printf("\nserver: %d native faults contained during the run (%s), %d Go panics recovered,\n",
		cg.ContainedTotal-before.Cgoguard.ContainedTotal, signalLine(cg.Contained, before.Cgoguard.Contained),
		cg.Panics-before.Cgoguard.Panics)
	fmt.Printf("        %d fault clusters, %d calls refused by the quarantine", len(cg.Clusters), cg.QuarantineRejected)
	for _, site := range cg.Quarantine {
		fmt.Printf(" (%s: %d trips, %d probes after %d resets)", site.Name, site.Trips, site.Probes, site.Resets)
	}
	fmt.Printf(",\n        background job: %d batches ok, %d failed and contained; tainted: %v\n",
		after.JobOK, after.JobFailed, cg.Tainted)
	fmt.Printf("        RSS %.1f MiB before, %.1f MiB after; %d threads before, %d after\n",
		mib(before.Process.RSSBytes), mib(after.Process.RSSBytes), before.Process.Threads, after.Process.Threads)

	printClusters(client, cfg.base)

	if len(results) == 2 && results[0].name == "calm" && results[1].name == "storm" {
		calm, storm := percentile(results[0].latencies, 99), percentile(results[1].latencies, 99)
		fmt.Printf("\nhealthy p99: calm %s, storm %s: ratio %.2f (goal <= 1.5)\n",
			ms(calm), ms(storm), float64(storm)/float64(calm))
	}
	for _, res := range results {
		for _, f := range res.failures {
			fmt.Printf("UNEXPECTED (%s): %s\n", res.name, f)
		}
	}
	if ok {
		fmt.Println("\nevery healthy request answered 200; the server is still serving")
	} else {
		fmt.Println("\nFAILED: some requests did not get the expected answer")
	}
	return ok
}

// debugPage is the part of the service's /debug/cgoguard/?format=json the
// summary prints.
type debugPage struct {
	Clusters []struct {
		Fingerprint string `json:"fingerprint"`
		Kind        string `json:"kind"`
		Signal      string `json:"signal"`
		Count       uint64 `json:"count"`
		Examples    []struct {
			GoStack      []string `json:"go_stack"`
			NativeFrames []string `json:"native_frames"`
		} `json:"examples"`
	} `json:"clusters"`
}

// printClusters prints the largest fault clusters with the innermost frame
// of their latest example.
func printClusters(client *http.Client, base string) {
	resp, err := client.Get(base + "/debug/cgoguard/?format=json")
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var page debugPage
	if json.NewDecoder(resp.Body).Decode(&page) != nil {
		return
	}
	fmt.Println("\nlargest fault clusters (/debug/cgoguard/):")
	for i, cl := range page.Clusters {
		if i == 8 {
			fmt.Printf("  ... and %d more\n", len(page.Clusters)-i)
			break
		}
		where := ""
		if n := len(cl.Examples); n > 0 {
			ex := cl.Examples[n-1]
			switch {
			case len(ex.NativeFrames) > 0:
				where = ex.NativeFrames[len(ex.NativeFrames)-1]
			case len(ex.GoStack) > 0:
				where = ex.GoStack[len(ex.GoStack)-1]
			}
		}
		kind := cl.Kind
		if cl.Signal != "" {
			kind = cl.Signal
		}
		fmt.Printf("  %5d  %-13s %s  %s\n", cl.Count, kind, cl.Fingerprint, shorten(where, 90))
	}
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func total(m map[int]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func statusLine(m map[int]int) string {
	codes := make([]int, 0, len(m))
	for c := range m {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		label := fmt.Sprint(c)
		if c == 0 {
			label = "no response"
		}
		parts[i] = fmt.Sprintf("%s: %d", label, m[c])
	}
	return strings.Join(parts, ", ")
}

func signalLine(after, before map[string]uint64) string {
	var parts []string
	for sig, n := range after {
		if d := n - before[sig]; d > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", sig, d))
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(p/100*float64(len(s))+0.5) - 1
	return s[min(max(rank, 0), len(s)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mib(b int64) float64 { return float64(b) / (1 << 20) }
