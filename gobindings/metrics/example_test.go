//go:build cgo

package metrics_test

import (
	"fmt"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/metrics"
)

// Collect reads every counter at once; Publish mirrors the same snapshot
// in expvar (/debug/vars).
func ExampleCollect() {
	clusters := incident.NewClusters()
	defer clusters.Close()
	before := metrics.Collect(metrics.Sources{Clusters: clusters})
	cgoguard.Call(fx.NullRead.Fn, nil)
	cgoguard.Call(fx.NullRead.Fn, nil)

	after := metrics.Collect(metrics.Sources{Clusters: clusters})
	fmt.Println("SIGSEGV contained:", after.Contained["SIGSEGV"]-before.Contained["SIGSEGV"])
	fmt.Println("clusters:", len(after.Clusters), "count:", after.Clusters[0].Count, "tainted:", after.Tainted)
	// Output:
	// SIGSEGV contained: 2
	// clusters: 1 count: 2 tainted: true
}
