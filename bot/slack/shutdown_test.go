package slack_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/storagetest"
)

// stuckEngine answers only when its context ends, as a call to a hung
// service would.
type stuckEngine struct{ slowEngine }

func (s stuckEngine) Run(ctx context.Context, c *bot.Command) *bot.Message {
	<-ctx.Done()
	return &bot.Message{Title: "cancelled"}
}

// TestShutdownBoundsBackgroundWork: late replies may finish within the
// shutdown limit; what is still running then is cancelled, and Shutdown
// returns promptly.
func TestShutdownBoundsBackgroundWork(t *testing.T) {
	db := storagetest.Open(t)
	h := newHarness(t, stuckEngine{slowEngine{Engine: bot.NewEngine(db, domain.DefaultConfig(), nil)}})
	h.app.AckWait = 10 * time.Millisecond
	h.send(t, "/slack/commands", "application/x-www-form-urlencoded", slashBody(h, "globex"), nil)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := h.app.Shutdown(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("Shutdown = %v after %s", err, time.Since(start))
	}
	// With nothing running, Shutdown returns at once.
	if err := h.app.Shutdown(context.Background()); err != nil {
		t.Errorf("second Shutdown = %v", err)
	}
}
