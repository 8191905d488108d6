package slack

import (
	"context"
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
		User: bot.User{Platform: "slack", Operator: true}})
	bs := Render(m, RenderOptions{})
	js := blocksJSON(t, bs[1:2]) // after the header
	if !strings.Contains(js, `"type":"section"`) || !strings.Contains(js, "⚠ data 12 days old (import file) — last changed 2026-11-20") {
		t.Fatalf("second block %s", js)
	}
}
