package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// portfolio top (and the App Home and digests, which draw the same list)
// say in one line why each account ranks where it does.
func TestTopShowsTheRankingReason(t *testing.T) {
	e, db := newEngine(t)
	m, d := ask(t, e, "portfolio top for all", "")
	accts := d["accounts"].([]any)
	if len(accts) == 0 {
		t.Fatal("no accounts")
	}
	text := bot.RenderText(m)
	for _, x := range accts {
		row := x.(map[string]any)
		a, err := db.Account(context.Background(), row["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		ev := domain.Evaluate(a, domain.DateOf(now), domain.DefaultConfig())
		if row["rank_reason"] != ev.RankReason || ev.RankReason == "" || strings.Contains(ev.RankReason, "\n") {
			t.Errorf("%s rank_reason = %q, want %q", a.ID, row["rank_reason"], ev.RankReason)
		}
		if !strings.Contains(text, "Ranked: "+ev.RankReason) {
			t.Errorf("portfolio top does not show %q:\n%s", ev.RankReason, text)
		}
	}
	// The digests draw their list with TopBlocks, as portfolio top does.
	var evs []domain.Evaluation
	for _, x := range accts {
		a, _ := db.Account(context.Background(), x.(map[string]any)["id"].(string))
		evs = append(evs, domain.Evaluate(a, domain.DateOf(now), domain.DefaultConfig()))
	}
	blocks, rows := bot.TopBlocks(evs)
	digest := bot.RenderText(&bot.Message{Blocks: blocks})
	for i, ev := range evs {
		if rows[i].RankReason != ev.RankReason || !strings.Contains(digest, "Ranked: "+ev.RankReason) {
			t.Errorf("digest list lacks the ranking reason of %s:\n%s", ev.AccountID, digest)
		}
	}
	home := bot.RenderText(e.Dashboard(context.Background(), bot.User{Email: "x@example.com", Operator: true}, now))
	if strings.Count(home, "Ranked: ") != len(accts) {
		t.Errorf("App Home shows %d ranking reasons, want %d:\n%s", strings.Count(home, "Ranked: "), len(accts), home)
	}
}

// Every portfolio verb reads `for <owner>` and key=value arguments in any
// order, before or after the verb.
func TestPortfolioArgumentsInAnyOrder(t *testing.T) {
	e, _ := newEngine(t)
	verbs := []string{"", "top", "renewals", "allocation", "tiers", "outcomes", "dashboard"}
	for _, v := range verbs {
		want := strings.TrimSpace("portfolio " + v + " for ana")
		_, wd := ask(t, e, want, "")
		if wd["error"] != nil {
			t.Fatalf("%s: %v", want, wd["error"])
		}
		for _, q := range []string{"portfolio for ana " + v, "portfolio for=ana " + v, strings.TrimSpace("portfolio " + v + " for=ana")} {
			m, d := ask(t, e, strings.TrimSpace(q), "")
			if m.Error || bot.RenderText(m) != bot.RenderText(e.Handle(context.Background(), bot.Request{Text: want, Now: now, User: bot.User{Operator: true}})) {
				t.Errorf("%q answers differently from %q: %v", q, want, d)
			}
		}
	}
	want := bot.RenderText(e.Handle(context.Background(), bot.Request{Text: "portfolio nrr months=6 for ana", Now: now, User: bot.User{Operator: true}}))
	for _, q := range []string{
		"portfolio nrr for ana months=6", "portfolio nrr months=6 for ana", "portfolio nrr for ana months 6",
		"portfolio for ana nrr months=6", "portfolio months=6 nrr for ana", "portfolio nrr for=ana months=6",
	} {
		m := e.Handle(context.Background(), bot.Request{Text: q, Now: now, User: bot.User{Operator: true}})
		if m.Error || bot.RenderText(m) != want {
			t.Errorf("%q:\n%s\nwant\n%s", q, bot.RenderText(m), want)
		}
	}
	// An unknown verb is still named as one.
	if m, d := ask(t, e, "portfolio bogus for ana", ""); !m.Error || !strings.Contains(d["error"].(string), `"bogus" is not a portfolio command`) {
		t.Errorf("portfolio bogus = %v", d)
	}
}

// Notes and signals can be read back, newest first, with a limit.
func TestNotesNewestFirst(t *testing.T) {
	e, _ := newEngine(t)
	// Signals carry a date, not a time: newest first is by day.
	for i, cmd := range []string{"account hooli note first", "account hooli signal hiring 12 engineers", "account hooli note third"} {
		if m := e.Handle(context.Background(), bot.Request{Text: cmd, Now: now.AddDate(0, 0, i-2), User: bot.User{Operator: true}}); m.Error {
			t.Fatalf("%s: %v", cmd, m.Data)
		}
	}
	m, d := ask(t, e, "account hooli notes", "")
	entries := d["entries"].([]any)
	if m.Error || len(entries) < 3 || d["limit"] != 20.0 {
		t.Fatalf("notes = %v", d)
	}
	first, second := entries[0].(map[string]any), entries[1].(map[string]any)
	if first["note"] != "third" || second["kind"] != "hiring" || second["note"] != "12 engineers" {
		t.Errorf("not newest first: %v", entries[:3])
	}
	for i := 1; i < len(entries); i++ {
		if entries[i-1].(map[string]any)["date"].(string) < entries[i].(map[string]any)["date"].(string) {
			t.Errorf("entries out of order: %v", entries)
		}
	}
	_, d = ask(t, e, "account hooli notes limit=2", "")
	if n := len(d["entries"].([]any)); n != 2 || d["total"].(float64) < 3 {
		t.Errorf("limit=2 = %v", d)
	}
	if m, _ := ask(t, e, "account hooli notes 2", ""); !strings.Contains(bot.RenderText(m), "Showing the newest 2 of") {
		t.Errorf("notes 2:\n%s", bot.RenderText(m))
	}
	if m, d := ask(t, e, "account hooli notes limit=0", ""); !m.Error {
		t.Errorf("limit=0 = %v", d)
	}
}

// The seed's case study: "133% ROI now → 287% at full adoption", from the
// example acme's value delivered and value at full adoption.
func TestROINowAndAtFullAdoption(t *testing.T) {
	e, _ := newEngine(t)
	m, d := ask(t, e, "account acme roi", "")
	full, _ := d["full_adoption"].(map[string]any)
	if m.Error || d["return_pct"] != 133.3 || full == nil || full["return_pct"] != 287.0 || d["value_source"] != "value_delivered" || d["below_cost"] != false {
		t.Fatalf("acme roi = %v", d)
	}
	if text := bot.RenderText(m); !strings.Contains(text, "133.3% now → 287.0% at full adoption") {
		t.Errorf("acme roi text:\n%s", text)
	}
	// Hours given override the stored value; full adoption stays on the
	// same cost; a below-cost return is flagged.
	_, d = ask(t, e, "account acme roi hours_per_month=320 rate=85", "")
	if full, _ := d["full_adoption"].(map[string]any); d["return_pct"] != 43.5 || d["below_cost"] != true || full == nil || full["return_pct"] != 287.0 {
		t.Errorf("acme roi with hours = %v", d)
	}
	// No full-adoption input: no full-adoption figure.
	if _, d := ask(t, e, "account globex roi", ""); d["full_adoption"] != nil {
		t.Errorf("globex roi = %v", d)
	}
}

// `outcome won` with an ARR figure offers to record the ARR change; the
// confirmation is a typed call that records once however often it is
// clicked, and NRR reflects it.
func TestOutcomeWonRecordsTheARRChangeOnce(t *testing.T) {
	e, db := newEngine(t)
	ctx := context.Background()
	_, before := ask(t, e, "portfolio nrr for all", "")
	m, d := ask(t, e, "account globex outcome won seats 36000 signed", "ana@example.com")
	offer, _ := d["arr_offer"].(map[string]any)
	if m.Error || offer == nil || offer["change"] != 36000.0 || offer["motion"] != "seats" {
		t.Fatalf("outcome = %v", d)
	}
	var btn *bot.Button
	for _, b := range m.Blocks {
		if acts, ok := b.(bot.Actions); ok {
			for i := range acts.Buttons {
				if acts.Buttons[i].ActionID == bot.ActionRecordARR {
					btn = &acts.Buttons[i]
				}
			}
		}
	}
	if btn == nil {
		t.Fatalf("no confirmation button:\n%s", bot.RenderText(m))
	}
	// Nothing changes until it is confirmed.
	if _, d := ask(t, e, "portfolio nrr for all", ""); d["nrr_pct"] != before["nrr_pct"] {
		t.Errorf("NRR changed before the confirmation: %v → %v", before["nrr_pct"], d["nrr_pct"])
	}
	a0, _ := db.Account(ctx, "globex")
	for i := 0; i < 2; i++ { // a double click
		r := e.HandleAction(ctx, bot.Action{ID: btn.ActionID, Value: btn.Value, User: bot.User{Email: "ana@example.com"}, Now: now})
		if r.Message == nil || r.Message.Error {
			t.Fatalf("click %d: %v", i, r.Message.Data)
		}
		if got := r.Message.Data.(*bot.ARRChangeResult).Already; got != (i == 1) {
			t.Errorf("click %d: already = %v", i, got)
		}
	}
	a1, _ := db.Account(ctx, "globex")
	if a1.ARR != a0.ARR+36_000_00 || len(a1.ARRHistory) != len(a0.ARRHistory)+1+boolInt(len(a0.ARRHistory) == 0) {
		t.Errorf("ARR %d → %d, history %v", a0.ARR, a1.ARR, a1.ARRHistory)
	}
	_, after := ask(t, e, "portfolio nrr for all", "")
	start, end := before["start_arr"].(float64), after["end_arr"].(float64)
	if after["start_arr"] != start || end != before["end_arr"].(float64)+36000 || after["nrr_pct"].(float64) <= before["nrr_pct"].(float64) {
		t.Errorf("nrr before %v after %v", before, after)
	}
	if by := after["expansion_by_motion"].(map[string]any); by["seats"] == nil {
		t.Errorf("expansion by motion = %v", by)
	}
	// Lost, or no ARR, offers nothing.
	if _, d := ask(t, e, "account globex outcome lost seats 1000", ""); d["arr_offer"] != nil {
		t.Errorf("lost offers %v", d["arr_offer"])
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// portfolio economics reports the seed's ratios, each manager's workload
// and payback, and the targets, from the configured numbers.
func TestPortfolioEconomics(t *testing.T) {
	_, db := newEngine(t)
	cfg := domain.DefaultConfig()
	cfg.Economics.ManagerCost = 60_000
	e := bot.NewEngine(db, cfg, nil)
	m, d := ask(t, e, "portfolio economics for all", "")
	if m.Error {
		t.Fatalf("economics = %v", d)
	}
	if d["manager_cost"] != 60000.0 || len(d["segments"].([]any)) != 3 || len(d["owners"].([]any)) == 0 {
		t.Errorf("economics = %v", d)
	}
	seg := d["segments"].([]any)[0].(map[string]any)
	if seg["name"] != "Enterprise" || seg["ratio_min"] != 5.0 || seg["ratio_max"] != 10.0 {
		t.Errorf("enterprise = %v", seg)
	}
	nrr := d["nrr"].(map[string]any)
	if nrr["target_low"] != 105.0 || nrr["target_high"] != 120.0 {
		t.Errorf("nrr target = %v", nrr)
	}
	if acv := d["acv_growth"].(map[string]any); acv["target_low"] != 15.0 || acv["target_high"] != 25.0 || d["acv_years"] != 2.0 {
		t.Errorf("acv = %v", acv)
	}
	text := bot.RenderText(m)
	for _, want := range []string{"Enterprise (Tier 1)", "1:5–10", "payback of $60K a year", "target 105–120%", "target 130–150%", "target 15–25%"} {
		if !strings.Contains(text, want) {
			t.Errorf("economics text lacks %q:\n%s", want, text)
		}
	}
	// The same in any argument order.
	if m2 := e.Handle(context.Background(), bot.Request{Text: "portfolio for all economics", Now: now, User: bot.User{Operator: true}}); bot.RenderText(m2) != text {
		t.Errorf("argument order changes the answer")
	}
}

// A draft carries the customer text and the CSM's notes apart: JSON has
// customer_text and internal[], the text shows the notes in their own
// labelled block, and the shareable message leaves them out.
func TestDraftNotesApart(t *testing.T) {
	e, _ := newEngine(t)
	for _, cmd := range []string{"account acme objection competitor", "account acme qbr", "account globex expand draft", "account soylent renewal draft"} {
		m, d := ask(t, e, cmd, "")
		if m.Error {
			t.Fatalf("%s: %v", cmd, d)
		}
		ct, _ := d["customer_text"].(string)
		internal, ok := d["internal"].([]any)
		if ct == "" || !ok || d["text"] != nil {
			t.Fatalf("%s: %v", cmd, d)
		}
		if strings.Contains(ct, bot.InternalTitle) || strings.Contains(ct, "Competitor context") || strings.Contains(ct, "Opportunity:") {
			t.Errorf("%s: customer text carries CSM notes:\n%s", cmd, ct)
		}
		text, shared := bot.RenderText(m), bot.RenderText(m.Shareable())
		if len(internal) > 0 && !strings.Contains(text, "🔒 "+bot.InternalTitle+":") {
			t.Errorf("%s: no labelled notes block:\n%s", cmd, text)
		}
		for _, n := range internal {
			if !strings.Contains(text, n.(string)) || strings.Contains(shared, n.(string)) {
				t.Errorf("%s: note %q shown %v, shared %v", cmd, n, strings.Contains(text, n.(string)), strings.Contains(shared, n.(string)))
			}
		}
		if strings.Contains(shared, bot.InternalTitle) || !strings.Contains(shared, strings.SplitN(ct, "\n", 2)[0]) {
			t.Errorf("%s: shareable message:\n%s", cmd, shared)
		}
	}
}
