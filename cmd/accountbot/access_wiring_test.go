package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/bot/teams"
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

// serve moves the Teams references of earlier versions to id keys once
// the home tenant is known, dropping other tenants' (a hijacked
// "channel:renewals"), and waits while it is not.
func TestServeMigratesTeamsRefs(t *testing.T) {
	const home, evil = "72f988bf-86f1-41af-91ab-2d7cd011db47", "deadbeef-0000-4000-8000-000000000666"
	ctx := context.Background()
	db := storagetest.Open(t)
	put := func(key, tenant, conv, user string) {
		b, _ := json.Marshal(teams.Ref{Reference: schema.ConversationReference{ServiceURL: "https://smba.example/",
			Conversation: schema.ConversationAccount{ID: conv, TenantID: tenant}, User: schema.ChannelAccount{ID: user}}})
		if err := db.PutRef(ctx, "teams", key, b); err != nil {
			t.Fatal(err)
		}
	}
	put("email:ana@example.com", home, "a:conv-ana", "29:ana")
	put("channel:renewals", evil, "19:evil@thread.tacv2", "29:evil")
	env := map[string]string{}
	m := &Main{db: db, log: slog.New(slog.NewTextHandler(io.Discard, nil)), Getenv: func(k string) string { return env[k] }}
	app, err := teams.New(teams.Config{AppID: "11111111-2222-3333-4444-555555555555", AppPassword: "pw"}, nil, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.bindTeams(ctx, app); err != nil { // no tenant known yet: nothing moves
		t.Fatal(err)
	}
	if _, ok, _ := db.Ref(ctx, "teams", "email:ana@example.com"); !ok {
		t.Fatal("old records dropped before the home tenant was known")
	}
	env["MICROSOFT_TENANT_IDS"] = home
	if err := m.bindTeams(ctx, app); err != nil {
		t.Fatal(err)
	}
	if k, _, ok, _ := db.PersonRefByEmail(ctx, "teams", "ana@example.com"); !ok || k.User != "29:ana" {
		t.Fatalf("ana not migrated: %+v %v", k, ok)
	}
	for _, key := range []string{"email:ana@example.com", "channel:renewals"} {
		if _, ok, _ := db.Ref(ctx, "teams", key); ok {
			t.Errorf("old key %s kept", key)
		}
	}
	if _, _, ok, _ := db.ChannelRefByName(ctx, "teams", evil, "renewals"); ok {
		t.Error("the foreign channel was migrated")
	}
}
