package teams_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/storage/storagetest"
)

// TestOversizedMessageArrivesInActivitiesTeamsAccepts sends a message with
// one 60 KB text (a long imported note in a draft) through the real
// posting path: every activity the connector receives is under Teams'
// limits, carries a schema-valid card, and the text arrives, continued,
// instead of the whole answer being refused.
func TestOversizedMessageArrivesInActivitiesTeamsAccepts(t *testing.T) {
	f := newBotFramework(t)
	db := storagetest.Open(t)
	app := newApp(t, f, db)
	send(t, app, "Bearer "+f.token(t, jwt.SigningMethodRS256, f.key, nil), activityJSON(f, "help", nil))
	f.mu.Lock()
	before := len(f.posted)
	f.mu.Unlock()
	note := strings.Repeat("Imported note line with <at>everyone</at> and {{DATE(2017-02-14T06:08:39Z, SHORT)}}.\n", 700) // ~60 KB
	m := &bot.Message{Title: "Talk track for Globex", Blocks: []bot.Block{bot.Section{Text: note}, bot.Context{Text: "Drafted from your book."}}}
	if err := app.Notify(context.Background(), bot.Recipient{Email: "ana@example.com"}, m, ""); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	got := f.posted[before:]
	f.mu.Unlock()
	if len(got) < 3 {
		t.Fatalf("a 60 KB text went out in %d activities", len(got))
	}
	var text strings.Builder
	for i, p := range got {
		act, _ := json.Marshal(p.body)
		card := cardOf(t, p)
		c, _ := json.Marshal(card)
		if len(act) >= 100<<10 || len(c) > 28<<10 {
			t.Errorf("activity %d: %d bytes, card %d bytes", i, len(act), len(c))
		}
		text.Write(c)
	}
	if !strings.Contains(text.String(), "Drafted from your book.") || strings.Contains(text.String(), "{{DATE") {
		t.Errorf("the end of the message is missing or a template survived")
	}
}
