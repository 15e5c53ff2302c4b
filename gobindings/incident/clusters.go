package incident

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
)

// Defaults of NewClusters.
const (
	// DefaultMaxClusters is how many fingerprints are tracked at once; when a
	// new one arrives at the cap, the cluster seen least recently is dropped
	// (and counted in Totals.Evicted).
	DefaultMaxClusters = 256
	// DefaultExamplesPerCluster is how many of its latest occurrences a
	// cluster keeps in full.
	DefaultExamplesPerCluster = 1
	// DefaultRecentIncidents is how many of the latest incidents
	// LookupIncident finds by ID.
	DefaultRecentIncidents = 512
)

// rateMinutes is the span of Cluster.LastHour, in one-minute buckets.
const rateMinutes = 60

// Clusters aggregates contained failures by fingerprint: a count, when the
// fingerprint was first and last seen, the latest examples in full, and
// totals by signal. It counts by the rule in the package documentation. Its
// memory is bounded: at most MaxClusters clusters of at most
// ExamplesPerCluster examples, each example holding at most 64 native and
// 64 Go frames. All methods are safe for concurrent use.
type Clusters struct {
	maxClusters int
	maxExamples int
	maxRecent   int
	cancel      func()

	mu     sync.Mutex
	byFP   map[string]*cluster
	totals Totals
	// recent holds the latest incidents, oldest first, for LookupIncident;
	// byID indexes it.
	recent []*example
	byID   map[string]*example
	closed bool // Close ran: faults symbolized late are not counted
}

// ClustersOption configures NewClusters.
type ClustersOption func(*Clusters)

// MaxClusters caps the number of clusters (default DefaultMaxClusters).
func MaxClusters(n int) ClustersOption {
	return func(c *Clusters) { c.maxClusters = max(n, 1) }
}

// ExamplesPerCluster sets how many latest examples each cluster keeps
// (default DefaultExamplesPerCluster).
func ExamplesPerCluster(n int) ClustersOption {
	return func(c *Clusters) { c.maxExamples = max(n, 1) }
}

// RecentIncidents sets how many of the latest incidents LookupIncident
// finds (default DefaultRecentIncidents).
func RecentIncidents(n int) ClustersOption {
	return func(c *Clusters) { c.maxRecent = max(n, 1) }
}

// NewClusters returns an aggregator that counts every native fault contained
// in the process from now until Close (it subscribes to cgoguard.OnFault),
// and every panic or error incident reported to it.
//
// It never symbolizes on the faulting goroutine. Fingerprints need symbols:
// a fault that comes before cgoguard's symbolizer is ready (see
// cgoguard.SymbolizerReady) is counted once its names are known, from the
// background symbolizer (Snapshot shows it a moment later). With
// cgoguard.Init's Symbolize(false) nothing is symbolized: faults are
// clustered by their raw addresses (see FaultKey), which name a site within
// one process only.
func NewClusters(opts ...ClustersOption) *Clusters {
	c := &Clusters{
		maxClusters: DefaultMaxClusters,
		maxExamples: DefaultExamplesPerCluster,
		maxRecent:   DefaultRecentIncidents,
		byID:        map[string]*example{},
		byFP:        map[string]*cluster{},
		totals:      Totals{BySignal: map[string]uint64{}},
	}
	for _, opt := range opts {
		opt(c)
	}
	c.cancel = cgoguard.OnFault(c.observe)
	return c
}

var (
	defaultOnce     sync.Once
	defaultClusters *Clusters
)

// DefaultClusters returns the process-wide aggregator that boundaries report
// to unless told otherwise. It is created on first use, and counts native
// faults from then on.
func DefaultClusters() *Clusters {
	defaultOnce.Do(func() { defaultClusters = NewClusters() })
	return defaultClusters
}

// Close stops counting native faults. Panic and error incidents reported
// afterwards are still counted.
func (c *Clusters) Close() {
	c.cancel()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
}

// FaultKey is the key a native fault is clustered by: its Fingerprint when
// symbolized, else "pc-" and a hash of its signal and innermost raw frame
// addresses (stable within one process; load addresses change across runs).
func FaultKey(nf *cgoguard.NativeFault) string {
	if nf.Fingerprint != "" {
		return nf.Fingerprint
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%v", nf.Signal, nf.Exception)
	for i, fr := range nf.Frames {
		if i == 8 {
			break
		}
		fmt.Fprintf(h, "|%x", fr.PC)
	}
	return fmt.Sprintf("pc-%016x", h.Sum64())
}

// Totals are counts over all clusters, evicted ones included.
type Totals struct {
	// NativeFaults counts contained native faults (C++ exceptions included).
	NativeFaults uint64 `json:"native_faults"`
	// BySignal counts native faults by signal name ("SIGSEGV", ...,
	// "cxx_exception").
	BySignal map[string]uint64 `json:"by_signal"`
	// Panics counts Go panics reported by a boundary.
	Panics uint64 `json:"panics"`
	// Errors counts KindError incidents.
	Errors uint64 `json:"errors"`
	// Goexits counts goroutines that ended by runtime.Goexit (KindGoexit).
	Goexits uint64 `json:"goexits,omitempty"`
	// Clusters is the number of clusters currently held.
	Clusters int `json:"clusters"`
	// Evicted counts clusters dropped to stay within MaxClusters.
	Evicted uint64 `json:"evicted"`
}

// Cluster is one fingerprint's aggregate.
type Cluster struct {
	Fingerprint string `json:"fingerprint"`
	Kind        Kind   `json:"kind"`
	// Signal is set for native faults ("SIGSEGV", ..., "cxx_exception").
	Signal string `json:"signal,omitempty"`
	// Site names the function where the latest occurrence happened: the
	// fault's Site (its innermost named native frame that is not cgo glue
	// or the C library's abort machinery; for a C++ exception, the function
	// that threw), or the Go function that panicked (or made the guarded
	// call, when no native frame has a name).
	Site      string    `json:"site,omitempty"`
	Count     uint64    `json:"count"`
	FirstSeen time.Time `json:"first_seen"`
	LastSeen  time.Time `json:"last_seen"`
	// LastHour counts the occurrences in each of the last 60 minutes,
	// oldest first; the last entry is the current minute.
	LastHour []uint32 `json:"last_hour"`
	// Examples holds the latest occurrences, oldest first.
	Examples []Example `json:"examples"`
}

// Example is one occurrence in full, as the chain that led to it: the
// request, the goroutine, its Go frames, the guarded cgo call and the native
// frames down to the faulting instruction. It holds internals: serve it only
// to operators.
type Example struct {
	// IncidentID is set once a boundary reported the occurrence (a native
	// fault that its caller handled itself has none).
	IncidentID string    `json:"incident_id,omitempty"`
	FaultID    uint64    `json:"fault_id,omitempty"`
	Time       time.Time `json:"time"`
	Message    string    `json:"message"`
	Origin     string    `json:"origin,omitempty"`
	// Request is "METHOD /path" for OriginHTTP, the full method name
	// ("/pkg.Service/Method") for OriginGRPC.
	Request   string `json:"request,omitempty"`
	Goroutine string `json:"goroutine,omitempty"`
	// NativeFrames lists the native frames from the faulting instruction
	// up to the guard: innermost first, as in the log record.
	NativeFrames []string `json:"native_frames,omitempty"`
	// GuardedCall is the Go function that made the guarded native call.
	GuardedCall string `json:"guarded_call,omitempty"`
	// GoStack lists the Go frames innermost first, as in the log record:
	// from the panic (or the guarded call) out to the goroutine's start.
	GoStack []string `json:"go_stack"`
	// Truncated is true when the native stack was deeper than recorded: the
	// frames nearest the guard are missing.
	Truncated bool `json:"truncated,omitempty"`
}

// Snapshot is a consistent copy of the aggregate.
type Snapshot struct {
	Totals Totals `json:"totals"`
	// Clusters is ordered by count, then by last seen, highest first.
	Clusters []Cluster `json:"clusters"`
}

type cluster struct {
	fingerprint string
	kind        Kind
	signal      string
	count       uint64
	firstSeen   time.Time
	lastSeen    time.Time
	examples    []*example // oldest first
	rate        minuteRate
}

// minuteRate counts occurrences per minute over the last rateMinutes
// minutes: slot i holds the count of the Unix minute stamp[i], and a slot
// whose stamp is older than the span is stale.
type minuteRate struct {
	stamp [rateMinutes]int64
	count [rateMinutes]uint32
}

func (r *minuteRate) add(t time.Time) {
	m := t.Unix() / 60
	i := m % rateMinutes
	if r.stamp[i] != m {
		if r.stamp[i] > m {
			return // older than the slot's minute: out of the span
		}
		r.stamp[i], r.count[i] = m, 0
	}
	r.count[i]++
}

// lastHour returns the counts of the rateMinutes minutes up to now, oldest
// first.
func (r *minuteRate) lastHour(now time.Time) []uint32 {
	out := make([]uint32, rateMinutes)
	cur := now.Unix() / 60
	for k := range int64(rateMinutes) {
		m := cur - rateMinutes + 1 + k
		if i := m % rateMinutes; r.stamp[i] == m {
			out[k] = r.count[i]
		}
	}
	return out
}

// example keeps the raw values; they are rendered only by Snapshot.
type example struct {
	fingerprint string
	kind        Kind
	signal      string
	faultID     uint64
	fault       *cgoguard.NativeFault
	incidentID  string
	origin      string
	method      string
	path        string
	goroutine   string
	time        time.Time
	message     string
	stack       []cgoguard.Frame
}

// observe counts one native fault: the cgoguard.OnFault subscription. It
// runs on the faulting goroutine, before the guarded call returns.
func (c *Clusters) observe(nf *cgoguard.NativeFault) {
	switch {
	case nf.Symbolized():
		c.count(nf)
	case cgoguard.AutoSymbolize():
		// The debug information is still loading, but the fault has its
		// names and fingerprint from the symbol tables: count a private
		// copy now, and give its example the symbolized copy (files and
		// lines, the same fingerprint) once the loading is done.
		c.count(nf.Clone())
		nf.WhenSymbolized(c.symbolized)
	default:
		// Symbolize(false): keep a copy, which stays raw even if the
		// caller symbolizes its own fault later.
		c.count(nf.Clone())
	}
}

// count adds a fault that no other goroutine modifies (symbolized, or a
// private copy) to its cluster.
func (c *Clusters) count(nf *cgoguard.NativeFault) {
	sig := FaultSignal(nf)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return // a fault counted from the background symbolizer after Close
	}
	c.totals.NativeFaults++
	c.totals.BySignal[sig]++
	cl := c.clusterLocked(FaultKey(nf), KindNativeFault, sig, nf.Time)
	// The message is the fault's Error(), rendered only by Snapshot.
	ex := &example{fingerprint: cl.fingerprint, kind: KindNativeFault, signal: sig,
		faultID: nf.ID, fault: nf, time: nf.Time}
	c.addExampleLocked(cl, ex)
}

// symbolized gives the example of a fault counted before the debug
// information had loaded its symbolized copy (nf, from WhenSymbolized).
func (c *Clusters) symbolized(nf *cgoguard.NativeFault) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl := c.byFP[FaultKey(nf)]; cl != nil {
		for _, ex := range cl.examples {
			if ex.faultID == nf.ID {
				ex.fault = nf
			}
		}
	}
}

// Record counts a panic or error incident. A native-fault incident was
// counted when the fault happened; Record only attaches the incident's
// context to that fault's example, if it is still stored.
func (c *Clusters) Record(inc *Incident) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if inc.Fault != nil {
		var found *example
		if cl := c.byFP[inc.Fingerprint]; cl != nil {
			for _, ex := range cl.examples {
				if ex.faultID == inc.Fault.ID {
					ex.incidentID, ex.origin, ex.goroutine = inc.ID, inc.Origin, inc.Goroutine
					ex.method, ex.path = inc.Method, inc.Path
					found = ex
				}
			}
		}
		if found == nil { // no longer kept as an example
			found = &example{fingerprint: inc.Fingerprint, kind: KindNativeFault, signal: inc.Signal(),
				faultID: inc.Fault.ID, fault: inc.Fault, incidentID: inc.ID, origin: inc.Origin,
				method: inc.Method, path: inc.Path, goroutine: inc.Goroutine, time: inc.Time}
		}
		c.rememberLocked(found)
		return
	}
	switch inc.Kind {
	case KindPanic:
		c.totals.Panics++
	case KindGoexit:
		c.totals.Goexits++
	default:
		c.totals.Errors++
	}
	cl := c.clusterLocked(inc.Fingerprint, inc.Kind, "", inc.Time)
	ex := &example{fingerprint: inc.Fingerprint, kind: inc.Kind,
		incidentID: inc.ID, origin: inc.Origin, method: inc.Method, path: inc.Path,
		goroutine: inc.Goroutine, time: inc.Time, message: inc.Message(), stack: inc.Stack,
	}
	c.addExampleLocked(cl, ex)
	c.rememberLocked(ex)
}

// rememberLocked keeps ex among the recent incidents, forgetting the oldest
// beyond maxRecent.
func (c *Clusters) rememberLocked(ex *example) {
	if len(c.recent) == c.maxRecent {
		delete(c.byID, c.recent[0].incidentID)
		copy(c.recent, c.recent[1:])
		c.recent = c.recent[:len(c.recent)-1]
	}
	c.recent = append(c.recent, ex)
	c.byID[ex.incidentID] = ex
}

// IncidentExample is one recent incident, as LookupIncident finds it.
type IncidentExample struct {
	Fingerprint string `json:"fingerprint"`
	Kind        Kind   `json:"kind"`
	Signal      string `json:"signal,omitempty"`
	Example
}

// LookupIncident returns one of the latest incidents (RecentIncidents of
// them, DefaultRecentIncidents by default) by its ID, even after its
// cluster's examples have moved on.
func (c *Clusters) LookupIncident(id string) (IncidentExample, bool) {
	c.mu.Lock()
	ex, ok := c.byID[id]
	var cp example
	if ok {
		cp = *ex
	}
	c.mu.Unlock()
	if !ok {
		return IncidentExample{}, false
	}
	return IncidentExample{Fingerprint: cp.fingerprint, Kind: cp.kind, Signal: cp.signal, Example: cp.render()}, true
}

// clusterLocked returns the cluster of fp, counted once more, creating it
// (and evicting the least recently seen one at the cap) if needed.
func (c *Clusters) clusterLocked(fp string, kind Kind, sig string, now time.Time) *cluster {
	cl := c.byFP[fp]
	if cl == nil {
		if len(c.byFP) >= c.maxClusters {
			c.evictLocked()
		}
		cl = &cluster{fingerprint: fp, kind: kind, signal: sig, firstSeen: now}
		c.byFP[fp] = cl
	}
	cl.count++
	cl.rate.add(now)
	if now.Before(cl.firstSeen) { // reported out of order
		cl.firstSeen = now
	}
	if now.After(cl.lastSeen) {
		cl.lastSeen = now
	}
	return cl
}

func (c *Clusters) evictLocked() {
	var oldest *cluster
	for _, cl := range c.byFP {
		if oldest == nil || cl.lastSeen.Before(oldest.lastSeen) {
			oldest = cl
		}
	}
	delete(c.byFP, oldest.fingerprint)
	c.totals.Evicted++
}

func (c *Clusters) addExampleLocked(cl *cluster, ex *example) {
	if len(cl.examples) == c.maxExamples {
		copy(cl.examples, cl.examples[1:])
		cl.examples = cl.examples[:len(cl.examples)-1]
	}
	cl.examples = append(cl.examples, ex)
}

// Snapshot returns a copy of every cluster and the totals.
func (c *Clusters) Snapshot() Snapshot {
	c.mu.Lock()
	snap := Snapshot{Totals: c.totals, Clusters: make([]Cluster, 0, len(c.byFP))}
	snap.Totals.BySignal = make(map[string]uint64, len(c.totals.BySignal))
	for sig, n := range c.totals.BySignal {
		snap.Totals.BySignal[sig] = n
	}
	snap.Totals.Clusters = len(c.byFP)
	copies := make([]clusterCopy, 0, len(c.byFP))
	for _, cl := range c.byFP {
		copies = append(copies, cl.copyLocked())
	}
	c.mu.Unlock()

	for _, cc := range copies {
		snap.Clusters = append(snap.Clusters, cc.render())
	}
	slices.SortFunc(snap.Clusters, func(a, b Cluster) int {
		if a.Count != b.Count {
			return cmpDesc(a.Count, b.Count)
		}
		return b.LastSeen.Compare(a.LastSeen)
	})
	return snap
}

// Lookup returns the cluster of one fingerprint.
func (c *Clusters) Lookup(fingerprint string) (Cluster, bool) {
	c.mu.Lock()
	cl := c.byFP[fingerprint]
	if cl == nil {
		c.mu.Unlock()
		return Cluster{}, false
	}
	cc := cl.copyLocked()
	c.mu.Unlock()
	return cc.render(), true
}

// clusterCopy is a cluster copied under the lock, to render outside it
// (rendering frames is the expensive part).
type clusterCopy struct {
	cl       Cluster
	examples []example
}

func (cl *cluster) copyLocked() clusterCopy {
	cc := clusterCopy{cl: Cluster{Fingerprint: cl.fingerprint, Kind: cl.kind, Signal: cl.signal,
		Count: cl.count, FirstSeen: cl.firstSeen, LastSeen: cl.lastSeen, LastHour: cl.rate.lastHour(time.Now())}}
	for _, ex := range cl.examples {
		cc.examples = append(cc.examples, *ex)
	}
	return cc
}

func (cc clusterCopy) render() Cluster {
	out := cc.cl
	for i := range cc.examples {
		out.Examples = append(out.Examples, cc.examples[i].render())
	}
	if n := len(cc.examples); n > 0 {
		out.Site = cc.examples[n-1].site()
	}
	return out
}

// site names the function the example happened in.
func (ex *example) site() string {
	stack := ex.stack
	if nf := ex.fault; nf != nil {
		if site := nf.Site(); site != "" {
			return site
		}
		stack = nf.GoStack
	}
	if len(stack) > 0 {
		return stack[0].Function
	}
	return ""
}

func cmpDesc(a, b uint64) int {
	if a > b {
		return -1
	}
	return 1
}

// render turns the raw example into its chain, innermost first as in the
// log record.
func (ex *example) render() Example {
	out := Example{
		IncidentID: ex.incidentID, FaultID: ex.faultID, Time: ex.time, Message: ex.message,
		Origin: ex.origin, Goroutine: ex.goroutine,
	}
	if ex.method != "" || ex.path != "" {
		out.Request = strings.TrimSpace(ex.method + " " + ex.path) // a gRPC call has no method
	}
	goStack := ex.stack
	if nf := ex.fault; nf != nil {
		if out.Message == "" {
			out.Message = nf.Error()
		}
		goStack = goFrames(nf.GoStack)
		if len(goStack) > 0 {
			out.GuardedCall = goStack[0].Function
		}
		out.NativeFrames = make([]string, len(nf.Frames))
		for i, fr := range nf.Frames {
			out.NativeFrames[i] = fr.String()
		}
		out.Truncated = nf.Truncated
	}
	out.GoStack = make([]string, len(goStack))
	for i, fr := range goStack {
		out.GoStack[i] = goFrameString(fr)
	}
	return out
}
