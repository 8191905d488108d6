package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
	"github.com/accountbot/accountbot/storage/storagetest"
)

type failingNotifier struct{}

func (failingNotifier) Notify(context.Context, bot.Recipient, *bot.Message, string) error {
	return errors.New("channel_not_found")
}

// Nudge deliveries are audited, and `ask` without --as is the operator
// while --as is that person under their role.
func TestNudgeDeliveriesAudited(t *testing.T) {
	db := storagetest.Open(t)
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	m := &Main{db: db, log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return at }}
	n := auditedNotifiers{nudge.Notifiers{failingNotifier{}}, m}
	if _, ok := any(n).(nudge.DeliveryChecker); !ok {
		t.Fatal("the wrapper hides the delivery check")
	}
	n.Notify(context.Background(), bot.Recipient{Email: "ana@example.com"}, &bot.Message{Title: "x"}, "digest|2026-11-23|ana@example.com")
	got, err := db.Audit(context.Background(), storage.AuditQuery{})
	if err != nil || len(got) != 1 || got[0].Kind != domain.AuditNudge || got[0].Verb != "digest" || got[0].Result != domain.AuditError || got[0].Email != "ana@example.com" {
		t.Fatalf("audit = %+v, %v", got, err)
	}
	if u := cliUser("", "cli"); !u.Operator || u.Email != "" {
		t.Errorf("no --as: %+v", u)
	}
	if u := cliUser(" Ana@Example.com ", "cli"); u.Operator || u.Email != "ana@example.com" {
		t.Errorf("--as: %+v", u)
	}
	if a, b := newWriteID("console"), newWriteID("console"); a == b || a == "" {
		t.Errorf("console write ids %q %q", a, b)
	}
}
