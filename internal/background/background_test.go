package background

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestShutdownWaitsForWorkThatFinishes(t *testing.T) {
	var g Group
	finished := false
	g.Go(time.Minute, func(ctx context.Context) { time.Sleep(20 * time.Millisecond); finished = true })
	if err := g.Shutdown(context.Background(), "test"); err != nil || !finished {
		t.Fatalf("Shutdown = %v, finished = %v", err, finished)
	}
}

func TestShutdownCancelsWorkPastTheDeadline(t *testing.T) {
	var g Group
	cancelled := make(chan error, 1)
	g.Go(time.Minute, func(ctx context.Context) { <-ctx.Done(); cancelled <- ctx.Err() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	err := g.Shutdown(ctx, "test")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want the deadline", err)
	}
	if got := <-cancelled; !errors.Is(got, context.Canceled) {
		t.Errorf("work saw %v, want cancelled", got)
	}
}

func TestWorkHasItsOwnLimit(t *testing.T) {
	var g Group
	g.Go(10*time.Millisecond, func(ctx context.Context) { <-ctx.Done() })
	g.Wait() // returns once the work's own limit ends it
}
