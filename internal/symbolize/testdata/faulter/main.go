// Command faulter is the program cgoguard-symbolize's test runs stripped and
// unstripped: it contains a few native faults and C++ exceptions and writes
// their incident log records (JSON lines) to stdout.
package main

import (
	"context"
	"log/slog"
	"os"
	"unsafe"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
)

func main() {
	if err := cgoguard.Init(); err != nil {
		panic(err)
	}
	<-cgoguard.SymbolizerReady()
	r := incident.Reporter{Logger: slog.New(slog.NewJSONHandler(os.Stdout, nil))}
	report := func(fn, arg unsafe.Pointer) {
		r.Report(context.Background(), incident.FromError(cgoguard.Call(fn, arg), 0))
	}
	fx.EachSampleFault(report)
}
