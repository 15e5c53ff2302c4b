package promguard_test

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/metrics"
	"github.com/cgoguard/cgoguard/gobindings/promguard"
)

// Register exports cgoguard's counters to a Prometheus registry; serve it
// with promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).
func ExampleRegister() {
	reg := prometheus.NewRegistry()
	if err := promguard.Register(reg, metrics.Sources{}); err != nil {
		panic(err)
	}
	cgoguard.Call(fx.NullWrite.Fn, nil)

	families, _ := reg.Gather()
	for _, mf := range families {
		if mf.GetName() == "cgoguard_native_faults_contained_total" {
			for _, m := range mf.GetMetric() {
				if sig := m.GetLabel()[0].GetValue(); sig == "SIGSEGV" {
					fmt.Println(sig, m.GetCounter().GetValue() >= 1)
				}
			}
		}
	}
	// Output: SIGSEGV true
}
