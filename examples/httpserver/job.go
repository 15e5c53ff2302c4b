package main

import (
	"context"
	"expvar"
	"log/slog"
	"time"

	cgoguard "github.com/cgoguard/cgoguard/gobindings"
	fx "github.com/cgoguard/cgoguard/gobindings/crashfixtures"
	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/safego"
)

var (
	batchesOK     = expvar.NewInt("job_batches_ok")
	batchesFailed = expvar.NewInt("job_batches_failed")
)

// runJob is the background job: every interval, a batch of three native
// checksums run as a safego group; every tenth batch one member hits a
// native fault and panics with it. safego contains the panic, reports it,
// and cancels the batch; the job goes on.
func runJob(ctx context.Context, logger *slog.Logger, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		if err := runBatch(ctx, logger, n); err != nil {
			batchesFailed.Add(1)
			logger.Warn("batch failed", "batch", n, "error", err)
		} else {
			batchesOK.Add(1)
		}
	}
}

func runBatch(ctx context.Context, logger *slog.Logger, n int) error {
	g, ctx := safego.NewGroup(ctx, safego.Name("reindex-batch"), safego.WithReporter(incident.Reporter{Logger: logger}))
	for part := range 3 {
		g.Go(func(ctx context.Context) error {
			if n%10 == 0 && part == 2 {
				if err := cgoguard.Call(fx.NullRead.Fn, nil); err != nil {
					panic(err) // a careless member: safego contains it
				}
			}
			_, err := checksum(uint32(n*3+part), 4096)
			return err
		})
	}
	return g.Wait()
}
