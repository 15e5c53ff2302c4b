package safego_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/cgoguard/cgoguard/gobindings/incident"
	"github.com/cgoguard/cgoguard/gobindings/safego"
)

// A member's panic becomes the group's error and stops the other members.
func ExampleNewGroup() {
	quiet := safego.WithReporter(incident.Reporter{Logger: slog.New(slog.DiscardHandler)})
	g, ctx := safego.NewGroup(context.Background(), quiet)
	g.Go(func(ctx context.Context) error {
		<-ctx.Done() // a long-running member, stopped by the failure
		return ctx.Err()
	})
	g.Go(func(ctx context.Context) error {
		var index map[string]int
		index["x"]++ // a bug: assignment to a nil map
		return nil
	})
	err := g.Wait()
	var pe *safego.PanicError
	fmt.Println(errors.As(err, &pe), pe.Value, ctx.Err())
	// Output: true assignment to entry in nil map context canceled
}
