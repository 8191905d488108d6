package bot_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// The example book was imported at storagetest.SeedAt (2026-11-20 08:00
// UTC), three days before now.
func TestCardsSayWhenTheirDataChanged(t *testing.T) {
	e, _ := newEngine(t)
	tests := []struct {
		name      string
		cmd       string
		at        time.Time
		wantLine  string
		wantStale bool
		wantDays  float64
	}{
		{"overview, fresh", "account acme", now, "Data as of 2026-11-20 08:00 UTC (import file)", false, 3},
		{"health, fresh", "account acme health", now, "Data as of 2026-11-20 08:00 UTC (import file)", false, 3},
		{"renewal, stale", "account acme renewal", now.AddDate(0, 0, 9), "⚠ data 12 days old (import file) — last changed 2026-11-20", true, 12},
		{"qbr draft, stale", "account globex qbr", now.AddDate(0, 0, 9), "⚠ data 12 days old (import file) — last changed 2026-11-20", true, 12},
		{"map, fresh", "account acme map", now, "Data as of 2026-11-20 08:00 UTC (import file)", false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := e.Handle(context.Background(), bot.Request{Text: tt.cmd, Now: tt.at, User: bot.User{Platform: "test", Operator: true}})
			if m.Error {
				t.Fatalf("%s: %s", tt.cmd, bot.RenderText(m))
			}
			text := bot.RenderText(m)
			if !strings.Contains(text, tt.wantLine) {
				t.Fatalf("%s: no %q in\n%s", tt.cmd, tt.wantLine, text)
			}
			if tt.wantStale && !strings.Contains(strings.SplitN(text, "\n", 4)[2], "⚠ data") {
				t.Errorf("%s: the stale flag is not the card's first line:\n%s", tt.cmd, text)
			}
			data := jsonOf(t, m)
			asOf, _ := data["data_as_of"].(map[string]any)
			if asOf == nil || asOf["source"] != "import" || asOf["stale"] != tt.wantStale || asOf["age_days"] != tt.wantDays ||
				asOf["changed_at"] != "2026-11-20T08:00:00Z" {
				t.Fatalf("%s: data_as_of = %v", tt.cmd, data["data_as_of"])
			}
		})
	}
}

func TestStaleAfterComesFromConfig(t *testing.T) {
	e, _ := newEngine(t)
	cfg := e.Rules()
	cfg.StaleAfterDays = 2
	e.SetRules(cfg)
	m := e.Handle(context.Background(), bot.Request{Text: "account acme health", Now: now, User: bot.User{Platform: "test", Operator: true}})
	if text := bot.RenderText(m); !strings.Contains(text, "⚠ data 3 days old (import file)") {
		t.Fatalf("stale_after_days 2 did not flag 3-day-old data:\n%s", text)
	}
}

func TestPortfolioTopFlagsStaleRows(t *testing.T) {
	e, _ := newEngine(t)
	for _, tt := range []struct {
		at    time.Time
		stale bool
	}{{now, false}, {now.AddDate(0, 0, 9), true}} {
		m := e.Handle(context.Background(), bot.Request{Text: "portfolio top", Now: tt.at, User: bot.User{Platform: "test", Operator: true}})
		text := bot.RenderText(m)
		if got := strings.Contains(text, "⚠ data 12 days old (import file)"); got != tt.stale {
			t.Fatalf("at %s: stale flag shown %v, want %v:\n%s", tt.at, got, tt.stale, text)
		}
		rows, _ := jsonOf(t, m)["accounts"].([]any)
		if len(rows) == 0 {
			t.Fatal("no rows")
		}
		for _, r := range rows {
			asOf, _ := r.(map[string]any)["data_as_of"].(map[string]any)
			if asOf == nil || asOf["stale"] != tt.stale || asOf["source"] != "import" {
				t.Fatalf("row data_as_of = %v, want stale %v", asOf, tt.stale)
			}
		}
	}
}

func TestChatWritesStampTheAccount(t *testing.T) {
	e, db := newEngine(t)
	for _, tt := range []struct{ platform, want string }{{"slack", domain.SourceChat}, {"console", domain.SourceConsole}} {
		at := now.Add(time.Hour)
		m := e.Handle(context.Background(), bot.Request{Text: "account acme note met the CFO via " + tt.platform, Now: at,
			User: bot.User{Platform: tt.platform, Operator: true}})
		if m.Error {
			t.Fatal(bot.RenderText(m))
		}
		if strings.Contains(bot.RenderText(m), "Data as of") {
			t.Errorf("a write's confirmation is not a card:\n%s", bot.RenderText(m))
		}
		a, err := db.Account(context.Background(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		if !a.DataChangedAt.Equal(at) || a.DataSource != tt.want {
			t.Fatalf("%s note: stamp %v %q, want %v %q", tt.platform, a.DataChangedAt, a.DataSource, at, tt.want)
		}
	}
}

func jsonOf(t *testing.T, m *bot.Message) map[string]any {
	t.Helper()
	b, err := json.Marshal(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
