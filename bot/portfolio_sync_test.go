package bot_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/storagetest"
)

type fakeSync struct {
	rows []bot.SyncSource
	err  error
}

func (f fakeSync) SyncSources(ctx context.Context) ([]bot.SyncSource, error) { return f.rows, f.err }

func TestPortfolioSync(t *testing.T) {
	last := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	rows := []bot.SyncSource{
		{Source: "hubspot", LastRun: last, NextRun: last.Add(15 * time.Minute), Read: 120, Changed: 7, Refused: 2,
			Cursor: `{"phase":"idle","since":1795424340613}`, WritesPending: 1},
		{Source: "salesforce", LastRun: last, LastError: "Salesforce refused the JWT bearer login"},
		{Source: "zendesk"},
		{Source: "stripe-webhook", LastRun: last, Read: 1, Changed: 1},
	}
	for _, tc := range []struct {
		name   string
		sync   bot.SyncStatus
		want   []string
		errors bool
	}{
		{"runs", fakeSync{rows: rows}, []string{
			"hubspot: last run 2026-11-23 09:00 UTC · read 120, changed 7, refused 2",
			"next run 2026-11-23 09:15 UTC · cursor {\"phase\":\"idle\",\"since\":1795424340613} · write-back 1 waiting, 0 given up",
			"salesforce: last run 2026-11-23 09:00 UTC", "last error: Salesforce refused the JWT bearer login",
			"stripe-webhook: last run", "Never run: zendesk"}, false},
		{"nothing ran", fakeSync{rows: []bot.SyncSource{{Source: "hubspot"}}}, []string{"No source has synced yet", "Never run: hubspot"}, false},
		{"not wired", nil, []string{"not available in this process; run `accountbot sync status`"}, false},
		{"store fails", fakeSync{err: errors.New("disk gone")}, []string{"went wrong"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := adminEngine(t)
			e.Sync = tc.sync
			m, d := ask(t, e, "portfolio sync", "admin@example.com")
			text := bot.RenderText(m)
			if m.Error != tc.errors {
				t.Fatalf("error = %v:\n%s", m.Error, text)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("lacks %q:\n%s", w, text)
				}
			}
			if !tc.errors && (d["sources"] == nil || d["idle"] == nil) {
				t.Errorf("data %v", d)
			}
		})
	}
}

// adminEngine is the test engine with admin@example.com an admin.
func adminEngine(t *testing.T) *bot.Engine {
	db := storagetest.Open(t)
	cfg := domain.DefaultConfig()
	cfg.Access.Admins = []string{"admin@example.com"}
	return bot.NewEngine(db, cfg, nil)
}

func TestPortfolioSyncIsAdminOnly(t *testing.T) {
	e := adminEngine(t)
	e.Sync = fakeSync{rows: []bot.SyncSource{{Source: "hubspot", LastError: "secret detail"}}}
	for _, who := range []string{"ana@example.com", "guest@partner.com"} {
		m, _ := ask(t, e, "portfolio sync", who)
		if text := bot.RenderText(m); !m.Error || !strings.Contains(text, "admin") || strings.Contains(text, "secret detail") {
			t.Errorf("portfolio sync as %q:\n%s", who, text)
		}
	}
	v, ok := e.Registry().Lookup("portfolio", "sync")
	if !ok {
		t.Fatal("portfolio sync is not registered")
	}
	if v.Access != domain.ScopeAdmin {
		t.Errorf("portfolio sync access = %q, want admin", v.Access)
	}
}
