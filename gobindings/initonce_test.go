//go:build cgo

package cgoguard_test

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

func init() {
	// Init(WithCgoTraceback()) fails because another cgo traceback is
	// registered; the next Call initializes again. Then one fault on a
	// native thread (reported through the shim's report callback): it must
	// reach subscribers, and fault clusters, once.
	childScenarios["init-fails-then-fault"] = func() {
		// Another symbolizer's registration (a function that is not
		// cgoguard's; never called in this process).
		runtime.SetCgoTraceback(0, fx.Empty.Fn, nil, nil)
		if err := cgoguard.Init(cgoguard.WithCgoTraceback()); err == nil {
			fmt.Fprintln(os.Stderr, "Init(WithCgoTraceback()) succeeded over another registration")
			return
		}
		<-cgoguard.SymbolizerReady() // so that clusters count each fault before Call returns
		clusters := incident.NewClusters()
		var mu sync.Mutex
		deliveries := map[uint64]int{}
		cancel := cgoguard.OnFault(func(nf *cgoguard.NativeFault) {
			mu.Lock()
			deliveries[nf.ID]++
			mu.Unlock()
		})
		defer cancel()
		if err := cgoguard.Call(fx.NullRead.Fn, nil); err == nil {
			fmt.Fprintln(os.Stderr, "the null read was not contained")
			return
		}
		if _, err := fx.FaultOnNativeThread(0); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		counts := []string{}
		for id, n := range deliveries {
			counts = append(counts, fmt.Sprintf("fault %d: %d", id, n))
		}
		fmt.Fprintf(os.Stderr, "faults=%d deliveries=[%s] clustered=%d contained=%d\n", len(deliveries), strings.Join(counts, ", "),
			clusters.Snapshot().Totals.NativeFaults, cgoguard.Stats().ContainedTotal)
	}
}

// A failed Init leaves nothing registered twice: each fault is delivered to
// OnFault subscribers once and counted by incident.Clusters once.
func TestFailedInitThenFaultIsReportedOnce(t *testing.T) {
	code, sig, stderr := runChild(t, "init-fails-then-fault")
	if code != 0 || sig != 0 {
		t.Fatalf("child ended with code %d signal %d:\n%s", code, sig, stderr)
	}
	if !strings.Contains(stderr, "faults=2 ") || strings.Contains(stderr, ": 2") ||
		!strings.Contains(stderr, "clustered=2 contained=2") {
		t.Errorf("want two faults, each delivered and clustered once; child said:\n%s", stderr)
	}
}
