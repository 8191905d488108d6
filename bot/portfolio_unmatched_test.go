package bot_test

import (
	"context"
	"github.com/accountbot/accountbot/storage/badger"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

func TestPortfolioUnmatchedListsTheReviewList(t *testing.T) {
	e := adminEngine(t)
	db := e.Store.(*badger.DB)
	m, d := ask(t, e, "portfolio unmatched", "admin@example.com")
	if text := bot.RenderText(m); m.Error || !strings.Contains(text, "Nothing to review") {
		t.Fatalf("empty list:\n%s", text)
	}
	if recs, ok := d["records"].([]any); !ok || len(recs) != 0 {
		t.Fatalf("empty list data = %v, want records: []", d)
	}
	ctx := context.Background()
	recs := []domain.UnmatchedRecord{
		{Source: "segment", ExternalID: "grp_123", Kind: "group", Sample: `{"type":"group","groupId":"grp_123"}`},
		{Source: "hubspot", ExternalID: "9001", Kind: "sync", Sample: "Initrode \x1b[31mLLC\u202e"},
	}
	for _, r := range recs {
		for range 2 {
			if err := db.AddUnmatched(ctx, r, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	m, d = ask(t, e, "portfolio unmatched", "admin@example.com")
	text := bot.RenderText(m)
	for _, w := range []string{"Unmatched records (2)", `segment "grp_123" (group) · seen 2× · last 2026-11-23 09:00 UTC`,
		`hubspot "9001" (sync)`, "external_ids"} {
		if !strings.Contains(text, w) {
			t.Errorf("lacks %q:\n%s", w, text)
		}
	}
	if strings.ContainsAny(text, "\x1b\u202e") {
		t.Errorf("a hostile sample reached the terminal unsanitised:\n%q", text)
	}
	rows, _ := d["records"].([]any)
	if len(rows) != 2 || rows[0].(map[string]any)["count"] != float64(2) {
		t.Fatalf("records = %v", d["records"])
	}
}

func TestPortfolioUnmatchedShowsTwentyAndCountsTheRest(t *testing.T) {
	e := adminEngine(t)
	db := e.Store.(*badger.DB)
	for i := range 25 {
		r := domain.UnmatchedRecord{Source: "segment", ExternalID: "grp_" + string(rune('a'+i)), Kind: "track"}
		if err := db.AddUnmatched(context.Background(), r, now); err != nil {
			t.Fatal(err)
		}
	}
	m, d := ask(t, e, "portfolio unmatched", "admin@example.com")
	if text := bot.RenderText(m); !strings.Contains(text, "…and 5 more") {
		t.Errorf("no count of the rest:\n%s", text)
	}
	if rows, _ := d["records"].([]any); len(rows) != 25 {
		t.Errorf("JSON has %d records, want all 25", len(rows))
	}
}

func TestPortfolioUnmatchedIsAdminOnly(t *testing.T) {
	e := adminEngine(t)
	db := e.Store.(*badger.DB)
	secret := domain.UnmatchedRecord{Source: "segment", ExternalID: "grp_secret", Kind: "group"}
	if err := db.AddUnmatched(context.Background(), secret, now); err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"ana@example.com", "guest@partner.com"} {
		m, _ := ask(t, e, "portfolio unmatched", who)
		if text := bot.RenderText(m); !m.Error || !strings.Contains(text, "admin") || strings.Contains(text, "grp_secret") {
			t.Errorf("portfolio unmatched as %q:\n%s", who, text)
		}
	}
	v, ok := e.Registry().Lookup("portfolio", "unmatched")
	if !ok || v.Access != domain.ScopeAdmin {
		t.Fatalf("portfolio unmatched registered %v with access %q, want admin", ok, v.Access)
	}
}

func TestPortfolioUnmatchedWithoutAReviewList(t *testing.T) {
	e := adminEngine(t)
	e.Store = struct{ bot.Store }{e.Store} // a store without Unmatched
	m, d := ask(t, e, "portfolio unmatched", "admin@example.com")
	if text := bot.RenderText(m); m.Error || !strings.Contains(text, "accountbot unmatched") || d["records"] == nil {
		t.Fatalf("%v\n%s", d, text)
	}
}
