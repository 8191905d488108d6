package slack_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	bs "github.com/accountbot/accountbot/bot/slack"
	"github.com/accountbot/accountbot/domain"
)

var bindNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

const bindSecret = "binding-test-secret"

// Wire shapes as Slack sends them (HTTP mode): a slash command form, a
// block_actions payload and an Events API envelope.
func slashForm(team, enterprise, app string) string {
	v := url.Values{"token": {"xyzz0WbapA4vBCDEFasx0q6G"}, "team_id": {team}, "team_domain": {"testteamnow"},
		"channel_id": {"G8PSS9T3V"}, "channel_name": {"foobar"}, "user_id": {"U2CERLKJA"}, "user_name": {"roadrunner"},
		"command": {"/account"}, "text": {"acme health"}, "api_app_id": {app}, "is_enterprise_install": {"false"},
		"response_url": {"https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN"},
		"trigger_id":   {"398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"}}
	if enterprise != "" {
		v.Set("enterprise_id", enterprise)
		v.Set("enterprise_name", "Grid")
	}
	return v.Encode()
}

func actionForm(team, userTeam, app, triggerID, actionTS string) string {
	p := fmt.Sprintf(`{"type":"block_actions","user":{"id":"U2CERLKJA","username":"roadrunner","name":"roadrunner","team_id":%q},
"api_app_id":%q,"token":"xyzz0WbapA4vBCDEFasx0q6G","container":{"type":"message","message_ts":"1548261231.000200","channel_id":"C0CAZ7HHU","is_ephemeral":true},
"trigger_id":%q,"team":{"id":%q,"domain":"testteamnow"},"enterprise":null,"is_enterprise_install":false,
"channel":{"id":"C0CAZ7HHU","name":"general"},"response_url":"https://hooks.slack.com/actions/T1DC2JH3J/1/x",
"actions":[{"action_id":"snooze","block_id":"acct","value":"acme","type":"button","action_ts":%q}]}`, userTeam, app, triggerID, team, actionTS)
	return url.Values{"payload": {p}}.Encode()
}

func eventJSON(team, userTeam, app string) string {
	return fmt.Sprintf(`{"token":"XXYYZZ","team_id":%q,"api_app_id":%q,"event":{"type":"app_mention","user":"W021FGA1",
"text":"<@U0LAN0Z89> account acme","ts":"1515449522.000016","channel":"C0LAN2Q65","event_ts":"1515449522.000016","user_team":%q},
"type":"event_callback","event_id":"Ev0LAN670R","event_time":1515449522,"authorizations":[{"enterprise_id":null,"team_id":%q,
"user_id":"U0LAN0Z89","is_bot":true,"is_enterprise_install":false}],"is_ext_shared_channel":false,"event_context":"4-eyJldCI6ImFwcF9tZW50aW9uIn0"}`,
		team, app, userTeam, team)
}

// guarded serves the three endpoints behind the real verifier and the
// binder, recording what reached the handlers and what was audited.
type guarded struct {
	srv     *httptest.Server
	mu      sync.Mutex
	reached []bs.Verdict
	audited []domain.AuditEntry
	logs    *bytes.Buffer
}

func newGuarded(t *testing.T, cfg bs.BindingConfig, store bs.InstallStore) *guarded {
	g := &guarded{logs: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(syncWriter{w: g.logs, mu: &g.mu}, nil))
	b := bs.NewBinder(cfg, store, log)
	v := &bs.Verifier{Secret: bindSecret, Now: func() time.Time { return bindNow }}
	record := func(ctx context.Context, e domain.AuditEntry) {
		g.mu.Lock()
		g.audited = append(g.audited, e)
		g.mu.Unlock()
	}
	next := func(w http.ResponseWriter, r *http.Request, body []byte) {
		vd, _ := bs.VerdictFrom(r.Context())
		g.mu.Lock()
		g.reached = append(g.reached, vd)
		g.mu.Unlock()
		io.WriteString(w, `{"text":"the book"}`)
	}
	mux := http.NewServeMux()
	for path, kind := range map[string]string{"/slack/commands": "command", "/slack/interactivity": "interaction", "/slack/events": "event"} {
		mux.Handle(path, v.Middleware(b.Guard(kind, func() time.Time { return bindNow }, record, next)))
	}
	g.srv = httptest.NewServer(mux)
	t.Cleanup(g.srv.Close)
	return g
}

type syncWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (s syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (g *guarded) post(t *testing.T, path, body string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, g.srv.URL+path, strings.NewReader(body))
	ts := fmt.Sprint(bindNow.Unix())
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", signWith(bindSecret, ts, body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d", path, resp.StatusCode)
	}
	return string(b)
}

func (g *guarded) counts() (reached, audited int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.reached), len(g.audited)
}

// Each attack is a correctly signed request (Slack signs whatever arrives
// through a shared channel or another installation): only the binding
// stops it.
func TestBindingRefusesForeignSources(t *testing.T) {
	cfg := bs.BindingConfig{TeamIDs: []string{"T1DC2JH3J"}, EnterpriseIDs: []string{"E0HOMEORG"}, APIAppIDs: []string{"A0MDYCDME"}}
	tests := []struct {
		name, path, body string
		allowed          bool
		reason           string
	}{
		{"home slash command", "/slack/commands", slashForm("T1DC2JH3J", "", "A0MDYCDME"), true, ""},
		{"foreign team_id", "/slack/commands", slashForm("T666EVIL", "", "A0MDYCDME"), false, "foreign workspace"},
		{"foreign enterprise_id", "/slack/commands", slashForm("T666EVIL", "E666EVIL", "A0MDYCDME"), false, "foreign workspace"},
		{"home org, another workspace of it", "/slack/commands", slashForm("T0OTHERWS", "E0HOMEORG", "A0MDYCDME"), true, ""},
		{"foreign api_app_id", "/slack/commands", slashForm("T1DC2JH3J", "", "A666EVIL"), false, "foreign app"},
		{"no api_app_id", "/slack/commands", slashForm("T1DC2JH3J", "", ""), false, "foreign app"},
		{"home button", "/slack/interactivity", actionForm("T1DC2JH3J", "T1DC2JH3J", "A0MDYCDME", "1.1", "1.1"), true, ""},
		{"foreign button", "/slack/interactivity", actionForm("T666EVIL", "T666EVIL", "A0MDYCDME", "1.1", "1.1"), false, "foreign workspace"},
		{"button of a foreign app", "/slack/interactivity", actionForm("T1DC2JH3J", "T1DC2JH3J", "A666EVIL", "1.1", "1.1"), false, "foreign app"},
		{"home event", "/slack/events", eventJSON("T1DC2JH3J", "T1DC2JH3J", "A0MDYCDME"), true, ""},
		{"foreign event", "/slack/events", eventJSON("T666EVIL", "T666EVIL", "A0MDYCDME"), false, "foreign workspace"},
		{"url verification", "/slack/events", `{"token":"x","challenge":"abc","type":"url_verification"}`, true, ""},
		{"ssl check", "/slack/commands", "ssl_check=1&token=x", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGuarded(t, cfg, nil)
			body := g.post(t, tt.path, tt.body)
			reached, audited := g.counts()
			if tt.allowed {
				if reached != 1 || audited != 0 {
					t.Fatalf("reached %d, audited %d; want the handler to run", reached, audited)
				}
				return
			}
			if reached != 0 || strings.Contains(body, "the book") {
				t.Fatalf("refused request reached the handler: %q", body)
			}
			if tt.path == "/slack/commands" && !strings.Contains(body, bs.NotInstalledText) {
				t.Fatalf("command answered %q; want %q", body, bs.NotInstalledText)
			}
			if tt.path != "/slack/commands" && body != "" {
				t.Fatalf("answered %q; want an empty 200", body)
			}
			a := g.audited[0]
			if audited != 1 || a.Kind != domain.AuditSource || a.Result != domain.AuditRefused || a.Reason != tt.reason || a.Platform != "slack" || a.Workspace == "" {
				t.Fatalf("audit %+v (%d records); want one refusal for %q", a, audited, tt.reason)
			}
		})
	}
}

// Slack Connect: a member of another organisation acts in a shared
// channel of ours. The request is ours to answer, but their e-mail is not
// an identity.
func TestBindingSharedChannelIdentity(t *testing.T) {
	g := newGuarded(t, bs.BindingConfig{TeamIDs: []string{"T1DC2JH3J"}}, nil)
	g.post(t, "/slack/interactivity", actionForm("T1DC2JH3J", "T1DC2JH3J", "A0MDYCDME", "1", "1"))
	g.post(t, "/slack/interactivity", actionForm("T1DC2JH3J", "T777PARTNER", "A0MDYCDME", "1", "1"))
	g.post(t, "/slack/events", eventJSON("T1DC2JH3J", "T777PARTNER", "A0MDYCDME"))
	if len(g.reached) != 3 || !g.reached[0].Home || g.reached[1].Home || g.reached[2].Home {
		t.Fatalf("verdicts %+v; want home only for the first", g.reached)
	}
	partner := &slack.User{ID: "U9", TeamID: "T777PARTNER", Profile: slack.UserProfile{Email: "ana@example.com"}}
	p := bs.PrincipalFor(partner, g.reached[0], true)
	if p.Home {
		t.Fatal("a partner's profile with a CSM's e-mail counts as a home identity")
	}
	if d := domain.Authorize(p, domain.Requirement{Scope: domain.ScopeAccount}, domain.Target{Owner: "ana@example.com"}, domain.DefaultAccessConfig()); d.Allowed {
		t.Fatal("the partner reads the CSM's account")
	}
	ana := &slack.User{ID: "U2CERLKJA", TeamID: "T1DC2JH3J", Profile: slack.UserProfile{Email: "Ana@Example.com"}}
	if p := bs.PrincipalFor(ana, g.reached[0], true); !p.Home || p.Guest || p.Email != "ana@example.com" {
		t.Fatalf("home member: %+v", p)
	}
	for _, guest := range []*slack.User{
		{TeamID: "T1DC2JH3J", IsRestricted: true, Profile: slack.UserProfile{Email: "g@partner.io"}},
		{TeamID: "T1DC2JH3J", IsUltraRestricted: true, Profile: slack.UserProfile{Email: "g@partner.io"}},
		{TeamID: "T1DC2JH3J", IsStranger: true, Profile: slack.UserProfile{Email: "g@partner.io"}},
	} {
		if p := bs.PrincipalFor(guest, g.reached[0], false); !p.Guest {
			t.Fatalf("guest %+v not marked as a guest", guest)
		}
	}
}

type failingStore struct{}

func (failingStore) LearnInstallation(ctx context.Context, in domain.Installation) (domain.Installation, bool, error) {
	return in, false, errors.New("disk full")
}

// With nothing configured the first workspace is learned and recorded;
// every other one is refused, after a restart too.
func TestBindingLearnsFirstWorkspace(t *testing.T) {
	db, err := badger.Open(context.Background(), "", badger.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	g := newGuarded(t, bs.BindingConfig{}, db)
	g.post(t, "/slack/commands", slashForm("T1DC2JH3J", "", "A0MDYCDME"))
	if !strings.Contains(g.logs.String(), "bound to the first one seen") {
		t.Fatalf("learning not logged: %s", g.logs)
	}
	g.post(t, "/slack/commands", slashForm("T666EVIL", "", "A0MDYCDME"))
	g.post(t, "/slack/commands", slashForm("T1DC2JH3J", "", "A666EVIL"))
	if reached, audited := g.counts(); reached != 1 || audited != 2 {
		t.Fatalf("reached %d audited %d; want 1 and 2", reached, audited)
	}
	in, found, _ := db.Installation(context.Background(), "slack")
	if !found || in.Workspace != "T1DC2JH3J" || in.AppID != "A0MDYCDME" {
		t.Fatalf("recorded %+v", in)
	}
	restarted := newGuarded(t, bs.BindingConfig{}, db)
	restarted.post(t, "/slack/events", eventJSON("T666EVIL", "T666EVIL", "A0MDYCDME"))
	restarted.post(t, "/slack/events", eventJSON("T1DC2JH3J", "T1DC2JH3J", "A0MDYCDME"))
	if reached, audited := restarted.counts(); reached != 1 || audited != 1 {
		t.Fatalf("after restart: reached %d audited %d", reached, audited)
	}
	// A store that cannot record: refuse rather than answer unbound.
	broken := newGuarded(t, bs.BindingConfig{}, failingStore{})
	broken.post(t, "/slack/commands", slashForm("T1DC2JH3J", "", "A0MDYCDME"))
	if reached, _ := broken.counts(); reached != 0 {
		t.Fatal("answered without a recorded installation")
	}
}

func TestBindingLogsOncePerSource(t *testing.T) {
	g := newGuarded(t, bs.BindingConfig{TeamIDs: []string{"T1DC2JH3J"}}, nil)
	for range 5 {
		g.post(t, "/slack/commands", slashForm("T666EVIL", "", "A0MDYCDME"))
	}
	g.post(t, "/slack/events", eventJSON("T777OTHER", "T777OTHER", "A0MDYCDME"))
	if n := strings.Count(g.logs.String(), "slack request refused"); n != 2 {
		t.Fatalf("%d log lines for 2 sources:\n%s", n, g.logs)
	}
	if _, audited := g.counts(); audited != 6 {
		t.Fatalf("%d audit records; want one per refusal (6)", audited)
	}
}

func TestWriteIDs(t *testing.T) {
	press := func(trigger, actionTS, value string) slack.InteractionCallback {
		return slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, TriggerID: trigger, ActionTs: actionTS,
			User: slack.User{ID: "U1"}, Container: slack.Container{MessageTs: "1548261231.000200", ChannelID: "C1"},
			ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{{ActionID: "snooze", BlockID: "b", Value: value}}}}
	}
	a, b := bs.InteractionWriteID(press("1.1", "1.1", "acme")), bs.InteractionWriteID(press("2.2", "2.2", "acme"))
	if a == "" || a != b {
		t.Fatalf("a double click gives ids %q and %q; want one", a, b)
	}
	if c := bs.InteractionWriteID(press("3.3", "3.3", "globex")); c == a {
		t.Fatal("another account's button has the same id")
	}
	view := func(trigger string) slack.InteractionCallback {
		cb := slack.InteractionCallback{Type: slack.InteractionTypeViewSubmission, TriggerID: trigger}
		cb.View.ID = "V0123"
		return cb
	}
	if x, y := bs.InteractionWriteID(view("1")), bs.InteractionWriteID(view("2")); x == "" || x != y {
		t.Fatalf("two submissions of one modal: %q, %q", x, y)
	}
	if bs.CommandWriteID(slack.SlashCommand{TriggerID: "398738663015.1"}) != "slack|cmd|398738663015.1" || bs.CommandWriteID(slack.SlashCommand{}) != "" {
		t.Fatal("command write id")
	}
	if bs.MessageWriteID("D1", "1515449522.000016") != "slack|msg|D1|1515449522.000016" {
		t.Fatal("message write id")
	}
}
