package teams

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/storagetest"
)

// A card whose data is older than stale_after opens with the flag.
func TestStaleCardOpensWithTheFlag(t *testing.T) {
	e := bot.NewEngine(storagetest.Open(t), domain.DefaultConfig(), nil)
	m := e.Handle(context.Background(), bot.Request{Text: "account acme health", Now: storagetest.SeedAt.AddDate(0, 0, 12),
		User: bot.User{Platform: "teams", Operator: true}})
	cards := Render(m)
	b, err := json.Marshal(cards[0])
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	flag := strings.Index(js, "⚠ data 12 days old (import file) — last changed 2026-11-20")
	if flag < 0 || flag > strings.Index(js, "Engagement") {
		t.Fatalf("the stale flag is missing or not before the scores: %s", js)
	}
}
