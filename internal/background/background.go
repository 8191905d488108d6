// Package background runs work that outlives the request that started it: a
// chat platform is acknowledged at once and the answer follows. Each piece
// of work gets its own time limit (the request's context is already over),
// and Shutdown lets it finish until its own deadline, then cancels it.
package background

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Group is a set of background work; the zero value is ready to use.
type Group struct {
	once sync.Once
	halt sync.Once
	stop chan struct{} // closed by Shutdown: work still running is cancelled
	wg   sync.WaitGroup
}

func (g *Group) init() { g.once.Do(func() { g.stop = make(chan struct{}) }) }

// Go runs f in the background with a context limited to limit.
func (g *Group) Go(limit time.Duration, f func(ctx context.Context)) {
	g.init()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), limit)
		defer cancel()
		go func() {
			select {
			case <-g.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		f(ctx)
	}()
}

// Wait blocks until every piece of work has returned.
func (g *Group) Wait() { g.wg.Wait() }

// Shutdown lets work finish until ctx ends, then cancels what is left and
// waits for it to return (work bounded by its context returns promptly).
// what names the work in the error.
func (g *Group) Shutdown(ctx context.Context, what string) error {
	g.init()
	done := make(chan struct{})
	go func() { g.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		g.halt.Do(func() { close(g.stop) })
		<-done
		return fmt.Errorf("%s background work cut short: %w", what, ctx.Err())
	}
}
