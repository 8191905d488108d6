package bot_test

import (
	"context"
	"github.com/accountbot/accountbot/storage/badger"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/storagetest"
)

// twoVersions records v1 (the defaults) and v2 (more whitespace points).
func twoVersions(t *testing.T, db *badger.DB) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.AddRulesVersion(ctx, domain.RulesVersion{By: "config file", At: now.AddDate(0, 0, -30), Note: "first start", Rules: domain.DefaultConfig()}, nil); err != nil {
		t.Fatal(err)
	}
	v2 := domain.DefaultConfig()
	v2.Health.WhitespacePoints = 15
	if _, err := db.AddRulesVersion(ctx, domain.RulesVersion{By: "ana@example.com", At: now, Note: "secret reasoning", Rules: v2}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestPortfolioRules(t *testing.T) {
	for _, tc := range []struct {
		name     string
		versions bool
		wire     bool
		want     []string
	}{
		{"current version", true, true, []string{"Scoring rules v2", "Applied 2026-11-23 09:00 UTC by ana@example.com: “secret reasoning”",
			"Changed from v1", "health.whitespace_points 10 → 15"}},
		{"none recorded", false, true, []string{"No rules version is recorded yet"}},
		{"not wired", true, false, []string{"not available in this process"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := storagetest.Open(t)
			if tc.versions {
				twoVersions(t, db)
			}
			cfg := domain.DefaultConfig()
			cfg.Access.Admins = []string{"admin@example.com"}
			e := bot.NewEngine(db, cfg, nil)
			if tc.wire {
				e.RulesLog = db
			}
			m, d := ask(t, e, "portfolio rules", "admin@example.com")
			text := bot.RenderText(m)
			if m.Error {
				t.Fatalf("error:\n%s", text)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q:\n%s", w, text)
				}
			}
			if _, ok := d["changes"]; !ok {
				t.Errorf("data %v", d)
			}
		})
	}
}

func TestPortfolioRulesIsAdminOnly(t *testing.T) {
	db := storagetest.Open(t)
	twoVersions(t, db)
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	e.RulesLog = db
	for _, who := range []string{"ana@example.com", "guest@partner.com"} {
		m, _ := ask(t, e, "portfolio rules", who)
		if text := bot.RenderText(m); !m.Error || !strings.Contains(text, "admin") || strings.Contains(text, "secret reasoning") {
			t.Errorf("portfolio rules as %q:\n%s", who, text)
		}
	}
	if v, ok := e.Registry().Lookup("portfolio", "rules"); !ok || v.Access != domain.ScopeAdmin {
		t.Errorf("portfolio rules: registered %v, access %q", ok, v.Access)
	}
}

// A trend drawn from stored scores marks where the rules version changed;
// a new version put in force drops the cached trend.
func TestTrendMarksRulesChanges(t *testing.T) {
	e, db := newEngine(t)
	ctx := context.Background()
	today := domain.DateOf(now)
	var scores []domain.Scored
	for k := 11; k >= 0; k-- {
		v := 1
		if k < 4 {
			v = 2
		}
		scores = append(scores, domain.Scored{ID: "acme", Snapshot: domain.ScoreSnapshot{Date: today.AddDays(-7 * k), Combined: 20 - k, RulesVersion: v}})
	}
	if err := db.PutScores(ctx, scores); err != nil {
		t.Fatal(err)
	}
	m, d := ask(t, e, "account acme trend", "")
	text := bot.RenderText(m)
	changed := today.AddDays(-21).String()
	if !strings.Contains(text, changed+": 17  ← scoring rules v2 from here") || !strings.Contains(text, "The scoring rules changed on "+changed+" (v1 → v2)") {
		t.Errorf("trend:\n%s", text)
	}
	marks, _ := d["rules_changes"].([]any)
	if len(marks) != 1 || marks[0].(map[string]any)["rules_version"] != 2.0 {
		t.Errorf("rules_changes = %v", d["rules_changes"])
	}
	// Rules put in force while serving: the cached trend is recomputed.
	if err := db.PutScores(ctx, []domain.Scored{{ID: "acme", Snapshot: domain.ScoreSnapshot{Date: today, Combined: 30, RulesVersion: 3}}}); err != nil {
		t.Fatal(err)
	}
	e.SetRules(domain.DefaultConfig())
	if _, d := ask(t, e, "account acme trend", ""); len(d["rules_changes"].([]any)) != 2 {
		t.Errorf("after SetRules: %v", d["rules_changes"])
	}
}
