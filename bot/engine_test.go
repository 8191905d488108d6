package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"github.com/accountbot/accountbot/storage/badger"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/playbooks"
	"github.com/accountbot/accountbot/storage/storagetest"
)

var now = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// newEngine loads the example book into an in-memory store.
func newEngine(t *testing.T) (*bot.Engine, *badger.DB) {
	t.Helper()
	db := storagetest.Open(t)
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	d, err := playbooks.New("")
	if err != nil {
		t.Fatal(err)
	}
	e.Drafter = d
	return e, db
}

// ask runs a command and returns its data as generic JSON.
// addAccounts stores each account as a patch of its core fields.
func addAccounts(t *testing.T, db *badger.DB, accounts ...*domain.Account) {
	t.Helper()
	for _, a := range accounts {
		if _, err := db.Apply(context.Background(), []domain.Patch{{ID: a.ID, Core: a}}); err != nil {
			t.Fatal(err)
		}
	}
}

func ask(t *testing.T, e *bot.Engine, text, as string) (*bot.Message, map[string]any) {
	t.Helper()
	// No e-mail: the operator at the console (admin); an e-mail: that person.
	m := e.Handle(context.Background(), bot.Request{Text: text, Now: now, User: bot.User{Email: as, Platform: "test", Operator: as == ""}})
	b, err := json.Marshal(m.Data)
	if err != nil {
		t.Fatalf("%s: data not JSON: %v", text, err)
	}
	var data map[string]any
	json.Unmarshal(b, &data)
	return m, data
}

func TestCommandsReturnTheDocumentedKeys(t *testing.T) {
	e, _ := newEngine(t)
	tests := []struct {
		cmd  string
		keys []string
	}{
		{"account acme health", []string{"id", "name", "tier", "engagement", "revenue_potential", "retention_risk", "combined", "priority", "reasons"}},
		{"account acme renewal", []string{"days_to_renewal", "stage", "readiness", "due_milestones"}},
		{"account globex expand", []string{"opportunities"}},
		{"account acme roi", []string{"annual_value", "return_pct", "net_return_pct", "payback_months"}},
		{"portfolio top", []string{"accounts"}},
		{"account acme", []string{"id", "tier", "priority", "action"}},
		{"account acme tier", []string{"tier", "reason", "cadence_days"}},
		{"account acme map", []string{"functions"}},
		{"account acme trend", []string{"points"}},
		{"account globex qbr", []string{"customer_text", "internal", "source"}},
		{"account globex expand draft", []string{"customer_text", "internal", "source"}},
		{"account acme objection competitor", []string{"customer_text", "internal", "source"}},
		{"account soylent renewal draft", []string{"customer_text", "internal", "source"}},
		{"portfolio renewals", []string{"renewals", "green", "yellow", "red"}},
		{"portfolio allocation", []string{"tiers"}},
		{"portfolio nrr", []string{"nrr_pct", "grr_pct", "expansion_by_motion"}},
		{"portfolio tiers", []string{"tiers"}},
		{"portfolio owners", []string{"owners"}},
		{"help", []string{"commands"}},
	}
	for _, tt := range tests {
		m, data := ask(t, e, tt.cmd, "")
		if m.Error {
			t.Errorf("%s: error reply %v", tt.cmd, data)
			continue
		}
		for _, k := range tt.keys {
			if _, ok := data[k]; !ok {
				t.Errorf("%s: no %q in %v", tt.cmd, k, data)
			}
		}
		if strings.TrimSpace(bot.RenderText(m)) == "" {
			t.Errorf("%s: empty text", tt.cmd)
		}
	}
}

func TestHealthValues(t *testing.T) {
	e, _ := newEngine(t)
	_, d := ask(t, e, "account GLOBEX health", "")
	if d["id"] != "globex" || d["tier"] != 1.0 || d["engagement"] != 25.0 || d["revenue_potential"] != 20.0 || d["retention_risk"] != 0.0 || d["combined"] != 45.0 || d["priority"] != "top" {
		t.Errorf("globex health = %v", d)
	}
	if rs := d["reasons"].([]any); len(rs) != 11 {
		t.Errorf("reasons = %d", len(rs))
	}
	_, d = ask(t, e, "account initech health", "")
	if d["priority"] != "decision" || d["retention_risk"] != -40.0 {
		t.Errorf("initech = %v", d)
	}
	_, d = ask(t, e, "account Initech renewal", "")
	if d["days_to_renewal"] != 70.0 || d["stage"] != "showcase" || d["readiness"] != "red" {
		t.Errorf("initech renewal = %v", d)
	}
	// The example acme stores the case study's value delivered ($1M, 133%)
	// since issue 15; its 320 h/month at $85 ($326,400, 43.5%) are used
	// when hours are asked for.
	_, d = ask(t, e, "account acme roi", "")
	if d["annual_value"] != 1000000.0 || d["return_pct"] != 133.3 {
		t.Errorf("acme roi = %v", d)
	}
	_, d = ask(t, e, "account acme roi hours_per_month=320", "")
	if d["annual_value"] != 326400.0 || d["return_pct"] != 43.5 {
		t.Errorf("acme roi = %v", d)
	}
	_, d = ask(t, e, "account acme roi hours_per_week=4 rate=50 cost_per_year=50000", "")
	if d["annual_value"] != 10400.0 || d["return_pct"] != 20.8 || d["payback_months"] != 57.7 {
		t.Errorf("roi args = %v", d)
	}
	_, d = ask(t, e, "account acme roi hours_per_month=120 rate=50 cost_per_month=5000", "")
	if d["annual_value"] != 72000.0 || d["return_pct"] != 120.0 {
		t.Errorf("roi monthly = %v", d)
	}
	_, d = ask(t, e, "account globex expand", "")
	first := d["opportunities"].([]any)[0].(map[string]any)
	if first["motion"] != "upsell" || first["uplift"] != 72000.0 || first["evidence"] == "" {
		t.Errorf("globex first opportunity = %v", first)
	}
}

func TestUserErrors(t *testing.T) {
	e, _ := newEngine(t)
	tests := []struct{ cmd, want string }{
		{"account acmee health", "Did you mean Acme Analytics (acme)?"},
		{"account nothinglikeit", `No account matches "nothinglikeit".`},
		{"account acme roi rate=abc", `rate="abc" is not a non-negative number`},
		{"account acme roi speed=3", `"speed=3" is not an input of ` + "`account roi`"},
		{"account acme roi hours_per_week=1 hours_per_month=2", "not both"},
		{"account initech roi", "How many hours does Initech save?"},
		{"account acme objection", "Which objection?"},
		{"account acme objection weather", `no playbook for the objection "weather"`},
		{"account acme signal gossip", `"gossip" is not a valid kind`},
		{"account acme note", "What should the note say?"},
		{"portfolio top for nobody", `No account owner matches "nobody"`},
		{"portfolio frobnicate", `"frobnicate" is not a portfolio command`},
		{"dance", `I don't know "dance"`},
		{"help weather", "no help topic"},
		{`account "acme`, "never closed"},
		{"account " + strings.Repeat("x", 5000), "too long"},
	}
	for _, tt := range tests {
		m, d := ask(t, e, tt.cmd, "")
		if !m.Error || !strings.Contains(d["error"].(string), tt.want) {
			t.Errorf("%s: got %v, want error containing %q", tt.cmd, d, tt.want)
		}
	}
}

func TestAmbiguousName(t *testing.T) {
	e, db := newEngine(t)
	ctx := context.Background()
	for _, id := range []string{"acme-east", "acme-west"} {
		a := &domain.Account{ID: id, Name: "Acme " + strings.TrimPrefix(id, "acme-"), ARR: 1, Currency: "USD"}
		if _, err := db.Apply(ctx, []domain.Patch{{ID: id, Core: a}}); err != nil {
			t.Fatal(err)
		}
	}
	m, d := ask(t, e, "account acme e", "") // prefix of "acmeeast" only
	if m.Error || d["id"] != "acme-east" {
		t.Errorf("prefix match = %v", d)
	}
	m, d = ask(t, e, "account acm", "")
	if !m.Error || !strings.Contains(d["error"].(string), "matches several accounts") {
		t.Errorf("ambiguous = %v", d)
	}
}

func TestNamesContainingVerbWords(t *testing.T) {
	e, db := newEngine(t)
	addAccounts(t, db,
		&domain.Account{ID: "sh", Name: "Sterling Health", ARR: 1, Currency: "USD"},
		&domain.Account{ID: "sl", Name: "Sterling Labs", ARR: 1, Currency: "USD"})
	if m, d := ask(t, e, "account Sterling Health health", ""); m.Error || d["id"] != "sh" || d["combined"] == nil {
		t.Errorf("verb word in the name = %v", d)
	}
	if m, d := ask(t, e, "account sterling health renewal", ""); m.Error || d["id"] != "sh" || d["stage"] == nil {
		t.Errorf("renewal of Sterling Health = %v", d)
	}
	// A note whose text holds verb words stays a note.
	if m, d := ask(t, e, "account acme note health looks fine, renewal next", ""); m.Error || d["note"] != "health looks fine, renewal next" {
		t.Errorf("note = %v", d)
	}
}

func TestMyPortfolioAndNotes(t *testing.T) {
	e, db := newEngine(t)
	_, d := ask(t, e, "portfolio top", "bo@example.com")
	accts := d["accounts"].([]any)
	if d["owner"] != "bo@example.com" || len(accts) != 2 || accts[0].(map[string]any)["id"] != "initech" {
		t.Errorf("bo's top = %v", d)
	}
	_, d = ask(t, e, "portfolio top for ana", "")
	if d["owner"] != "ana@example.com" || d["accounts"].([]any)[0].(map[string]any)["id"] != "acme" {
		t.Errorf("ana's top = %v", d)
	}
	m, _ := ask(t, e, "portfolio top", "")
	if !strings.Contains(bot.RenderText(m), "Showing the whole book") {
		t.Error("the operator should be told the whole book is shown")
	}
	// Someone who owns nothing and has no role does not get the book.
	if m, d := ask(t, e, "portfolio top", "stranger@example.com"); !m.Error || d["code"] != domain.EFORBIDDEN {
		t.Errorf("a non-owner's portfolio top = %v", d)
	}
	// A signal changes the score and is stored.
	ask(t, e, "account globex signal champion_left Mia moved to a competitor", "")
	_, d = ask(t, e, "account globex health", "")
	if d["retention_risk"] != -10.0 {
		t.Errorf("after champion_left: %v", d)
	}
	a, _ := db.Account(context.Background(), "globex")
	last := a.Signals[len(a.Signals)-1]
	if last.Kind != domain.SignalChampionLeft || last.Note != "Mia moved to a competitor" || last.Date != domain.DateOf(now) {
		t.Errorf("stored signal = %+v", last)
	}
	ask(t, e, `account globex note "QBR booked for 12 Dec"`, "")
	a, _ = db.Account(context.Background(), "globex")
	found := false
	for _, s := range a.Signals {
		found = found || (s.Kind == domain.SignalNote && s.Note == "QBR booked for 12 Dec")
	}
	if !found {
		t.Errorf("note not stored: %+v", a.Signals)
	}
}

// failingStore answers every call with an internal error.
type failingStore struct{ bot.Store }

func (failingStore) Resolve(context.Context, string) (domain.Resolution, error) {
	return domain.Resolution{}, errors.New("badger: disk on fire at /secret/path")
}

func (failingStore) Account(context.Context, string) (*domain.Account, error) {
	return nil, errors.New("badger: disk on fire at /secret/path")
}

func TestInternalErrorsAreNotLeaked(t *testing.T) {
	e := bot.NewEngine(failingStore{}, domain.DefaultConfig(), nil)
	m := e.Handle(context.Background(), bot.Request{Text: "account acme", Now: now, User: bot.User{Operator: true}})
	text := bot.RenderText(m)
	if !m.Error || strings.Contains(text, "secret") || !strings.Contains(text, "Sorry") {
		t.Errorf("internal error reply = %q", text)
	}
}

func TestActionsSnoozeAndOutcomes(t *testing.T) {
	e, db := newEngine(t)
	ctx := context.Background()
	ana := bot.User{Email: "ana@example.com", Platform: "test"}
	r := e.HandleAction(ctx, bot.Action{ID: bot.ActionDraftQBR, Value: "globex", User: ana, Now: now})
	if r.Message == nil || r.Message.Error || !strings.HasPrefix(r.Message.Title, "QBR talking points — Globex") {
		t.Fatalf("draft QBR = %+v", r.Message)
	}
	r = e.HandleAction(ctx, bot.Action{ID: bot.ActionOpenAccount, Value: "globex", User: ana, Now: now})
	if r.Message.Title != "Globex Corporation — Tier 1" {
		t.Errorf("open = %q", r.Message.Title)
	}
	r = e.HandleAction(ctx, bot.Action{ID: bot.ActionSnooze, Value: "globex", User: ana, Now: now})
	if r.Message.Error {
		t.Fatalf("snooze = %v", r.Message.Data)
	}
	sn, _ := db.Snoozes(ctx, "ana@example.com")
	if sn["globex"] != domain.DateOf(now).AddDays(7) {
		t.Errorf("snoozes = %v", sn)
	}
	r = e.HandleAction(ctx, bot.Action{ID: bot.ActionLogOutcome, Value: "globex", User: ana, Now: now})
	if r.Form == nil || r.Form.SubmitID != bot.ActionOutcomeSubmit || r.Form.Value != "globex" || len(r.Form.Fields) != 4 {
		t.Fatalf("outcome form = %+v", r.Form)
	}
	r = e.HandleAction(ctx, bot.Action{ID: bot.ActionOutcomeSubmit, Value: "globex", User: ana, Now: now,
		Form: map[string]string{"result": "won", "motion": "seats", "arr": "36000", "note": "Marketing onboarded"}})
	if r.Message.Error {
		t.Fatalf("submit = %v", r.Message.Data)
	}
	ask(t, e, "account initech outcome lost upsell", "bo@example.com")
	ask(t, e, "account acme outcome pending - 5000", "ana@example.com")
	_, d := ask(t, e, "portfolio outcomes", "")
	if d["outcomes"] != 3.0 {
		t.Fatalf("outcomes = %v", d)
	}
	by := map[string]map[string]any{}
	for _, x := range d["by_motion"].([]any) {
		m := x.(map[string]any)
		by[m["motion"].(string)] = m
	}
	if by["seats"]["won"] != 1.0 || by["seats"]["win_rate_pct"] != 100.0 || by["seats"]["arr_won"].(map[string]any)["USD"] != 36000.0 ||
		by["upsell"]["lost"] != 1.0 || by["other"]["pending"] != 1.0 {
		t.Errorf("by motion = %v", by)
	}
	for _, bad := range []string{"account acme outcome maybe", "account acme snooze 0", "account acme outcome"} {
		if m, _ := ask(t, e, bad, "ana@example.com"); !m.Error {
			t.Errorf("%s should be an error", bad)
		}
	}
	if m, d := ask(t, e, "account acme snooze", ""); !m.Error || !strings.Contains(d["error"].(string), "per person") {
		t.Errorf("anonymous snooze = %v", d)
	}
}

func TestSettingsCommands(t *testing.T) {
	e, db := newEngine(t)
	ctx := context.Background()
	m, d := ask(t, e, "portfolio settings digest 09:15 timezone Europe/London quiet 21:00-06:30", "ana@example.com")
	if m.Error {
		t.Fatalf("settings = %v", d)
	}
	u, _ := db.Settings(ctx, "ana@example.com")
	if u.DigestAt != "09:15" || u.TimeZone != "Europe/London" || u.QuietFrom != "21:00" || u.QuietTo != "06:30" || u.DigestOff {
		t.Errorf("stored = %+v", u)
	}
	ask(t, e, "portfolio settings digest off", "ana@example.com")
	if u, _ = db.Settings(ctx, "ana@example.com"); !u.DigestOff || u.DigestAt != "09:15" {
		t.Errorf("off = %+v", u)
	}
	for _, bad := range []string{"portfolio settings digest 9am", "portfolio settings timezone Mars/Olympus", "portfolio settings quiet late",
		"portfolio settings colour blue", "portfolio settings digest"} {
		if m, _ := ask(t, e, bad, "ana@example.com"); !m.Error {
			t.Errorf("%s should fail", bad)
		}
	}
	if m, d := ask(t, e, "portfolio nudges", "ana@example.com"); !m.Error || !strings.Contains(d["error"].(string), "not running") {
		t.Errorf("nudges without a scheduler = %v", d)
	}
}

func TestDashboardCommand(t *testing.T) {
	e, _ := newEngine(t)
	m, d := ask(t, e, "portfolio home", "ana@example.com")
	if m.Error || d["top"] == nil || d["renewals"] == nil || d["tiers"] == nil || !strings.Contains(m.Title, "ana@example.com") {
		t.Errorf("dashboard = %v", d)
	}
}

func TestTrendCacheForgetsOnNewSignal(t *testing.T) {
	e, _ := newEngine(t)
	_, before := ask(t, e, "account globex trend", "")
	ask(t, e, "account globex signal competitor Initrode pitch", "")
	_, after := ask(t, e, "account globex trend", "")
	pb, pa := before["points"].([]any), after["points"].([]any)
	last := func(ps []any) float64 { return ps[len(ps)-1].(map[string]any)["value"].(float64) }
	if len(pb) == 0 || len(pa) == 0 || last(pa) != last(pb)-5 {
		t.Errorf("trend after a competitor signal: %v → %v", last(pb), last(pa))
	}
}
