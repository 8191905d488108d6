package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// TestShorterReadingFallsBackToTheWholeName: "account sterling health"
// when "sterling" is ambiguous but "Sterling Health" is one account.
func TestShorterReadingFallsBackToTheWholeName(t *testing.T) {
	e, db := newEngine(t)
	addAccounts(t, db,
		&domain.Account{ID: "sh", Name: "Sterling Health", ARR: 1, Currency: "USD"},
		&domain.Account{ID: "sl", Name: "Sterling Labs", ARR: 1, Currency: "USD"})
	m, d := ask(t, e, "account sterling health", "")
	if m.Error || d["id"] != "sh" {
		t.Errorf("account sterling health = %v", d)
	}
	// Still ambiguous when no reading names exactly one account.
	if m, d := ask(t, e, "account sterling tier", ""); !m.Error || !strings.Contains(d["error"].(string), "matches several accounts") {
		t.Errorf("account sterling tier = %v", d)
	}
	// A name that resolves on its own keeps the verb reading.
	if m, d := ask(t, e, "account acme health", ""); m.Error || d["engagement"] == nil {
		t.Errorf("account acme health = %v", d)
	}
}

func TestHealthShowsTheConfiguredMaxima(t *testing.T) {
	_, db := newEngine(t)
	cfg := domain.DefaultConfig()
	cfg.Health.HighAdoptionPoints = 20 // engagement max 35
	cfg.Health.BudgetPoints = 15       // potential max 35
	cfg.Health.CompetitorPoints = 10   // risk max -45
	e := bot.NewEngine(db, cfg, nil)
	m, d := ask(t, e, "account acme health", "")
	text := bot.RenderText(m)
	for _, want := range []string{"/ 35 (", "/ -45 ("} {
		if !strings.Contains(text, want) {
			t.Errorf("health screen lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "/ 25 (") || strings.Contains(text, "/ -40 (") {
		t.Errorf("health screen shows the default maxima:\n%s", text)
	}
	if mx := d["max"].(map[string]any); mx["engagement"] != 35.0 || mx["revenue_potential"] != 35.0 || mx["retention_risk"] != -45.0 {
		t.Errorf("max = %v", mx)
	}
}

func TestNoteRoundTripsThroughTheTextParser(t *testing.T) {
	e, db := newEngine(t)
	note := "He said \"ship it\" = yes\nZürich ✓ 東京 'quoted' “smart”"
	if m, d := ask(t, e, "account globex note "+note, ""); m.Error || d["note"] != note {
		t.Fatalf("note = %v", d)
	}
	a, _ := db.Account(context.Background(), "globex")
	if last := a.Signals[len(a.Signals)-1]; last.Note != note {
		t.Errorf("stored note = %q", last.Note)
	}
	if m, d := ask(t, e, "account acme outcome won note="+note, "ana@example.com"); m.Error || d["note"] != note {
		t.Errorf("outcome note = %v", d)
	}
}

// TestEveryVerbReturnsItsDeclaredResult runs each verb once and checks the
// result type against the declaration (the JSON Schema comes from it).
func TestEveryVerbReturnsItsDeclaredResult(t *testing.T) {
	e, _ := newEngine(t)
	for _, v := range e.Registry().All() {
		cmd := exampleCommand(v)
		m := e.Handle(context.Background(), bot.Request{Text: cmd, Now: now, User: bot.User{Email: "ana@example.com", Operator: true}})
		if v.Key() == "portfolio.nudges" {
			continue // needs the scheduler
		}
		if m.Error {
			t.Errorf("%s: %s", cmd, bot.RenderText(m))
			continue
		}
		if r, ok := m.Data.(bot.Result); !ok || !v.Returns(r) {
			t.Errorf("%s: result %T, declared %T (also %v)", cmd, m.Data, v.Result, v.Also)
		}
	}
}

// exampleCommand is a command that runs v on the example book.
func exampleCommand(v *bot.Verb) string {
	examples := map[string]string{
		"account.objection": "account acme objection budget", "account.note": "account acme note hello",
		"account.signal": "account acme signal hiring", "account.outcome": "account acme outcome won",
		"account.renewal": "account soylent renewal draft", "account.arr": "account globex arr seats 1000",
		"help": "help",
	}
	if c, ok := examples[v.Key()]; ok {
		return c
	}
	if v.Noun == "account" {
		return strings.TrimSpace("account globex " + v.Name)
	}
	return strings.TrimSpace(v.Noun + " " + v.Name)
}
