package safego

import (
	"context"
	"sync"
)

// Group is a set of goroutines working on parts of one task, like
// golang.org/x/sync/errgroup.Group, whose members cannot crash the process:
// the first member to fail — by returning an error, panicking, or faulting
// in native code — cancels the group's context, and Wait returns its error.
// A Group must be created with NewGroup and not be reused after Wait.
type Group struct {
	cfg    *config
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	errOnce sync.Once
	err     error
}

// NewGroup returns a Group and the context its members receive: derived from
// ctx, canceled when a member fails (with that error as its cause,
// context.Cause) or when Wait returns.
func NewGroup(ctx context.Context, opts ...Option) (*Group, context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	return &Group{cfg: newConfig(opts), ctx: ctx, cancel: cancel}, ctx
}

// Go runs fn(ctx) in a new goroutine, with the group's context. If fn
// returns an error, panics (the error is then a *PanicError), panics with
// a *cgoguard.NativeFault (the error is that fault), or ends by
// runtime.Goexit without returning (a *GoexitError), the group's context is
// canceled and Wait returns the first such error.
func (g *Group) Go(fn func(ctx context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		g.run(fn)
	}()
}

// run runs one member and records its failure. The recording happens in
// the deferred call: after runtime.Goexit, nothing after fn runs but the
// deferred calls.
func (g *Group) run(fn func(ctx context.Context) error) {
	var err error
	returned := false
	defer func() {
		switch v := recover(); {
		case v != nil:
			err = panicError(v, g.cfg.recovered(g.ctx, v))
		case !returned: // runtime.Goexit: recover sees nothing, fn never returned
			err = &GoexitError{IncidentID: g.cfg.goexited(g.ctx).ID}
		}
		if err != nil {
			g.errOnce.Do(func() {
				g.err = err
				g.cancel(err)
			})
		}
	}()
	err = fn(g.ctx)
	returned = true
}

// Wait blocks until every member has returned, cancels the group's context,
// and returns the first member's error, if any.
func (g *Group) Wait() error {
	g.wg.Wait()
	g.cancel(context.Canceled)
	return g.err
}
