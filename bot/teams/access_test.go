package teams_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/teams"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/storagetest"
)

const (
	homeTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	evilTenant = "deadbeef-0000-4000-8000-000000000666"
)

// tenantActivity is a message as Teams sends it, in a tenant: personal
// when channelName is "", otherwise in a team channel.
func tenantActivity(f *botFramework, id, tenant, conv, from, text, channelName string) []byte {
	a := map[string]any{"type": "message", "id": id, "channelId": "msteams", "serviceUrl": f.srv.URL, "text": text,
		"from": map[string]any{"id": from, "name": "Someone"}, "recipient": map[string]any{"id": "28:bot", "name": "AccountBot"},
		"conversation": map[string]any{"id": conv, "conversationType": "personal", "tenantId": tenant},
		"channelData":  map[string]any{"tenant": map[string]any{"id": tenant}}}
	if channelName != "" {
		a["conversation"] = map[string]any{"id": conv, "conversationType": "channel", "tenantId": tenant, "isGroup": true}
		a["channelData"] = map[string]any{"tenant": map[string]any{"id": tenant},
			"team":    map[string]any{"id": "19:team-" + tenant[:4] + "@thread.tacv2"},
			"channel": map[string]any{"id": conv, "name": channelName}}
	}
	b, _ := json.Marshal(a)
	return b
}

func boundApp(t *testing.T, f *botFramework) (*teams.App, *[]domain.AuditEntry) {
	db := storagetest.Open(t)
	app := newApp(t, f, db)
	app.Binder = teams.NewBinder(teams.BindingConfig{TenantIDs: []string{homeTenant}}, db, nil)
	var mu sync.Mutex
	var audited []domain.AuditEntry
	app.Audit = func(_ context.Context, e domain.AuditEntry) {
		mu.Lock()
		audited = append(audited, e)
		mu.Unlock()
	}
	return app, &audited
}

// An activity from another tenant, through the JWT-validated path, gets
// the generic answer and nothing of the book; it is audited.
func TestForeignTenantRefused(t *testing.T) {
	f := newBotFramework(t)
	app, audited := boundApp(t, f)
	auth := "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, nil)
	if got := send(t, app, auth, tenantActivity(f, "e1", evilTenant, "a:conv-evil", "29:evil", "portfolio top", "")); got != 202 {
		t.Fatal(got)
	}
	p := f.last(t)
	b, _ := json.Marshal(p.body)
	if p.body["text"] != teams.NotInstalledText || strings.Contains(string(b), "Acme") || p.body["attachments"] != nil {
		t.Fatalf("foreign tenant answered %s", b)
	}
	if len(*audited) != 1 || (*audited)[0].Reason != "foreign tenant" || (*audited)[0].Workspace != evilTenant {
		t.Fatalf("audit = %+v", *audited)
	}
	// The home tenant is answered.
	send(t, app, auth, tenantActivity(f, "h1", homeTenant, "a:conv-ana", "29:ana", "acme health", ""))
	card, _ := json.Marshal(cardOf(t, f.last(t)))
	if !strings.Contains(string(card), "Acme Analytics") {
		t.Fatalf("home answer: %.300s", card)
	}
}

// A foreign tenant's channel named like ours must not receive our
// reminders, and a foreign user whose directory e-mail is a CSM's must
// not receive that CSM's digest.
func TestForeignTenantCannotHijackReferences(t *testing.T) {
	f := newBotFramework(t)
	app, _ := boundApp(t, f)
	auth := "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, nil)
	send(t, app, auth, tenantActivity(f, "h1", homeTenant, "19:home-renewals@thread.tacv2", "29:ana", "help", "Renewals"))
	send(t, app, auth, tenantActivity(f, "h2", homeTenant, "a:conv-ana", "29:ana", "help", ""))
	// The attacker's tenant: a channel called Renewals, and a member lookup
	// that answers ana@example.com (the fake answers it for everyone).
	send(t, app, auth, tenantActivity(f, "e1", evilTenant, "19:evil-renewals@thread.tacv2", "29:evil", "help", "Renewals"))
	send(t, app, auth, tenantActivity(f, "e2", evilTenant, "a:conv-evil", "29:evil", "help", ""))
	m := &bot.Message{Title: "Renewal in 90 days", Blocks: []bot.Block{bot.Section{Text: "Acme"}}}
	if err := app.Notify(context.Background(), bot.Recipient{Channel: "Renewals"}, m, ""); err != nil {
		t.Fatal(err)
	}
	if p := f.last(t); !strings.Contains(p.path, "home-renewals") {
		t.Fatalf("channel reminder went to %s", p.path)
	}
	if err := app.Notify(context.Background(), bot.Recipient{Email: "ana@example.com"}, m, ""); err != nil {
		t.Fatal(err)
	}
	if p := f.last(t); !strings.Contains(p.path, "a:conv-ana") {
		t.Fatalf("ana's digest went to %s", p.path)
	}
}

// A guest (B2B, #EXT#) of the home tenant gets help only.
func TestTeamsGuestGetsHelpOnly(t *testing.T) {
	f := newBotFramework(t)
	app, _ := boundApp(t, f)
	app.SetMember("29:guest", teams.Member{ID: "29:guest", Email: "ana@example.com", UserPrincipalName: "ana_example.com#EXT#@home.onmicrosoft.com", UserRole: "guest"})
	auth := "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, nil)
	send(t, app, auth, tenantActivity(f, "g1", homeTenant, "a:conv-guest", "29:guest", "acme health", ""))
	card, _ := json.Marshal(cardOf(t, f.last(t)))
	if strings.Contains(string(card), "Acme Analytics") || !strings.Contains(string(card), "only help you") {
		t.Fatalf("guest read an account: %.300s", card)
	}
}
