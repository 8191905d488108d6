package nudge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/domain"
)

// movedStore is a store in which account id was reassigned to owner
// after the owner index was read: planning still sees the old owner, the
// account itself says who has it now.
type movedStore struct {
	nudge.Store
	id, owner string
}

func (m movedStore) Account(ctx context.Context, id string) (*domain.Account, error) {
	a, err := m.Store.Account(ctx, id)
	if err != nil || id != m.id {
		return a, err
	}
	c := *a
	c.Owner = m.owner
	return &c, nil
}

// A personal nudge holds only accounts its recipient may read when it is
// sent: an account reassigned since planning leaves the old owner's digest
// and weekly review, and its alert is not sent to them.
func TestNudgesCheckedPerRecipient(t *testing.T) {
	start := time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC) // a Monday: digest and weekly review
	db := simBook(t, start)
	ctx := context.Background()
	db.Apply(ctx, []domain.Patch{{ID: "a00", Signals: []domain.Signal{{Date: domain.DateOf(start), Kind: domain.SignalCompetitor, Note: "Globex pitch"}}}})
	n := &fakeNotifier{}
	run(t, newScheduler(t, movedStore{Store: db, id: "a00", owner: "bo@example.com"}, n), start, start.Add(6*time.Hour))
	var digests int
	for _, d := range n.sent {
		if d.to.Email != "ana@example.com" {
			continue
		}
		if strings.HasPrefix(d.key, "alert|a00|") {
			t.Errorf("the alert of an account now bo's went to ana: %s", d.key)
		}
		if strings.HasPrefix(d.key, "digest|") || strings.HasPrefix(d.key, "weekly|") {
			digests++
			if text := bot.RenderText(d.msg); strings.Contains(text, "Account 0-0") {
				t.Errorf("%s lists an account ana no longer owns:\n%s", d.key, text)
			}
		}
	}
	if digests != 2 {
		t.Fatalf("ana got %d digests/reviews, want the digest and the weekly review", digests)
	}
}
