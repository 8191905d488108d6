package slack

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/slack-go/slack"

	"github.com/accountbot/accountbot/bot"
)

// TestDeliveredResolvesChannelNames: conversations.history takes ids only,
// so a nudge posted to "#renewals" is checked in the channel's id.
func TestDeliveredResolvesChannelNames(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		var out any
		switch r.URL.Path {
		case "/api/conversations.list":
			out = map[string]any{"ok": true, "channels": []map[string]any{{"id": "C0GENERAL", "name": "general"}, {"id": "C0RENEWALS", "name": "renewals"}}}
		case "/api/conversations.history":
			if r.Form.Get("channel") != "C0RENEWALS" || r.Form.Get("include_all_metadata") != "1" {
				out = map[string]any{"ok": false, "error": "channel_not_found"}
				break
			}
			out = map[string]any{"ok": true, "messages": []map[string]any{{"type": "message", "ts": "1.1",
				"metadata": map[string]any{"event_type": nudgeEvent, "event_payload": map[string]any{"dedupe_key": "renewal|a|90"}}}}}
		default:
			out = map[string]any{"ok": false, "error": "unknown_method"}
		}
		json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()
	a := &App{API: slack.New("xoxb-test", slack.OptionAPIURL(srv.URL+"/api/")), Log: slog.New(slog.DiscardHandler)}
	for _, tc := range []struct {
		to   string
		key  string
		want bool
	}{
		{"#renewals", "renewal|a|90", true},
		{"renewals", "renewal|a|90", true},
		{"C0RENEWALS", "renewal|a|90", true},
		{"#renewals", "renewal|b|90", false},
	} {
		got, err := a.Delivered(context.Background(), bot.Recipient{Channel: tc.to}, tc.key)
		if err != nil || got != tc.want {
			t.Errorf("Delivered(%s, %s) = %v %v, want %v", tc.to, tc.key, got, err, tc.want)
		}
	}
	if _, err := a.Delivered(context.Background(), bot.Recipient{Channel: "#nowhere"}, "k"); err == nil {
		t.Error("an unknown channel name was not reported")
	}
}

// An "ok" conversations.open without a channel (a proxy, a fake, an API
// change) is an error to retry, not a nil channel to dereference: it
// crashed serve's scheduler while settling an interrupted DM nudge.
func TestDeliveredDMWithoutAChannel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/api/users.lookupByEmail":
			json.NewEncoder(w).Encode(map[string]any{"ok": true, "user": map[string]any{"id": "U1"}})
		default:
			json.NewEncoder(w).Encode(map[string]any{"ok": true})
		}
	}))
	defer srv.Close()
	a := &App{API: slack.New("xoxb-test", slack.OptionAPIURL(srv.URL+"/api/")), Log: slog.New(slog.DiscardHandler)}
	if _, err := a.Delivered(context.Background(), bot.Recipient{Email: "ana@example.com"}, "digest|2026-11-23|ana@example.com"); err == nil {
		t.Error("a DM that could not be opened was not reported")
	}
}
