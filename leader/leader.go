// Package leader chooses which replica runs the work that must run once:
// the nudge scheduler and the connector sync loops. Every replica serves
// chat and the API; only the leader runs Do's functions.
//
// On PostgreSQL the leader holds a session advisory lock
// (pg_try_advisory_lock) on a dedicated connection, not one from the pool:
// a pooled connection can be handed to other work or closed, and the lock
// goes with it. When the leader dies its session ends, PostgreSQL releases
// the lock, and another replica's next attempt (every Retry) takes it. A
// leader that loses its connection stops its work at its next check. A
// short overlap of two leaders is possible around a failover; the nudge
// ledger's unique claim, not the election, is what stops a double send.
package leader

import (
	"context"
	"sync"
)

// Elector runs functions while this process is the leader.
type Elector interface {
	// Run campaigns until ctx ends (a no-op for Always).
	Run(ctx context.Context)
	// Do calls fn each time this process becomes the leader, with a
	// context that ends when it stops leading (or ctx ends), until ctx ends.
	Do(ctx context.Context, fn func(ctx context.Context))
	// Leading reports whether this process leads now.
	Leading() bool
}

// Always is the elector of a single process (the embedded store, which
// one process owns): it always leads.
type Always struct{}

// Run does nothing: there is no one to campaign against.
func (Always) Run(ctx context.Context) { <-ctx.Done() }

// Do calls fn once with ctx.
func (Always) Do(ctx context.Context, fn func(ctx context.Context)) { fn(ctx) }

// Leading is always true.
func (Always) Leading() bool { return true }

// terms tracks the current term and wakes Do's waiters when one starts.
type terms struct {
	mu      sync.Mutex
	ctx     context.Context // the current term, nil when not leading
	cancel  context.CancelFunc
	changed chan struct{} // closed (and replaced) when a term starts
}

func newTerms() *terms { return &terms{changed: make(chan struct{})} }

func (t *terms) begin(parent context.Context) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ctx, t.cancel = context.WithCancel(parent)
	close(t.changed)
	t.changed = make(chan struct{})
}

func (t *terms) end() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cancel != nil {
		t.cancel()
	}
	t.ctx, t.cancel = nil, nil
}

func (t *terms) leading() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ctx != nil
}

// do runs fn in every term until ctx ends.
func (t *terms) do(ctx context.Context, fn func(ctx context.Context)) {
	for {
		t.mu.Lock()
		term, changed := t.ctx, t.changed
		t.mu.Unlock()
		if term == nil {
			select {
			case <-ctx.Done():
				return
			case <-changed:
				continue
			}
		}
		runCtx, cancel := context.WithCancel(ctx)
		stop := context.AfterFunc(term, cancel)
		fn(runCtx)
		stop()
		cancel()
		// fn returned by itself: not again in this term.
		select {
		case <-ctx.Done():
			return
		case <-term.Done():
		}
	}
}
