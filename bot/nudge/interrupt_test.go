package nudge_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/domain"
)

// teamsLike posts like the Teams connector: it calls the Before hook after
// its wait, then records the activity id.
type teamsLike struct {
	mu    sync.Mutex
	posts map[string]int
}

func (p *teamsLike) Notify(ctx context.Context, to bot.Recipient, m *bot.Message, key string) error {
	if err := bot.BeforeSend(ctx, nudge.PlatformTeams, 1); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts[key]++
	bot.Posted(ctx, nudge.PlatformTeams, fmt.Sprintf("act-%d", p.posts[key]))
	return nil
}

// TestInterruptedTeamsSend: a Teams nudge whose activity id was recorded
// is settled without a resend; one without an id is resent (or, with
// teams_at_most_once, recorded as failed and not resent).
func TestInterruptedTeamsSend(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // a Monday
	key := "digest|2026-11-23|ana@example.com"
	for _, tc := range []struct {
		name       string
		withID     bool
		atMostOnce bool
		wantPosts  int
		wantState  domain.LedgerState
	}{
		{"id recorded", true, false, 1, domain.LedgerSent},
		{"no id: resent", false, false, 2, domain.LedgerSent},
		{"no id, at most once", false, true, 1, domain.LedgerFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := simBook(t, start)
			ctx := context.Background()
			// The crashed run: the POST happened, the ledger holds "sending"
			// (with the id when it came back).
			e := domain.LedgerEntry{Key: key, Kind: domain.NudgeDigest, Recipient: "ana@example.com", State: domain.LedgerSending,
				Attempts: 1, Platform: nudge.PlatformTeams, Parts: 1, UpdatedAt: start.Add(30 * time.Minute)}
			if tc.withID {
				e.MessageIDs = []string{"act-1"}
			}
			if err := db.LedgerPut(ctx, e); err != nil {
				t.Fatal(err)
			}
			p := &teamsLike{posts: map[string]int{key: 1}}
			s := newScheduler(t, db, p, func(c *nudge.Config) { c.TeamsAtMostOnce = tc.atMostOnce })
			if _, err := s.Tick(ctx, start.Add(45*time.Minute)); err != nil {
				t.Fatal(err)
			}
			if p.posts[key] != tc.wantPosts {
				t.Errorf("posts = %d, want %d", p.posts[key], tc.wantPosts)
			}
			got, _, _ := db.LedgerGet(ctx, key)
			if got.State != tc.wantState {
				t.Errorf("ledger = %+v, want %s", got, tc.wantState)
			}
		})
	}
}

// TestPostedIDsRecordedAtTheSend: the ledger holds "sending" with the
// platform and then the id before the send returns.
func TestPostedIDsRecordedAtTheSend(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	db := simBook(t, start)
	p := &teamsLike{posts: map[string]int{}}
	if _, err := newScheduler(t, db, p).Tick(context.Background(), start.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	e, _, _ := db.LedgerGet(context.Background(), "digest|2026-11-23|ana@example.com")
	if e.State != domain.LedgerSent || e.Platform != nudge.PlatformTeams || len(e.MessageIDs) != 1 || e.MessageIDs[0] != "act-1" {
		t.Errorf("ledger = %+v", e)
	}
}

// stoppingNotifier stops the scheduler while it waits (like Teams'
// per-conversation limiter), before the POST.
type stoppingNotifier struct {
	cancel context.CancelFunc
	posts  int
}

func (n *stoppingNotifier) Notify(ctx context.Context, to bot.Recipient, m *bot.Message, key string) error {
	n.cancel() // SIGTERM arrives during the platform's wait
	if err := bot.BeforeSend(ctx, nudge.PlatformTeams, 1); err != nil {
		return err
	}
	n.posts++
	return nil
}

// TestStopDuringPlatformWait: a stop during the platform's own wait sends
// nothing and records nothing, so the next start sends it once.
func TestStopDuringPlatformWait(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	db := simBook(t, start)
	ctx, cancel := context.WithCancel(context.Background())
	n := &stoppingNotifier{cancel: cancel}
	if _, err := newScheduler(t, db, n).Tick(ctx, start.Add(30*time.Minute)); !errors.Is(err, context.Canceled) {
		t.Fatalf("tick = %v, want canceled", err)
	}
	if n.posts != 0 {
		t.Errorf("posted %d after the stop", n.posts)
	}
	entries, _ := db.LedgerSince(context.Background(), start)
	if len(entries) != 0 {
		t.Errorf("ledger after a stop before any POST = %+v", entries)
	}
}
