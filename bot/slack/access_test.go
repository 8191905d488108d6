package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"

	"github.com/accountbot/accountbot/bot"
	bs "github.com/accountbot/accountbot/bot/slack"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/storagetest"
)

// boundHarness is the real app behind the real verifier and a binder for
// workspace T1 and app A1, auditing into memory.
func boundHarness(t *testing.T) (*harness, *[]domain.AuditEntry) {
	h := newHarness(t, nil)
	var mu sync.Mutex
	var audited []domain.AuditEntry
	h.app.Binder = bs.NewBinder(bs.BindingConfig{TeamIDs: []string{"T1"}, APIAppIDs: []string{"A1"}}, nil, nil)
	h.app.Audit = func(_ context.Context, e domain.AuditEntry) {
		mu.Lock()
		audited = append(audited, e)
		mu.Unlock()
	}
	return h, &audited
}

func boundSlash(h *harness, team, enterprise, app, user, text, trigger string) string {
	v := url.Values{"token": {"x"}, "team_id": {team}, "channel_id": {"C1"}, "user_id": {user}, "user_name": {"ana"},
		"command": {"/account"}, "text": {text}, "response_url": {h.slack.URL + "/response"}, "trigger_id": {trigger}, "api_app_id": {app}}
	if enterprise != "" {
		v.Set("enterprise_id", enterprise)
	}
	return v.Encode()
}

const form = "application/x-www-form-urlencoded"

// A correctly signed command from another workspace, org or app gets the
// generic answer; the engine never runs (no users.info) and it is audited.
func TestAppRefusesForeignSources(t *testing.T) {
	for name, body := range map[string]func(h *harness) string{
		"foreign team_id":       func(h *harness) string { return boundSlash(h, "T666", "", "A1", "U_ANA", "acme health", "1") },
		"foreign enterprise_id": func(h *harness) string { return boundSlash(h, "T666", "E666", "A1", "U_ANA", "acme health", "1") },
		"foreign api_app_id":    func(h *harness) string { return boundSlash(h, "T1", "", "A666", "U_ANA", "acme health", "1") },
	} {
		t.Run(name, func(t *testing.T) {
			h, audited := boundHarness(t)
			resp := h.send(t, "/slack/commands", form, body(h), nil)
			v := decode(t, resp.Body)
			h.app.Wait()
			if v["text"] != bs.NotInstalledText || v["blocks"] != nil {
				t.Fatalf("answer = %v", v)
			}
			if h.slack.count("users.info") != 0 {
				t.Fatal("the engine ran for a foreign request")
			}
			if len(*audited) != 1 || (*audited)[0].Result != domain.AuditRefused {
				t.Fatalf("audit = %+v", *audited)
			}
		})
	}
}

// A replayed signed command (same trigger_id, inside the 5-minute window)
// writes one outcome.
func TestReplayedSlashWritesOnce(t *testing.T) {
	h, _ := boundHarness(t)
	body := boundSlash(h, "T1", "", "A1", "U_ANA", "acme outcome won", "398738663015.47445629121")
	var texts []string
	for range 2 {
		js, _ := json.Marshal(decode(t, h.send(t, "/slack/commands", form, body, nil).Body))
		texts = append(texts, string(js))
	}
	h.app.Wait()
	if n := countOutcomes(t, h); n != 1 {
		t.Fatalf("%d outcomes after a replay; want 1", n)
	}
	if !strings.Contains(texts[1], "Already recorded") {
		t.Errorf("replay answered %s", texts[1])
	}
}

func countOutcomes(t *testing.T, h *harness) int {
	t.Helper()
	os, err := h.db.Outcomes(context.Background(), domain.DateOf(now).AddDays(-1), domain.DateOf(now).AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, o := range os {
		if o.AccountID == "acme" && o.Date == domain.DateOf(now) {
			n++
		}
	}
	return n
}

// Two clicks on the outcome modal's Save: one outcome.
func TestDoubleSubmitWritesOnce(t *testing.T) {
	h, _ := boundHarness(t)
	for i := range 2 {
		p := fmt.Sprintf(`{"type":"view_submission","team":{"id":"T1"},"user":{"id":"U_ANA","team_id":"T1"},"api_app_id":"A1",
"trigger_id":"%d.1","view":{"id":"V0SAVE","team_id":"T1","callback_id":"log_outcome_submit","private_metadata":"acme",
"state":{"values":{"b1":{"result":{"type":"static_select","selected_option":{"value":"won"}}},"b2":{"motion":{"type":"static_select","selected_option":{"value":"-"}}}}}}}`, i)
		h.send(t, "/slack/interactivity", form, url.Values{"payload": {p}}.Encode(), nil)
		h.app.Wait()
	}
	if n := countOutcomes(t, h); n != 1 {
		t.Fatalf("%d outcomes after a double submit; want 1", n)
	}
}

// A guest of the home workspace gets help and nothing else.
func TestGuestGetsOnlyHelp(t *testing.T) {
	h, _ := boundHarness(t)
	js, _ := json.Marshal(decode(t, h.send(t, "/slack/commands", form, boundSlash(h, "T1", "", "A1", "U_GUEST", "portfolio top", "1"), nil).Body))
	if !strings.Contains(string(js), "only help you with") || strings.Contains(string(js), "Acme") {
		t.Errorf("guest's portfolio top = %s", js)
	}
	js, _ = json.Marshal(decode(t, h.send(t, "/slack/commands", form, boundSlash(h, "T1", "", "A1", "U_GUEST", "help", "2"), nil).Body))
	if !strings.Contains(string(js), "AccountBot commands") {
		t.Errorf("guest's help = %s", js)
	}
	// The home member sees her book.
	js, _ = json.Marshal(decode(t, h.send(t, "/slack/commands", form, boundSlash(h, "T1", "", "A1", "U_ANA", "acme health", "3"), nil).Body))
	if !strings.Contains(string(js), "Acme Analytics") {
		t.Errorf("member's account = %s", js)
	}
}

// Socket Mode: a slash command from another workspace is acked with the
// generic answer before the engine runs, and audited.
func TestSocketModeRefusesForeignWorkspace(t *testing.T) {
	var mu sync.Mutex
	var acks []map[string]any
	gotAck := make(chan struct{}, 4)
	infos := 0
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"url":"ws%s/ws"}`, strings.TrimPrefix(srv.URL, "http"))
	})
	mux.HandleFunc("/api/users.info", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		infos++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true,"user":{"id":"U1","team_id":"T666","profile":{"email":"ana@example.com"}}}`)
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","num_connections":1,"debug_info":{"host":"test"},"connection_info":{"app_id":"A1"}}`))
		payload := `{"command":"/account","text":"globex renewal","user_id":"U1","team_id":"T666","api_app_id":"A1","channel_id":"C1","response_url":"http://127.0.0.1:1/none"}`
		c.WriteMessage(websocket.TextMessage, []byte(`{"envelope_id":"env-1","type":"slash_commands","accepts_response_payload":true,"payload":`+payload+`}`))
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			var v map[string]any
			json.Unmarshal(msg, &v)
			mu.Lock()
			acks = append(acks, v)
			mu.Unlock()
			gotAck <- struct{}{}
		}
	})
	srv = httptest.NewServer(mux)
	defer srv.Close()

	db := storagetest.Open(t)
	client := slack.New("xoxb-test", slack.OptionAppLevelToken("xapp-test"), slack.OptionAPIURL(srv.URL+"/api/"))
	var audited []domain.AuditEntry
	app := &bs.App{Engine: bot.NewEngine(db, domain.DefaultConfig(), nil), API: client, Dedupe: db, HTTP: http.DefaultClient,
		Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler),
		Binder: bs.NewBinder(bs.BindingConfig{TeamIDs: []string{"T1"}}, nil, nil),
		Audit: func(_ context.Context, e domain.AuditEntry) {
			mu.Lock()
			audited = append(audited, e)
			mu.Unlock()
		}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.RunSocket(ctx, client) }()
	select {
	case <-gotAck:
	case <-time.After(10 * time.Second):
		t.Fatal("no ack")
	}
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done
	app.Wait()
	mu.Lock()
	defer mu.Unlock()
	js, _ := json.Marshal(acks)
	if len(acks) != 1 || !strings.Contains(string(js), bs.NotInstalledText) || strings.Contains(string(js), "Globex") {
		t.Fatalf("acks = %s", js)
	}
	if infos != 0 || len(audited) != 1 || audited[0].Reason != "foreign workspace" {
		t.Fatalf("users.info %d, audit %+v", infos, audited)
	}
}
