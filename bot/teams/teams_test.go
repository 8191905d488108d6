package teams_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/teams"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/playbooks"
	"github.com/accountbot/accountbot/storage/storagetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

const appID = "11111111-2222-3333-4444-555555555555"

var now = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// botFramework fakes login.botframework.com (metadata, keys, tokens) and
// the Bot Connector service (activities, members).
type botFramework struct {
	srv      *httptest.Server
	key      *rsa.PrivateKey
	kid      string
	keyFetch atomic.Int32
	tokens   atomic.Int32
	mu       sync.Mutex
	posted   []posted
	failConv string // answer 404 for this conversation
	endorse  []string
}

type posted struct {
	path, auth string
	body       map[string]any
}

func newBotFramework(t *testing.T) *botFramework {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &botFramework{key: k, kid: "key-1", endorse: []string{"msteams"}}
	mux := http.NewServeMux()
	mux.HandleFunc("/openid", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"issuer":"https://api.botframework.com","jwks_uri":"%s/keys"}`, f.srv.URL)
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		f.keyFetch.Add(1)
		n := base64.RawURLEncoding.EncodeToString(k.N.Bytes())
		e := base64.RawURLEncoding.EncodeToString(big.NewInt(int64(k.E)).Bytes())
		end, _ := json.Marshal(f.endorse)
		fmt.Fprintf(w, `{"keys":[{"kty":"RSA","use":"sig","kid":%q,"n":%q,"e":%q,"endorsements":%s}]}`, f.kid, n, e, end)
	})
	mux.HandleFunc("/token", func(w http.ResponseWriter, r *http.Request) {
		f.tokens.Add(1)
		r.ParseForm()
		if r.Form.Get("grant_type") != "client_credentials" || r.Form.Get("scope") != teams.TokenScope {
			http.Error(w, "bad grant", 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"outbound-token","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("/v3/conversations/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Path, "/members/") {
			fmt.Fprint(w, `{"id":"29:ana","name":"Ana","email":"Ana@Example.com","userPrincipalName":"ana@example.com"}`)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.failConv != "" && strings.Contains(r.URL.Path, f.failConv) {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var body map[string]any
		json.Unmarshal(b, &body)
		f.posted = append(f.posted, posted{r.URL.Path, r.Header.Get("Authorization"), body})
		fmt.Fprint(w, `{"id":"reply-1"}`)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *botFramework) token(t *testing.T, method jwt.SigningMethod, key any, mutate func(jwt.MapClaims, *jwt.Token)) string {
	claims := jwt.MapClaims{"iss": "https://api.botframework.com", "aud": appID, "serviceurl": f.srv.URL,
		"nbf": now.Add(-time.Minute).Unix(), "exp": now.Add(time.Hour).Unix()}
	tok := jwt.NewWithClaims(method, claims)
	tok.Header["kid"] = f.kid
	if mutate != nil {
		mutate(claims, tok)
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func activityJSON(f *botFramework, text string, value map[string]any) []byte {
	a := map[string]any{"type": "message", "id": "act-1", "channelId": "msteams", "serviceUrl": f.srv.URL, "text": text,
		"from": map[string]any{"id": "29:ana", "name": "Ana"}, "recipient": map[string]any{"id": "28:bot", "name": "AccountBot"},
		"conversation": map[string]any{"id": "a:conv-ana", "conversationType": "personal", "tenantId": homeTenant}}
	if value != nil {
		a["value"] = value
	}
	b, _ := json.Marshal(a)
	return b
}

func newApp(t *testing.T, f *botFramework, db *badger.DB) *teams.App {
	t.Helper()
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	d, _ := playbooks.New("")
	e.Drafter = d
	app, err := teams.New(teams.Config{AppID: appID, AppPassword: "secret", OpenIDMetadata: f.srv.URL + "/openid", TokenURL: f.srv.URL + "/token"},
		e, db, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	app.Now = func() time.Time { return now }
	app.Validator().Now = func() time.Time { return now }
	app.Binder = teams.NewBinder(teams.BindingConfig{TenantIDs: []string{homeTenant}}, db, nil)
	return app
}

func send(t *testing.T, app *teams.App, auth string, body []byte) int {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/api/messages", bytes.NewReader(body))
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	w := httptest.NewRecorder()
	app.ServeHTTP(w, req)
	app.Wait()
	return w.Code
}

func TestJWTValidation(t *testing.T) {
	f := newBotFramework(t)
	db := storagetest.Open(t)
	app := newApp(t, f, db)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	body := activityJSON(f, "help", nil)
	tests := []struct {
		name string
		auth string
		want int
	}{
		{"valid token", "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, nil), 202},
		{"bad signature", "Bearer " + f.token(t, jwt.SigningMethodRS256, other, nil), 401},
		{"wrong issuer", "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, func(c jwt.MapClaims, _ *jwt.Token) { c["iss"] = "https://evil.example" }), 401},
		{"wrong audience", "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, func(c jwt.MapClaims, _ *jwt.Token) { c["aud"] = "someone-else" }), 401},
		{"expired beyond skew", "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, func(c jwt.MapClaims, _ *jwt.Token) { c["exp"] = now.Add(-6 * time.Minute).Unix() }), 401},
		{"expired within skew", "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, func(c jwt.MapClaims, _ *jwt.Token) { c["exp"] = now.Add(-4 * time.Minute).Unix() }), 202},
		{"not yet valid", "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, func(c jwt.MapClaims, _ *jwt.Token) { c["nbf"] = now.Add(10 * time.Minute).Unix() }), 401},
		{"alg none", "Bearer " + f.token(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil), 401},
		{"HS256 with the public key as secret", "Bearer " + f.token(t, jwt.SigningMethodHS256, f.key.N.Bytes(), nil), 401},
		{"unknown key id", "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, func(_ jwt.MapClaims, tok *jwt.Token) { tok.Header["kid"] = "other" }), 401},
		{"serviceUrl mismatch", "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, func(c jwt.MapClaims, _ *jwt.Token) { c["serviceurl"] = "https://attacker.example" }), 401},
		{"missing header", "", 401},
		{"not a bearer", "Basic abc", 401},
		{"absurdly long", "Bearer " + strings.Repeat("a", 9000), 401},
	}
	for _, tt := range tests {
		if got := send(t, app, tt.auth, body); got != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, got, tt.want)
		}
	}
	// Keys were fetched once, plus at most one refresh for the unknown kid.
	if n := f.keyFetch.Load(); n < 1 || n > 2 {
		t.Errorf("key set fetched %d times", n)
	}
	// A key not endorsed for the channel is refused.
	f.endorse = []string{"slack"}
	app2 := newApp(t, f, db)
	if got := send(t, app2, "Bearer "+f.token(t, jwt.SigningMethodRS256, f.key, nil), body); got != 401 {
		t.Errorf("unendorsed channel: %d", got)
	}
}

func TestKeysFetchedOnceForConcurrentRequests(t *testing.T) {
	f := newBotFramework(t)
	v := &teams.Validator{AppID: appID, MetadataURL: f.srv.URL + "/openid", Now: func() time.Time { return now }}
	tok := "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := v.Validate(context.Background(), tok, f.srv.URL, "msteams"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := f.keyFetch.Load(); n != 1 {
		t.Errorf("20 concurrent requests fetched the keys %d times", n)
	}
	// Unknown kids refresh at most once an hour.
	bad := "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, func(_ jwt.MapClaims, tok *jwt.Token) { tok.Header["kid"] = "rotated" })
	for range 5 {
		v.Validate(context.Background(), bad, f.srv.URL, "msteams")
	}
	if n := f.keyFetch.Load(); n != 1 {
		t.Errorf("unknown kid refetched %d times within the hour", n)
	}
	v.Now = func() time.Time { return now.Add(61 * time.Minute) }
	v.Validate(context.Background(), bad, f.srv.URL, "msteams")
	if n := f.keyFetch.Load(); n != 2 {
		t.Errorf("after an hour: fetched %d times", n)
	}
}

func (f *botFramework) last(t *testing.T) posted {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.posted) == 0 {
		t.Fatal("nothing posted to the connector")
	}
	return f.posted[len(f.posted)-1]
}

func cardOf(t *testing.T, p posted) map[string]any {
	t.Helper()
	atts, _ := p.body["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("attachments = %v", p.body)
	}
	a := atts[0].(map[string]any)
	if a["contentType"] != "application/vnd.microsoft.card.adaptive" {
		t.Fatalf("content type %v", a["contentType"])
	}
	card := a["content"].(map[string]any)
	teams.RequireValidCard(t, "posted card", card)
	return card
}

func TestMessageRepliesWithAdaptiveCard(t *testing.T) {
	f := newBotFramework(t)
	db := storagetest.Open(t)
	app := newApp(t, f, db)
	auth := "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, nil)
	if got := send(t, app, auth, activityJSON(f, "<at>AccountBot</at> acme health", nil)); got != 202 {
		t.Fatal(got)
	}
	p := f.last(t)
	card, _ := json.Marshal(cardOf(t, p))
	if !strings.Contains(string(card), "Acme Analytics — Tier 1 — health") || p.auth != "Bearer outbound-token" ||
		p.path != "/v3/conversations/a:conv-ana/activities/act-1" {
		t.Errorf("reply %s auth %q: %.300s", p.path, p.auth, card)
	}
	// "my" portfolio works: the e-mail came from the member lookup.
	send(t, app, auth, activityJSON(f, "portfolio top", nil))
	card, _ = json.Marshal(cardOf(t, f.last(t)))
	if !strings.Contains(string(card), "ana@example.com") {
		t.Errorf("portfolio top: %.300s", card)
	}
	// A button press (Action.Submit) maps to the same handlers as Slack.
	send(t, app, auth, activityJSON(f, "", map[string]any{"action": bot.ActionDraftQBR, "value": "globex"}))
	card, _ = json.Marshal(cardOf(t, f.last(t)))
	if !strings.Contains(string(card), "QBR talking points") {
		t.Errorf("draft QBR: %.300s", card)
	}
	send(t, app, auth, activityJSON(f, "", map[string]any{"action": bot.ActionLogOutcome, "value": "globex"}))
	card, _ = json.Marshal(cardOf(t, f.last(t)))
	if !strings.Contains(string(card), "Input.ChoiceSet") || !strings.Contains(string(card), bot.ActionOutcomeSubmit) {
		t.Errorf("outcome form: %.300s", card)
	}
	send(t, app, auth, activityJSON(f, "", map[string]any{"action": bot.ActionOutcomeSubmit, "value": "globex", "result": "won", "motion": "seats", "arr": "36000"}))
	outs, _ := db.Outcomes(context.Background(), domain.DateOf(now), domain.DateOf(now))
	if len(outs) != 1 || outs[0].By != "ana@example.com" || outs[0].ARR != 36_000_00 {
		t.Errorf("outcome = %+v", outs)
	}
	if f.tokens.Load() != 1 {
		t.Errorf("token requested %d times, want 1 (cached)", f.tokens.Load())
	}
}

func TestProactiveDMSurvivesRestart(t *testing.T) {
	f := newBotFramework(t)
	dir := t.TempDir()
	db, err := badger.Open(context.Background(), dir, badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Apply(context.Background(), nil)
	app := newApp(t, f, db)
	send(t, app, "Bearer "+f.token(t, jwt.SigningMethodRS256, f.key, nil), activityJSON(f, "help", nil))
	db.Close()
	// A new process: new store handle, new app, nothing in memory.
	db2, err := badger.Open(context.Background(), dir, badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	app2 := newApp(t, f, db2)
	m := &bot.Message{Title: "Your top 3 accounts for Mon 23 Nov", Blocks: []bot.Block{bot.Section{Text: "1. Globex"}}}
	if err := app2.Notify(context.Background(), bot.Recipient{Email: "ana@example.com"}, m, "digest|2026-11-23|ana@example.com"); err != nil {
		t.Fatal(err)
	}
	p := f.last(t)
	if p.path != "/v3/conversations/a:conv-ana/activities" || !strings.Contains(fmt.Sprint(cardOf(t, p)), "Your top 3 accounts") {
		t.Errorf("proactive post %s %v", p.path, p.body)
	}
	// Unknown people are reported as such (another platform may know them).
	err = app2.Notify(context.Background(), bot.Recipient{Email: "zed@example.com"}, m, "")
	if err == nil || !strings.Contains(err.Error(), "unknown recipient") {
		t.Errorf("unknown = %v", err)
	}
	// A 404 marks the conversation inactive; later sends fail fast.
	f.failConv = "conv-ana"
	if err := app2.Notify(context.Background(), bot.Recipient{Email: "ana@example.com"}, m, ""); err == nil || !strings.Contains(err.Error(), "no longer reachable") {
		t.Errorf("404 = %v", err)
	}
	f.mu.Lock()
	n := len(f.posted)
	f.mu.Unlock()
	f.failConv = ""
	if err := app2.Notify(context.Background(), bot.Recipient{Email: "ana@example.com"}, m, ""); err == nil {
		t.Error("an inactive conversation must not be retried")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.posted) != n {
		t.Error("a send went out to an inactive conversation")
	}
}

func TestGoldenAdaptiveCards(t *testing.T) {
	db := storagetest.Open(t)
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	d, _ := playbooks.New("")
	e.Drafter = d
	ctx := context.Background()
	u := bot.User{Email: "ana@example.com", Operator: true} // the goldens cover every account
	cases := map[string]any{}
	for name, cmd := range map[string]string{
		"overview": "account globex", "health": "account acme health", "renewal": "account soylent renewal",
		"expand": "account globex expand", "qbr": "account globex qbr", "top": "portfolio top", "help": "help", "error": "account nosuch",
	} {
		cases[name] = teams.Render(e.Handle(ctx, bot.Request{Text: cmd, Now: now, User: u}))
	}
	cases["dashboard"] = teams.Render(e.Dashboard(ctx, u, now))
	cases["form"] = teams.FormCard(e.HandleAction(ctx, bot.Action{ID: bot.ActionLogOutcome, Value: "acme"}).Form)
	for name, v := range cases {
		got, _ := json.MarshalIndent(v, "", "  ")
		path := filepath.Join("testdata", "golden", name+".json")
		if *update {
			os.MkdirAll(filepath.Dir(path), 0o755)
			os.WriteFile(path, append(got, '\n'), 0o644)
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./bot/teams -update)", err)
		}
		if string(want) != string(got)+"\n" {
			t.Errorf("%s differs from %s", name, path)
		}
		if len(got) > 28<<10 && name != "dashboard" {
			t.Errorf("%s: card of %d bytes", name, len(got))
		}
	}
}

func TestEscapeAndSplit(t *testing.T) {
	m := &bot.Message{Title: "[click](https://evil.example) *bold*", Blocks: []bot.Block{bot.Section{Text: "<at>everyone</at>"}}}
	js, _ := json.Marshal(teams.Render(m))
	if strings.Contains(string(js), "[click](") || strings.Contains(string(js), "<at>") {
		t.Errorf("not escaped: %s", js)
	}
	var items []bot.Item
	for range 600 {
		items = append(items, bot.Item{Text: strings.Repeat("x", 80)})
	}
	cards := teams.Render(&bot.Message{Title: "Long", Blocks: []bot.Block{bot.List{Items: items[:300]}, bot.List{Items: items[300:]}}})
	if len(cards) < 2 {
		t.Fatalf("a large message must split, got %d card(s)", len(cards))
	}
	for _, c := range cards {
		teams.RequireValidCard(t, "split card", c)
		if b, _ := json.Marshal(c); len(b) > 28<<10 {
			t.Errorf("card of %d bytes", len(b))
		}
	}
}

func TestEmptyAppIDRefusesToStart(t *testing.T) {
	if _, err := teams.New(teams.Config{AppPassword: "x"}, nil, nil, nil); err == nil {
		t.Error("an empty app id must refuse to start")
	}
}

func (f *botFramework) lastPath() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.posted) == 0 {
		return ""
	}
	return f.posted[len(f.posted)-1].path
}

func (f *botFramework) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.posted)
}
