//go:build cgo

package leakcheck

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.uber.org/goleak"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/httpguard"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/metrics"
	"github.com/cgoguard/cgoguard/gobindings/quarantine"
	"github.com/cgoguard/cgoguard/gobindings/safego"
	"github.com/cgoguard/cgoguard/gobindings/taint"
)

// The tests run in this order, in one process: the first one sees the
// process before anything of cgoguard ran.

// Importing the packages and building their values starts no goroutine.
func TestSubPackagesStartNoGoroutine(t *testing.T) {
	clusters := incident.NewClusters()
	defer clusters.Close()
	_ = incident.NewLogBudget(10, time.Minute)
	_ = httpguard.Middleware(http.NotFoundHandler())
	_ = quarantine.New()
	group, _ := safego.NewGroup(context.Background())
	if err := group.Wait(); err != nil {
		t.Fatal(err)
	}
	policy := taint.NewPolicy(taint.OnSignal(11))
	_ = policy
	_ = metrics.Collect(metrics.Sources{})
	goleak.VerifyNone(t)
}

func TestNoGoroutineAfterInit(t *testing.T) {
	if err := cgoguard.Init(); err != nil {
		t.Fatal(err)
	}
	goleak.VerifyNone(t)
	<-cgoguard.SymbolizerReady()
	goleak.VerifyNone(t)
}

func TestNoGoroutineAfterAContainedFault(t *testing.T) {
	if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.Is(err, cgoguard.ErrNativeFault) {
		t.Fatalf("Call: %v", err)
	}
	goleak.VerifyNone(t)
}

// WhenSymbolized of faults that are not symbolized yet (Symbolize(false)
// leaves them raw) delivers them from a goroutine of cgoguard's, which must
// end once they are delivered.
func TestNoGoroutineAfterWhenSymbolizedDeliveries(t *testing.T) {
	if err := cgoguard.Init(cgoguard.Symbolize(false)); err != nil {
		t.Fatal(err)
	}
	defer cgoguard.Init() // back to the default for the tests after this one
	const faults = 5
	delivered := make(chan *cgoguard.NativeFault, faults)
	cancel := cgoguard.OnFault(func(nf *cgoguard.NativeFault) {
		nf.WhenSymbolized(func(c *cgoguard.NativeFault) { delivered <- c })
	})
	defer cancel()
	for i := 0; i < faults; i++ {
		var nf *cgoguard.NativeFault
		if err := cgoguard.Call(fx.NullWrite.Fn, nil); !errors.As(err, &nf) {
			t.Fatalf("Call: %v", err)
		}
		if nf.Symbolized() {
			t.Fatal("a fault under Symbolize(false) came back symbolized: WhenSymbolized would not need its goroutine")
		}
	}
	for i := 0; i < faults; i++ {
		if c := <-delivered; !c.Symbolized() {
			t.Errorf("WhenSymbolized delivered an unsymbolized fault")
		}
	}
	goleak.VerifyNone(t)
}

// The incident clusters deliver through WhenSymbolized too.
func TestNoGoroutineAfterClusteredFaults(t *testing.T) {
	clusters := incident.NewClusters()
	defer clusters.Close()
	for i := 0; i < 3; i++ {
		if err := cgoguard.Call(fx.NullRead.Fn, nil); !errors.Is(err, cgoguard.ErrNativeFault) {
			t.Fatalf("Call: %v", err)
		}
	}
	goleak.VerifyNone(t)
}
