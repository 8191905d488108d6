package teams_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/accountbot/accountbot/bot/teams"
	"github.com/accountbot/accountbot/domain"
)

const (
	teamsHome = "72f988bf-86f1-41af-91ab-2d7cd011db47"
	teamsEvil = "deadbeef-0000-4000-8000-000000000666"
)

var bindAt = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// personalMessage is a 1:1 message activity as the Bot Connector posts it.
func personalMessage(t *testing.T, id, convTenant, dataTenant string) schema.Activity {
	return decodeActivity(t, fmt.Sprintf(`{"type":"message","id":%q,"timestamp":"2026-11-23T09:00:00.000Z",
"serviceUrl":"https://smba.trafficmanager.net/emea/","channelId":"msteams",
"from":{"id":"29:1XJKJMvc5GBtc2JwZq0oj8tHZmzrQgFmB39ATiQWA85g","name":"Megan Bowen","aadObjectId":"00000000-0000-0000-0000-0000000000aa"},
"conversation":{"conversationType":"personal","tenantId":%q,"id":"a:17I0kl9EkpE1O9PH5TWrzrLqwWaW"},
"recipient":{"id":"28:11111111-2222-3333-4444-555555555555","name":"AccountBot"},
"textFormat":"plain","locale":"en-US","text":"portfolio top","channelData":{"tenant":{"id":%q}}}`, id, convTenant, dataTenant))
}

// channelMessage is a channel @mention, with the team and channel ids.
func channelMessage(t *testing.T, tenant, team, channel, name string) schema.Activity {
	return decodeActivity(t, fmt.Sprintf(`{"type":"message","id":"1700000000001","serviceUrl":"https://smba.trafficmanager.net/emea/",
"channelId":"msteams","from":{"id":"29:1mallory","name":"Mallory"},
"conversation":{"isGroup":true,"conversationType":"channel","tenantId":%q,"id":"%s;messageid=1700000000001"},
"recipient":{"id":"28:11111111-2222-3333-4444-555555555555","name":"AccountBot"},"text":"<at>AccountBot</at> help",
"channelData":{"teamsChannelId":%q,"teamsTeamId":%q,"channel":{"id":%q,"name":%q},"team":{"id":%q},"tenant":{"id":%q}}}`,
		tenant, channel, channel, team, channel, name, team, tenant))
}

func decodeActivity(t *testing.T, s string) schema.Activity {
	t.Helper()
	var a schema.Activity
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestTeamsBindingRefusesForeignTenants(t *testing.T) {
	b := teams.NewBinder(teams.BindingConfig{TenantIDs: []string{teamsHome}}, nil, nil)
	tests := []struct {
		name    string
		act     schema.Activity
		allowed bool
		reason  string
	}{
		{"home personal chat", personalMessage(t, "1", teamsHome, teamsHome), true, ""},
		{"home tenant, upper case", personalMessage(t, "1", strings.ToUpper(teamsHome), ""), true, ""},
		{"home channel", channelMessage(t, teamsHome, "19:team-home@thread.tacv2", "19:renewals@thread.tacv2", "Renewals"), true, ""},
		{"foreign tenant", personalMessage(t, "1", teamsEvil, teamsEvil), false, "foreign tenant"},
		{"foreign channel named Renewals", channelMessage(t, teamsEvil, "19:team-evil@thread.tacv2", "19:evil@thread.tacv2", "Renewals"), false, "foreign tenant"},
		{"tenants disagree", personalMessage(t, "1", teamsHome, teamsEvil), false, "differ"},
		{"no tenant", personalMessage(t, "1", "", ""), false, "no tenant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := b.Check(context.Background(), tt.act, bindAt)
			if v.Allowed != tt.allowed || v.Home != tt.allowed {
				t.Fatalf("verdict %+v; want allowed %v", v, tt.allowed)
			}
			if tt.allowed {
				if v.Audit != nil {
					t.Fatal("an allowed activity has a refusal record")
				}
				return
			}
			if !strings.Contains(v.Reason, tt.reason) || v.Audit == nil || v.Audit.Kind != domain.AuditSource ||
				v.Audit.Result != domain.AuditRefused || v.Audit.Platform != "teams" || v.Audit.UserID == "" {
				t.Fatalf("refusal %+v / %+v; want reason %q and an audit record", v, v.Audit, tt.reason)
			}
		})
	}
}

func TestTeamsBindingLearnsFirstTenant(t *testing.T) {
	db, err := badger.Open(context.Background(), "", badger.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var logs bytes.Buffer
	b := teams.NewBinder(teams.BindingConfig{}, db, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	if v := b.Check(ctx, personalMessage(t, "1", teamsHome, teamsHome), bindAt); !v.Allowed {
		t.Fatalf("first tenant refused: %+v", v)
	}
	for range 3 {
		if v := b.Check(ctx, personalMessage(t, "2", teamsEvil, teamsEvil), bindAt); v.Allowed {
			t.Fatal("second tenant answered")
		}
	}
	if !strings.Contains(logs.String(), "bound to the first one seen") || strings.Count(logs.String(), "teams activity refused") != 1 {
		t.Fatalf("logs:\n%s", logs.String())
	}
	restarted := teams.NewBinder(teams.BindingConfig{}, db, nil)
	if v := restarted.Check(ctx, personalMessage(t, "3", teamsEvil, teamsEvil), bindAt); v.Allowed {
		t.Fatal("second tenant answered after a restart")
	}
}

// A member lookup e-mail identifies someone only for a full member of the
// home tenant; a guest or a federated user with a CSM's address is nobody.
func TestTeamsPrincipal(t *testing.T) {
	b := teams.NewBinder(teams.BindingConfig{TenantIDs: []string{teamsHome}}, nil, nil)
	v := b.Check(context.Background(), personalMessage(t, "1", teamsHome, teamsHome), bindAt)
	member := func(body string) teams.Member {
		m, err := teams.ParseMember([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ana := member(`{"id":"29:1ana","name":"Ana","aadObjectId":"aa","email":"Ana@Example.com","userPrincipalName":"ana@example.com","tenantId":"` + teamsHome + `","userRole":"user"}`)
	if p := teams.PrincipalFor(ana, v, true); !p.Home || p.Guest || p.Email != "ana@example.com" {
		t.Fatalf("home member: %+v", p)
	}
	for name, body := range map[string]string{
		"guest":     `{"id":"29:1g","email":"ana@example.com","userPrincipalName":"ana_example.com#EXT#@contoso.onmicrosoft.com","tenantId":"` + teamsHome + `","userRole":"guest"}`,
		"federated": `{"id":"29:1f","email":"ana@example.com","userPrincipalName":"ana@example.com","tenantId":"` + teamsEvil + `","userRole":"user"}`,
	} {
		p := teams.PrincipalFor(member(body), v, true)
		d := domain.Authorize(p, domain.Requirement{Scope: domain.ScopeAccount}, domain.Target{Owner: "ana@example.com"}, domain.DefaultAccessConfig())
		if d.Allowed {
			t.Errorf("%s with a CSM's e-mail reads the CSM's account (%+v)", name, p)
		}
	}
}

func TestTeamsIDsAndWriteIDs(t *testing.T) {
	ch := teams.IDsOf(channelMessage(t, teamsHome, "19:team-home@thread.tacv2", "19:renewals@thread.tacv2", "Renewals"))
	if ch.Personal || ch.Tenant != teamsHome || ch.Team != "19:team-home@thread.tacv2" || ch.Channel != "19:renewals@thread.tacv2" || ch.ChannelName != "Renewals" {
		t.Fatalf("channel ids %+v", ch)
	}
	if p := teams.IDsOf(personalMessage(t, "1", teamsHome, teamsHome)); !p.Personal || p.User == "" || p.Tenant != teamsHome {
		t.Fatalf("personal ids %+v", p)
	}
	submit := func(id string) schema.Activity {
		a := personalMessage(t, id, teamsHome, teamsHome)
		a.ReplyToID = "1700000000000"
		a.Value = map[string]any{"action": "outcome_submit", "value": "acme", "result": "lost"}
		return a
	}
	if x, y := teams.WriteID(submit("10")), teams.WriteID(submit("11")); x == "" || x != y {
		t.Fatalf("a double click on Submit gives %q and %q; want one id", x, y)
	}
	other := submit("12")
	other.Value["result"] = "won"
	if teams.WriteID(other) == teams.WriteID(submit("10")) {
		t.Fatal("different submitted values share an id")
	}
	if a, b := teams.WriteID(personalMessage(t, "20", teamsHome, teamsHome)), teams.WriteID(personalMessage(t, "20", teamsHome, teamsHome)); a == "" || a != b {
		t.Fatal("a redelivered message has another id")
	}
}
