package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
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

// TestSocketModeAcksOnceWithTheAnswer runs the app against a fake Socket
// Mode server: apps.connections.open hands out a local websocket, which
// sends hello and one slash-command envelope and collects the acks.
func TestSocketModeAcksOnceWithTheAnswer(t *testing.T) {
	var mu sync.Mutex
	var acks []map[string]any
	gotAck := make(chan struct{}, 4)
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/api/apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"url":"ws%s/ws"}`, strings.TrimPrefix(srv.URL, "http"))
	})
	mux.HandleFunc("/api/users.info", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true,"user":{"id":"U1","profile":{"email":"ana@example.com"}}}`)
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		c.WriteMessage(websocket.TextMessage, []byte(`{"type":"hello","num_connections":1,"debug_info":{"host":"test"},"connection_info":{"app_id":"A1"}}`))
		payload := `{"command":"/account","text":"globex renewal","user_id":"U1","channel_id":"C1","response_url":"http://127.0.0.1:1/none"}`
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
	app := &bs.App{Engine: bot.NewEngine(db, domain.DefaultConfig(), nil), API: client, Dedupe: db, HTTP: http.DefaultClient,
		Now: func() time.Time { return now }, Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.RunSocket(ctx, client) }()
	select {
	case <-gotAck:
	case <-time.After(10 * time.Second):
		t.Fatal("no ack")
	}
	time.Sleep(200 * time.Millisecond) // a second ack would arrive by now
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	if len(acks) != 1 || acks[0]["envelope_id"] != "env-1" {
		t.Fatalf("acks = %v", acks)
	}
	js, _ := json.Marshal(acks[0]["payload"])
	if !strings.Contains(string(js), "Globex Corporation — Tier 1 — renewal") {
		t.Errorf("ack payload = %.300s", js)
	}
}
