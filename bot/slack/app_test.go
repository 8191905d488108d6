package slack_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	bs "github.com/accountbot/accountbot/bot/slack"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/playbooks"
	"github.com/accountbot/accountbot/storage/storagetest"
)

var update = flag.Bool("update", false, "rewrite golden files")

var now = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

const secret = "test-signing-secret"

// fakeSlack is a local Slack Web API: form-encoded chat.postMessage,
// JSON views.*, {"ok":…} answers, 429s with Retry-After on demand.
type fakeSlack struct {
	*httptest.Server
	mu        sync.Mutex
	calls     map[string]int
	posts     []url.Values
	views     []map[string]any
	responses []map[string]any // posts to response_url
	rateLimit int              // chat.postMessage answers 429 this many times first
	badBlocks bool             // chat.postMessage with blocks answers invalid_blocks
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{calls: map[string]int{}}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeSlack) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	method := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/api/"), "/")
	f.calls[method]++
	w.Header().Set("Content-Type", "application/json")
	switch method {
	case "users.info":
		r.ParseForm()
		id := r.Form.Get("user")
		// U_GUEST is a single-channel guest; everyone is a member of T1.
		fmt.Fprintf(w, `{"ok":true,"user":{"id":%q,"team_id":"T1","name":"ana","is_restricted":%v,"profile":{"email":"Ana@Example.com"}}}`, id, id == "U_GUEST")
	case "users.lookupByEmail":
		r.ParseForm()
		fmt.Fprintf(w, `{"ok":true,"user":{"id":"U_%s"}}`, strings.ToUpper(strings.Split(r.Form.Get("email"), "@")[0]))
	case "chat.postMessage":
		r.ParseForm()
		if f.rateLimit > 0 {
			f.rateLimit--
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"ok":false,"error":"ratelimited"}`)
			return
		}
		if f.badBlocks && r.Form.Get("blocks") != "" {
			fmt.Fprint(w, `{"ok":false,"error":"invalid_blocks"}`)
			return
		}
		f.posts = append(f.posts, r.Form)
		fmt.Fprint(w, `{"ok":true,"channel":"D1","ts":"1.2"}`)
	case "conversations.open":
		r.ParseForm()
		fmt.Fprintf(w, `{"ok":true,"channel":{"id":"D_%s"}}`, r.Form.Get("users"))
	case "conversations.history":
		r.ParseForm()
		ch := strings.TrimPrefix(r.Form.Get("channel"), "D_")
		var msgs []string
		for _, p := range f.posts {
			if p.Get("channel") == ch {
				meta := p.Get("metadata")
				if meta == "" {
					meta = "{}"
				}
				b, _ := json.Marshal(p.Get("text"))
				msgs = append(msgs, fmt.Sprintf(`{"type":"message","text":%s,"metadata":%s}`, b, meta))
			}
		}
		fmt.Fprintf(w, `{"ok":true,"messages":[%s]}`, strings.Join(msgs, ","))
	case "views.publish", "views.open":
		var v map[string]any
		json.NewDecoder(r.Body).Decode(&v)
		v["method"] = method
		f.views = append(f.views, v)
		fmt.Fprint(w, `{"ok":true,"view":{"id":"V1"}}`)
	case "response":
		var v map[string]any
		json.NewDecoder(r.Body).Decode(&v)
		f.responses = append(f.responses, v)
	default:
		fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
	}
}

func (f *fakeSlack) count(method string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

type harness struct {
	app   *bs.App
	srv   *httptest.Server
	slack *fakeSlack
	db    *badger.DB
	clock *waitClock
}

// waitClock records the waits between retries instead of sleeping.
type waitClock struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (c *waitClock) Now() time.Time { return now }

func (c *waitClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	return ctx.Err()
}

func newHarness(t *testing.T, eng bs.Engine) *harness {
	t.Helper()
	db := storagetest.Open(t)
	if eng == nil {
		e := bot.NewEngine(db, domain.DefaultConfig(), nil)
		d, err := playbooks.New("")
		if err != nil {
			t.Fatal(err)
		}
		e.Drafter = d
		eng = e
	}
	fs := newFakeSlack(t)
	client := slack.New("xoxb-test", slack.OptionAPIURL(fs.URL+"/api/"), slack.OptionHTTPClient(&http.Client{Timeout: 5 * time.Second}))
	clock := &waitClock{}
	app := &bs.App{Engine: eng, API: client, Dedupe: db, HTTP: &http.Client{Timeout: 5 * time.Second}, Clock: clock,
		Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})), AckWait: 2 * time.Second}
	mux := http.NewServeMux()
	app.Routes(mux, &bs.Verifier{Secret: secret, Now: func() time.Time { return now }})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &harness{app: app, srv: srv, slack: fs, db: db, clock: clock}
}

// send posts a correctly signed request, as Slack does.
func (h *harness) send(t *testing.T, path, contentType, body string, extra map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(body))
	ts := fmt.Sprint(now.Unix())
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", sign(ts, body))
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func sign(ts, body string) string {
	return signWith(secret, ts, body)
}

func slashBody(h *harness, text string) string {
	v := url.Values{"token": {"x"}, "team_id": {"T1"}, "channel_id": {"C1"}, "channel_name": {"general"}, "user_id": {"U_ANA"},
		"user_name": {"ana"}, "command": {"/account"}, "text": {text}, "response_url": {h.slack.URL + "/response"}, "trigger_id": {"1.2.3"}}
	return v.Encode()
}

func decode(t *testing.T, r io.Reader) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.NewDecoder(r).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSignedSlashCommandEndToEnd(t *testing.T) {
	h := newHarness(t, nil)
	resp := h.send(t, "/slack/commands", "application/x-www-form-urlencoded", slashBody(h, "acme health"), nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	v := decode(t, resp.Body)
	js, _ := json.Marshal(v)
	if v["response_type"] != "ephemeral" || !strings.Contains(string(js), "Acme Analytics — Tier 1 — health") ||
		!strings.Contains(string(js), `"action_id":"share_in_channel"`) || strings.Contains(string(js), `"value":"account acme health"`) {
		t.Errorf("response = %s", js)
	}
	if h.slack.count("users.info") != 1 {
		t.Errorf("users.info calls = %d", h.slack.count("users.info"))
	}
	// The asker's e-mail (from users.info, cached) makes "my" portfolio.
	resp = h.send(t, "/slack/commands", "application/x-www-form-urlencoded", slashBody(h, "portfolio top"), nil)
	js, _ = json.Marshal(decode(t, resp.Body))
	if !strings.Contains(string(js), "ana@example.com") || h.slack.count("users.info") != 1 {
		t.Errorf("my portfolio = %s (users.info %d)", js, h.slack.count("users.info"))
	}
	// ssl_check is answered 200 and ignored.
	resp = h.send(t, "/slack/commands", "application/x-www-form-urlencoded", "ssl_check=1&token=x", nil)
	if resp.StatusCode != 200 {
		t.Errorf("ssl_check = %d", resp.StatusCode)
	}
	// A bad signature is a 401 and nothing is answered.
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/slack/commands", strings.NewReader(slashBody(h, "acme health")))
	req.Header.Set("X-Slack-Request-Timestamp", fmt.Sprint(now.Unix()))
	req.Header.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
	r2, _ := http.DefaultClient.Do(req)
	if r2.StatusCode != 401 {
		t.Errorf("bad signature = %d", r2.StatusCode)
	}
	r2.Body.Close()
}

// slowEngine delays every answer past the acknowledgement window.
type slowEngine struct {
	bs.Engine
	delay time.Duration
}

func (s slowEngine) Run(ctx context.Context, c *bot.Command) *bot.Message {
	time.Sleep(s.delay)
	return s.Engine.Run(ctx, c)
}

func TestSlowCommandAcksThenRepliesViaResponseURL(t *testing.T) {
	db := storagetest.Open(t)
	h := newHarness(t, slowEngine{Engine: bot.NewEngine(db, domain.DefaultConfig(), nil), delay: 300 * time.Millisecond})
	h.app.AckWait = 50 * time.Millisecond
	start := time.Now()
	resp := h.send(t, "/slack/commands", "application/x-www-form-urlencoded", slashBody(h, "globex"), nil)
	v := decode(t, resp.Body)
	if time.Since(start) > 250*time.Millisecond || !strings.Contains(v["text"].(string), "Working on it") {
		t.Fatalf("ack = %v after %s", v, time.Since(start))
	}
	h.app.Wait()
	h.slack.mu.Lock()
	defer h.slack.mu.Unlock()
	if len(h.slack.responses) != 1 || h.slack.responses[0]["replace_original"] != true || !strings.Contains(h.slack.responses[0]["text"].(string), "Globex Corporation") {
		t.Errorf("late reply = %v", h.slack.responses)
	}
}

func eventBody(id, typ string) string {
	return fmt.Sprintf(`{"token":"x","team_id":"T1","api_app_id":"A1","type":"event_callback","event_id":%q,"event_time":1,
"event":{"type":%q,"user":"U_ANA","channel":"D1","tab":"home","event_ts":"1.1"}}`, id, typ)
}

func TestRetriedEventHandledOnce(t *testing.T) {
	h := newHarness(t, nil)
	body := eventBody("Ev01", "app_home_opened")
	for i := range 3 {
		extra := map[string]string{}
		if i > 0 {
			extra["X-Slack-Retry-Num"] = fmt.Sprint(i)
			extra["X-Slack-Retry-Reason"] = "http_timeout"
		}
		if resp := h.send(t, "/slack/events", "application/json", body, extra); resp.StatusCode != 200 {
			t.Fatalf("delivery %d: %d", i, resp.StatusCode)
		}
	}
	h.app.Wait()
	if n := h.slack.count("views.publish"); n != 1 {
		t.Errorf("views.publish called %d times, want 1", n)
	}
	// The record is persistent: a new app on the same store still ignores it.
	if first, _ := h.db.FirstSeen(context.Background(), "slack", "Ev01", time.Hour); first {
		t.Error("event id not remembered")
	}
	h.slack.mu.Lock()
	view, _ := json.Marshal(h.slack.views[0])
	h.slack.mu.Unlock()
	if !strings.Contains(string(view), `"type":"home"`) || !strings.Contains(string(view), "Top 2 priority accounts — ana@example.com") {
		t.Errorf("home view = %.400s", view)
	}
}

func TestURLVerification(t *testing.T) {
	h := newHarness(t, nil)
	resp := h.send(t, "/slack/events", "application/json", `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`, nil)
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("challenge = %q", b)
	}
}

func TestRateLimitedPostIsRetriedAfterItsDelay(t *testing.T) {
	h := newHarness(t, nil)
	h.slack.rateLimit = 1
	m := &bot.Message{Title: "Nudge", Blocks: []bot.Block{bot.Section{Text: "hello"}}}
	if err := h.app.Notify(context.Background(), bot.Recipient{Email: "ana@example.com"}, m, "digest|ana|2026-11-23"); err != nil {
		t.Fatal(err)
	}
	if w := h.clock.waits; len(w) != 1 || w[0] != time.Second {
		t.Errorf("waits = %v, want the 1 s of Retry-After", w)
	}
	h.slack.mu.Lock()
	defer h.slack.mu.Unlock()
	if h.slack.calls["chat.postMessage"] != 2 || len(h.slack.posts) != 1 || h.slack.posts[0].Get("channel") != "U_ANA" ||
		!strings.Contains(h.slack.posts[0].Get("metadata"), "digest|ana|2026-11-23") {
		t.Errorf("posts = %v calls = %v", h.slack.posts, h.slack.calls)
	}
}

func TestInvalidBlocksFallBackToText(t *testing.T) {
	h := newHarness(t, nil)
	h.slack.badBlocks = true
	m := &bot.Message{Title: "Renewal reminder", Blocks: []bot.Block{bot.Section{Text: "Acme renews in 90 days"}}}
	if err := h.app.Notify(context.Background(), bot.Recipient{Channel: "C1"}, m, ""); err != nil {
		t.Fatal(err)
	}
	h.slack.mu.Lock()
	defer h.slack.mu.Unlock()
	if len(h.slack.posts) != 1 || h.slack.posts[0].Get("blocks") != "" || !strings.Contains(h.slack.posts[0].Get("text"), "Acme renews in 90 days") {
		t.Errorf("fallback post = %v", h.slack.posts)
	}
}

func interaction(t *testing.T, h *harness, payload string) {
	t.Helper()
	body := url.Values{"payload": {payload}}.Encode()
	if resp := h.send(t, "/slack/interactivity", "application/x-www-form-urlencoded", body, nil); resp.StatusCode != 200 {
		t.Fatalf("interaction status %d", resp.StatusCode)
	}
	h.app.Wait()
}

func TestButtonsModalAndShare(t *testing.T) {
	h := newHarness(t, nil)
	ru := h.slack.URL + "/response"
	interaction(t, h, fmt.Sprintf(`{"type":"block_actions","user":{"id":"U_ANA","name":"ana"},"trigger_id":"1.2","response_url":%q,
"actions":[{"action_id":"draft_qbr","block_id":"b1","value":"globex","type":"button","action_ts":"1.1"}]}`, ru))
	interaction(t, h, `{"type":"block_actions","user":{"id":"U_ANA","name":"ana"},"trigger_id":"1.2",
"actions":[{"action_id":"log_outcome","block_id":"b1","value":"globex","type":"button","action_ts":"1.1"}]}`)
	interaction(t, h, `{"type":"view_submission","user":{"id":"U_ANA","name":"ana"},"view":{"callback_id":"log_outcome_submit","private_metadata":"globex",
"state":{"values":{"result":{"result":{"type":"static_select","selected_option":{"value":"won"}}},"motion":{"motion":{"type":"static_select","selected_option":{"value":"seats"}}},
"arr":{"arr":{"type":"number_input","value":"36000"}},"note":{"note":{"type":"plain_text_input","value":"signed"}}}}}}`)
	h.slack.mu.Lock()
	defer h.slack.mu.Unlock()
	if len(h.slack.responses) != 1 || !strings.Contains(h.slack.responses[0]["text"].(string), "QBR talking points") {
		t.Errorf("responses = %v", h.slack.responses)
	}
	if len(h.slack.views) != 1 || h.slack.views[0]["method"] != "views.open" {
		t.Fatalf("views = %v", h.slack.views)
	}
	outs, _ := h.db.Outcomes(context.Background(), domain.DateOf(now), domain.DateOf(now))
	if len(outs) != 1 || outs[0].Result != domain.Won || outs[0].Motion != domain.MotionSeats || outs[0].ARR != 36_000_00 || outs[0].By != "ana@example.com" {
		t.Errorf("outcomes = %+v", outs)
	}
	if len(h.slack.posts) != 1 || h.slack.posts[0].Get("channel") != "U_ANA" || !strings.Contains(h.slack.posts[0].Get("text"), "outcome logged") {
		t.Errorf("submission reply = %v", h.slack.posts)
	}
}

func TestMentionAnswersInThread(t *testing.T) {
	h := newHarness(t, nil)
	body := `{"type":"event_callback","event_id":"Ev9","event":{"type":"app_mention","user":"U_ANA","channel":"C1","text":"<@UBOT> acme renewal","ts":"5.5"}}`
	h.send(t, "/slack/events", "application/json", body, nil)
	h.app.Wait()
	h.slack.mu.Lock()
	defer h.slack.mu.Unlock()
	if len(h.slack.posts) != 1 || h.slack.posts[0].Get("thread_ts") != "5.5" || !strings.Contains(h.slack.posts[0].Get("text"), "Acme Analytics — Tier 1 — renewal") {
		t.Errorf("mention reply = %v", h.slack.posts)
	}
}

// TestGoldenBlockKit pins the Block Kit JSON of every reply type, App Home
// and the outcome modal.
func TestGoldenBlockKit(t *testing.T) {
	db := storagetest.Open(t)
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	d, _ := playbooks.New("")
	e.Drafter = d
	ctx := context.Background()
	u := bot.User{Email: "ana@example.com", Operator: true} // the goldens cover every account
	cases := map[string]any{}
	for name, cmd := range map[string]string{
		"overview": "account globex", "health": "account acme health", "tier": "account initech tier", "renewal": "account soylent renewal",
		"expand": "account globex expand", "roi": "account acme roi", "qbr": "account globex qbr", "map": "account acme map",
		"objection": "account initech objection budget", "note": "account hooli note Met Gavin", "trend": "account acme trend",
		"top": "portfolio top", "renewals": "portfolio renewals for all", "allocation": "portfolio allocation", "nrr": "portfolio nrr",
		"tiers": "portfolio tiers", "owners": "portfolio owners", "help": "help", "error": "account nosuch",
	} {
		m := e.Handle(ctx, bot.Request{Text: cmd, Now: now, User: u})
		cases[name] = bs.Render(m, bs.RenderOptions{Charts: true, Share: cmd})
	}
	cases["app_home"] = bs.Render(e.Dashboard(ctx, u, now), bs.RenderOptions{MaxBlocks: 100, Charts: true})
	cases["modal"] = bs.Modal(e.HandleAction(ctx, bot.Action{ID: bot.ActionLogOutcome, Value: "acme"}).Form)
	for name, v := range cases {
		got, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join("testdata", "golden", name+".json")
		if *update {
			os.MkdirAll(filepath.Dir(path), 0o755)
			os.WriteFile(path, append(got, '\n'), 0o644)
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./bot/slack -update)", err)
		}
		if string(want) != string(got)+"\n" {
			t.Errorf("%s differs from %s; rerun with -update after checking the change", name, path)
		}
		// Every golden must also satisfy Slack's documented limits.
		var blocks []slack.Block
		switch b := v.(type) {
		case []slack.Block:
			blocks = b
		}
		max := 50
		if name == "app_home" {
			max = 100
		}
		if len(blocks) > max {
			t.Errorf("%s: %d blocks", name, len(blocks))
		}
	}
}

// TestNudgesAsUsersReceiveThem runs the scheduler with the Slack app as
// its notifier against the fake Slack.
func TestNudgesAsUsersReceiveThem(t *testing.T) {
	h := newHarness(t, nil)
	e := bot.NewEngine(h.db, domain.DefaultConfig(), nil)
	cfg := nudge.DefaultConfig()
	cfg.PerSecond, cfg.Burst = 1000, 100
	s, err := nudge.New(cfg, e.Rules(), h.db, h.app, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	rep, err := s.Tick(context.Background(), at)
	if err != nil || rep.Sent == 0 || rep.Failed != 0 {
		t.Fatalf("tick = %+v %v", rep, err)
	}
	h.slack.mu.Lock()
	var digest, renewal url.Values
	for _, p := range h.slack.posts {
		switch {
		case p.Get("channel") == "U_ANA" && strings.Contains(p.Get("text"), "Your top"):
			digest = p
		case p.Get("channel") == "#renewals":
			renewal = p
		}
	}
	h.slack.mu.Unlock()
	if digest == nil || !strings.Contains(digest.Get("blocks"), "Globex Corporation") || !strings.Contains(digest.Get("metadata"), "digest|2026-11-23|ana@example.com") {
		t.Errorf("ana's digest = %v", digest)
	}
	if renewal == nil || !strings.Contains(renewal.Get("text"), "Renewal in 30 days: Soylent Foods") || !strings.Contains(renewal.Get("blocks"), "draft_renewal") {
		t.Errorf("renewal post = %v", renewal)
	}
	// The dedupe key can be found again in the DM's history.
	ok, err := h.app.Delivered(context.Background(), bot.Recipient{Email: "ana@example.com"}, "digest|2026-11-23|ana@example.com")
	if err != nil || !ok {
		t.Errorf("Delivered = %v %v", ok, err)
	}
	ok, _ = h.app.Delivered(context.Background(), bot.Recipient{Email: "ana@example.com"}, "digest|2026-11-24|ana@example.com")
	if ok {
		t.Error("an unsent key must not be found")
	}
	// A second tick sends nothing again.
	if rep, _ := s.Tick(context.Background(), at.Add(time.Minute)); rep.Sent != 0 {
		t.Errorf("second tick sent %d", rep.Sent)
	}
}

// polishing pretends an LLM is configured, so drafts count as slow.
type polishing struct{ *playbooks.Drafter }

func (polishing) Polishing() bool { return true }

func TestDraftsShowPlaceholderAtOnceWithLLM(t *testing.T) {
	db := storagetest.Open(t)
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	d, _ := playbooks.New("")
	e.Drafter = polishing{d}
	h := newHarness(t, e)
	h.app.AckWait = time.Hour // only the LLM rule can make it answer early
	resp := h.send(t, "/slack/commands", "application/x-www-form-urlencoded", slashBody(h, "globex qbr"), nil)
	if v := decode(t, resp.Body); !strings.Contains(v["text"].(string), "Working on it") {
		t.Fatalf("ack = %v", v)
	}
	h.app.Wait()
	h.slack.mu.Lock()
	defer h.slack.mu.Unlock()
	if len(h.slack.responses) != 1 || !strings.Contains(h.slack.responses[0]["text"].(string), "QBR talking points") {
		t.Errorf("draft = %v", h.slack.responses)
	}
	slow := func(text string) bool { return e.Prepare(bot.Request{Text: text}).Slow() }
	if !slow("account globex expand draft") || slow("account globex health") || slow("portfolio top") || !slow("account globex renewal DRAFT") {
		t.Error("Slow misclassifies commands")
	}
}
