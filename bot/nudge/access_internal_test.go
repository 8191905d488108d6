package nudge

import (
	"context"
	"github.com/accountbot/accountbot/storage/badger"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// A renewal reminder planned for one team's channel is not posted there
// once the account has moved, before it was sent, to an owner whose
// reminders go to another channel.
func TestRenewalReminderFollowsTheChannelRules(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 5, 0, 0, time.UTC)
	db, err := badger.Open(ctx, "", badger.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := &domain.Account{ID: "acme", Name: "Acme", Owner: "ana@example.com", ARR: 150_000_00, Currency: "USD",
		FeaturesAvailable: 10, FeaturesAdopted: 5, RenewalDate: domain.DateOf(now).AddDays(90)}
	if _, err := db.Apply(ctx, []domain.Patch{{ID: a.ID, Core: a}}); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Channels.Rules = []ChannelRule{{Owners: []string{"@emea.example.com"}, Channel: "#emea-renewals"}}
	s, err := New(cfg, domain.DefaultConfig(), db, nopNotifier{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := s.planRenewals(ctx, now)
	if err != nil || len(plan) != 1 || plan[0].To.Channel != "#renewals" {
		t.Fatalf("plan = %+v, %v; want one reminder to #renewals", plan, err)
	}
	if m, err := plan[0].build(ctx); err != nil || m == nil {
		t.Fatalf("before the move: %v %v", m, err)
	}
	moved := *a
	moved.Owner = "zoe@emea.example.com"
	if _, err := db.Apply(ctx, []domain.Patch{{ID: a.ID, Core: &moved}}); err != nil {
		t.Fatal(err)
	}
	if m, err := plan[0].build(ctx); err != nil || m != nil {
		t.Fatalf("after the move to EMEA, #renewals would get: %v %v", m, err)
	}
}

type nopNotifier struct{}

func (nopNotifier) Notify(context.Context, bot.Recipient, *bot.Message, string) error { return nil }
