package teams_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/teams"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/storagetest"
)

// channelActivity is a message in a team's channel; name "" is how most
// channel messages arrive (Teams sends the name on some events only).
func channelActivity(f *botFramework, id, tenant, team, channel, name string) []byte {
	ch := map[string]any{"id": channel}
	if name != "" {
		ch["name"] = name
	}
	a := map[string]any{"type": "message", "id": id, "channelId": "msteams", "serviceUrl": f.srv.URL, "text": "<at>AccountBot</at> help",
		"from": map[string]any{"id": "29:ana", "name": "Ana"}, "recipient": map[string]any{"id": "28:bot", "name": "AccountBot"},
		"conversation": map[string]any{"id": channel + ";messageid=" + id, "conversationType": "channel", "tenantId": tenant, "isGroup": true},
		"channelData":  map[string]any{"tenant": map[string]any{"id": tenant}, "team": map[string]any{"id": team}, "channel": ch}}
	b, _ := json.Marshal(a)
	return b
}

func legacyRef(f *botFramework, tenant, conv, user, email string) []byte {
	b, _ := json.Marshal(teams.Ref{Email: email, Reference: schema.ConversationReference{ServiceURL: f.srv.URL, ChannelID: "msteams",
		Conversation: schema.ConversationAccount{ID: conv, TenantID: tenant}, User: schema.ChannelAccount{ID: user},
		Bot: schema.ChannelAccount{ID: "28:bot"}}})
	return b
}

// Before references were keyed by ids, a foreign tenant's channel called
// "Renewals" and a foreign user whose directory e-mail was a CSM's
// overwrote the name- and e-mail-keyed records, and proactive messages
// followed them. Migration keeps only the home tenant's records, by ids.
func TestLegacyHijackedRefsDroppedByMigration(t *testing.T) {
	ctx := context.Background()
	f := newBotFramework(t)
	db := storagetest.Open(t)
	app := newApp(t, f, db)
	old := map[string][]byte{
		"user:29:ana":                    legacyRef(f, homeTenant, "a:conv-ana", "29:ana", "ana@example.com"),
		"channel:19:home@thread.tacv2":   legacyRef(f, homeTenant, "19:home@thread.tacv2;messageid=1", "29:ana", ""),
		"channel:renewals":               legacyRef(f, evilTenant, "19:evil@thread.tacv2", "29:evil", ""),       // hijacked
		"email:ana@example.com":          legacyRef(f, evilTenant, "a:conv-evil", "29:evil", "ana@example.com"), // re-keyed
		"conv:19:home@thread.tacv2":      legacyRef(f, homeTenant, "19:home@thread.tacv2", "29:ana", ""),        // duplicate
		"channel:no-tenant-is-dropped-a": legacyRef(f, "", "19:x@thread.tacv2", "", ""),                         // unverifiable
	}
	for k, v := range old {
		if err := db.PutRef(ctx, "teams", k, v); err != nil {
			t.Fatal(err)
		}
	}
	moved, dropped, err := db.MigrateLegacyRefs(ctx, "teams", []string{homeTenant}, teams.DecodeLegacyRef)
	if err != nil || moved != 2 || dropped != 4 {
		t.Fatalf("moved %d dropped %d err %v; want 2 and 4", moved, dropped, err)
	}
	m := &bot.Message{Title: "Renewal in 90 days", Blocks: []bot.Block{bot.Section{Text: "Acme"}}}
	err = app.Notify(ctx, bot.Recipient{Channel: "#renewals"}, m, "")
	if err == nil || !strings.Contains(err.Error(), "unknown recipient") {
		t.Fatalf("the hijacked name still routes: %v (last post %s)", err, f.lastPath())
	}
	if err := app.Notify(ctx, bot.Recipient{Channel: "19:home@thread.tacv2"}, m, ""); err != nil {
		t.Fatal(err)
	}
	if p := f.lastPath(); p != "/v3/conversations/19:home@thread.tacv2/activities" {
		t.Fatalf("channel by id went to %s", p)
	}
	if err := app.Notify(ctx, bot.Recipient{Email: "ana@example.com"}, m, ""); err != nil {
		t.Fatal(err)
	}
	if p := f.lastPath(); p != "/v3/conversations/a:conv-ana/activities" {
		t.Fatalf("ana's digest went to %s", p)
	}
}

// Two teams of the home tenant with a channel of the same name: the last
// one to speak used to take the reminders. Now the name is ambiguous and
// the error says to use the id; the id reaches the right one.
func TestChannelNameInTwoTeamsNeedsTheID(t *testing.T) {
	f := newBotFramework(t)
	app := newApp(t, f, storagetest.Open(t))
	auth := "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, nil)
	send(t, app, auth, channelActivity(f, "1", homeTenant, "19:team-cs@thread.tacv2", "19:cs-renewals@thread.tacv2", "Renewals"))
	send(t, app, auth, channelActivity(f, "2", homeTenant, "19:team-x@thread.tacv2", "19:x-renewals@thread.tacv2", "Renewals"))
	send(t, app, auth, channelActivity(f, "3", homeTenant, "19:team-x@thread.tacv2", "19:x-renewals@thread.tacv2", ""))
	n := f.count()
	m := &bot.Message{Title: "Renewal in 90 days", Blocks: []bot.Block{bot.Section{Text: "Acme"}}}
	err := app.Notify(context.Background(), bot.Recipient{Channel: "#renewals"}, m, "")
	if domain.ErrorCode(err) != domain.EINVALID || !strings.Contains(domain.ErrorMessage(err), "by its id") || f.count() != n {
		t.Fatalf("ambiguous name: %v, %d posts", err, f.count()-n)
	}
	if err := app.Notify(context.Background(), bot.Recipient{Channel: "19:cs-renewals@thread.tacv2"}, m, ""); err != nil {
		t.Fatal(err)
	}
	if p := f.lastPath(); p != "/v3/conversations/19:cs-renewals@thread.tacv2/activities" {
		t.Fatalf("by id went to %s (a new post in the channel, not a reply in the thread)", p)
	}
}

// A member of another tenant chatting with the bot inside a home-tenant
// conversation (the lookup answers with their own tenant) is not bound to
// the e-mail their directory gives.
func TestCrossTenantMemberNotBoundToEmail(t *testing.T) {
	f := newBotFramework(t)
	app := newApp(t, f, storagetest.Open(t))
	app.SetMember("29:fed", teams.Member{ID: "29:fed", Email: "ana@example.com", TenantID: evilTenant, UserRole: "user"})
	auth := "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, nil)
	send(t, app, auth, tenantActivity(f, "h1", homeTenant, "a:conv-ana", "29:ana", "help", ""))
	send(t, app, auth, tenantActivity(f, "h2", homeTenant, "a:conv-fed", "29:fed", "help", ""))
	m := &bot.Message{Title: "Your top 3", Blocks: []bot.Block{bot.Section{Text: "Acme"}}}
	if err := app.Notify(context.Background(), bot.Recipient{Email: "ana@example.com"}, m, ""); err != nil {
		t.Fatal(err)
	}
	if p := f.lastPath(); p != "/v3/conversations/a:conv-ana/activities" {
		t.Fatalf("ana's digest went to %s", p)
	}
}
