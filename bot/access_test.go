package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/storagetest"
)

// asUser runs a command as u and returns the reply's data as JSON.
func asUser(t *testing.T, e *bot.Engine, text string, u bot.User) (*bot.Message, string) {
	t.Helper()
	m := e.Handle(context.Background(), bot.Request{Text: text, Now: now, User: u})
	return m, bot.RenderText(m)
}

// TestAccessAttacks: each attack of issue 13 against the engine, as the
// person who would try it. ana owns acme and globex, bo owns initech and
// umbrella.
func TestAccessAttacks(t *testing.T) {
	e, _ := newEngine(t)
	ana := bot.User{Email: "ana@example.com", Platform: "slack"}
	bo := bot.User{Email: "bo@example.com", Platform: "slack"}
	guest := bot.User{Email: "guest@partner.com", Guest: true, Platform: "slack"}
	nobody := bot.User{Platform: "slack"}
	tests := []struct {
		name, cmd string
		who       bot.User
		allowed   bool
		want      string // in the reply
	}{
		{"own account", "account acme health", ana, true, ""},
		{"another CSM's account reads as not found", "account initech health", ana, false, `No account matches "initech"`},
		{"no suggestion leaks another's account", "account initec", ana, false, `No account matches "initec".`},
		{"another CSM's book", "portfolio top for bo", ana, false, "manager (or viewer) role"},
		{"an owner who does not exist: the same refusal", "portfolio top for zed", ana, false, "manager (or viewer) role"},
		{"own book", "portfolio top", bo, true, ""},
		{"own book by name", "portfolio top for bo", bo, true, ""},
		{"the whole book", "portfolio top for all", ana, false, "whole book needs"},
		{"owners list for a CSM", "portfolio owners", ana, false, "whole book needs"},
		{"guest reads the book", "portfolio top", guest, false, "only help you with `help`"},
		{"guest reads an account", "account acme", guest, false, "only help you with `help`"},
		{"guest help", "help", guest, true, ""},
		{"no e-mail: nudges", "portfolio nudges", nobody, false, "only help you with `help`"},
		{"no e-mail: owners", "portfolio owners", nobody, false, "only help you with `help`"},
		{"no e-mail: help", "help", nobody, true, ""},
		{"non-owner records champion_left", "account initech signal champion_left gone", ana, false, `No account matches "initech"`},
		{"owner records a note", "account acme note met the VP", ana, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, text := asUser(t, e, tt.cmd, tt.who)
			if m.Error == tt.allowed {
				t.Fatalf("%s as %q: error=%v, want allowed=%v: %s", tt.cmd, tt.who.Email, m.Error, tt.allowed, text)
			}
			if !strings.Contains(text, tt.want) {
				t.Errorf("%s: reply %q lacks %q", tt.cmd, text, tt.want)
			}
			for _, secret := range []string{"Initech", "bo@example.com", "umbrella"} {
				if !tt.allowed && strings.Contains(text, secret) {
					t.Errorf("%s: refusal leaks %q: %s", tt.cmd, secret, text)
				}
			}
		})
	}
}

// TestNonOwnerWritesRefused: someone who may read an account (open mode,
// a viewer) still may not record a lost outcome or champion_left on it.
func TestNonOwnerWritesRefused(t *testing.T) {
	db := storagetest.Open(t)
	cfg := domain.DefaultConfig()
	cfg.Access.Mode = domain.AccessOpen
	cfg.Access.Managers = []domain.ManagerRole{{Who: []string{"lead@example.com"}, Team: []string{"bo@example.com"}}}
	e := bot.NewEngine(db, cfg, nil)
	ana := bot.User{Email: "ana@example.com"}
	before, _ := db.Outcomes(context.Background(), domain.DateOf(now).AddDays(-1), domain.DateOf(now).AddDays(1))
	for _, cmd := range []string{"account initech outcome lost", "account initech signal champion_left gone", "account initech note hi", "portfolio owners", "portfolio top for bo"} {
		m, text := asUser(t, e, cmd, ana)
		write := !strings.HasPrefix(cmd, "portfolio")
		if write && (!m.Error || !strings.Contains(text, "needs its owner, a manager over its owner, or admin")) {
			t.Errorf("open mode, %s by a non-owner: %s", cmd, text)
		}
		if !write && m.Error {
			t.Errorf("open mode reads everything: %s: %s", cmd, text)
		}
	}
	after, _ := db.Outcomes(context.Background(), domain.DateOf(now).AddDays(-1), domain.DateOf(now).AddDays(1))
	if len(after) != len(before) {
		t.Errorf("a refused outcome was stored: %d → %d", len(before), len(after))
	}
	a, _ := db.Account(context.Background(), "initech")
	for _, s := range a.Signals {
		if s.Kind == domain.SignalChampionLeft && s.Date == domain.DateOf(now) {
			t.Error("a refused champion_left was stored")
		}
	}
	// bo's manager may write on bo's account, and read bo's book.
	lead := bot.User{Email: "lead@example.com"}
	if m, text := asUser(t, e, "account initech outcome lost", lead); m.Error {
		t.Errorf("manager's outcome: %s", text)
	}
	if m, text := asUser(t, e, "account acme outcome lost", lead); !m.Error || !strings.Contains(text, "needs its owner") {
		t.Errorf("manager outside the team: %s", text)
	}
}

// TestStrictModeRoles: managers and viewers by config.
func TestStrictModeRoles(t *testing.T) {
	db := storagetest.Open(t)
	cfg := domain.DefaultConfig()
	cfg.Access.Managers = []domain.ManagerRole{{Who: []string{"lead@example.com"}, Team: []string{"bo@example.com"}}}
	cfg.Access.Viewers = []domain.ViewerRole{{Who: []string{"@finance.example.com"}, Scope: []string{"*"}}}
	cfg.Access.Admins = []string{"boss@example.com"}
	e := bot.NewEngine(db, cfg, nil)
	for _, tt := range []struct {
		cmd, who string
		ok       bool
	}{
		{"portfolio top for bo", "lead@example.com", true},
		{"account initech", "lead@example.com", true},
		{"account acme", "lead@example.com", false},
		{"portfolio owners", "lead@example.com", false},
		{"portfolio owners", "cfo@finance.example.com", true},
		{"account acme", "cfo@finance.example.com", true},
		{"account acme note x", "cfo@finance.example.com", false},
		{"portfolio owners", "boss@example.com", true},
		{"account acme outcome lost", "boss@example.com", true},
	} {
		m, text := asUser(t, e, tt.cmd, bot.User{Email: tt.who})
		if m.Error == tt.ok {
			t.Errorf("%s as %s: ok=%v: %s", tt.cmd, tt.who, !m.Error, text)
		}
	}
}

// TestReplayedWriteOnce: the same write id writes once, then says so.
func TestReplayedWriteOnce(t *testing.T) {
	e, db := newEngine(t)
	ana := bot.User{Email: "ana@example.com"}
	from, to := domain.DateOf(now).AddDays(-1), domain.DateOf(now).AddDays(1)
	before, _ := db.Outcomes(context.Background(), from, to)
	var texts []string
	for range 2 {
		m := e.Handle(context.Background(), bot.Request{Text: "account acme outcome won", Now: now, User: ana, WriteID: "slack|cmd|T1"})
		texts = append(texts, bot.RenderText(m))
	}
	after, _ := db.Outcomes(context.Background(), from, to)
	if len(after) != len(before)+1 {
		t.Errorf("outcomes %d → %d, want one more", len(before), len(after))
	}
	if !strings.Contains(texts[1], "Already recorded — nothing changed.") {
		t.Errorf("second reply = %q", texts[1])
	}
	// A double click on a form's Save: the same id, once.
	act := bot.Action{ID: bot.ActionOutcomeSubmit, Value: "acme", User: ana, Now: now, WriteID: "slack|view|V1",
		Form: map[string]string{"result": "lost", "motion": "-"}}
	e.HandleAction(context.Background(), act)
	r := e.HandleAction(context.Background(), act)
	again, _ := db.Outcomes(context.Background(), from, to)
	if len(again) != len(after)+1 || !strings.Contains(bot.RenderText(r.Message), "Already recorded") {
		t.Errorf("double submit: outcomes %d → %d, reply %q", len(after), len(again), bot.RenderText(r.Message))
	}
	// A button on another CSM's account reads as gone.
	r = e.HandleAction(context.Background(), bot.Action{ID: bot.ActionOpenAccount, Value: "initech", User: ana, Now: now})
	if text := bot.RenderText(r.Message); !r.Message.Error || strings.Contains(text, "Initech") {
		t.Errorf("button on another's account: %q", text)
	}
}

// auditLog keeps records in memory.
type auditLog struct{ entries []domain.AuditEntry }

func (a *auditLog) AppendAudit(_ context.Context, e domain.AuditEntry) error {
	a.entries = append(a.entries, e)
	return nil
}

func TestAuditRecords(t *testing.T) {
	e, _ := newEngine(t)
	log := &auditLog{}
	e.Audit = log
	ana := bot.User{ID: "U1", Email: "ana@example.com", Platform: "slack", Workspace: "T1"}
	e.Handle(context.Background(), bot.Request{Text: "account acme note " + strings.Repeat("x", 500), Now: now, User: ana, WriteID: "w1"})
	e.Handle(context.Background(), bot.Request{Text: "portfolio owners", Now: now, User: ana})
	if len(log.entries) != 2 {
		t.Fatalf("entries = %+v", log.entries)
	}
	w, r := log.entries[0].Clean(), log.entries[1]
	if w.Kind != domain.AuditWrite || w.Verb != "account note" || w.Account != "acme" || w.Result != domain.AuditOK ||
		w.WriteID != "w1" || w.Workspace != "T1" || len(w.Args) != 1 || len([]rune(w.Args[0].Value)) > domain.AuditTextMax+1 {
		t.Errorf("write record = %+v", w)
	}
	if r.Result != domain.AuditRefused || !strings.Contains(r.Reason, "manager") {
		t.Errorf("refusal record = %+v", r)
	}
}

// A CSM named on another CSM's account as an internal stakeholder reads it
// (and may not change it); a CSM not named, or named as a customer
// contact, or no longer named, is refused as if it did not exist.
func TestStakeholderCSMAccess(t *testing.T) {
	e, db := newEngine(t)
	ctx := context.Background()
	name := func(st ...domain.Stakeholder) {
		t.Helper()
		if _, err := db.Apply(ctx, []domain.Patch{{ID: "initech", ReplaceStakeholders: true, Stakeholders: st}}); err != nil {
			t.Fatal(err)
		}
	}
	ana, bo := bot.User{Email: "ana@example.com"}, bot.User{Email: "bo@example.com"}
	name(domain.Stakeholder{Name: "Ana (exec sponsor)", Email: "ana@example.com", Internal: true})
	if m, text := asUser(t, e, "account initech health", ana); m.Error {
		t.Fatalf("named stakeholder refused: %s", text)
	}
	if m, text := asUser(t, e, "account initec", ana); m.Error || !strings.Contains(text, "Initech") {
		t.Fatalf("a named account is found by a partial name too: %s", text)
	}
	if m, text := asUser(t, e, "account initech note spoke to IT", ana); !m.Error || !strings.Contains(text, `No account matches`) && !strings.Contains(text, "owner") {
		t.Fatalf("a stakeholder wrote: %s", text)
	}
	if m, text := asUser(t, e, "account acme health", bo); !m.Error || !strings.Contains(text, `No account matches "acme"`) {
		t.Fatalf("a CSM not named read acme: %s", text)
	}
	// A customer contact who happens to carry Ana's address gives nothing.
	name(domain.Stakeholder{Name: "Ana at Initech", Email: "ana@example.com"})
	if m, text := asUser(t, e, "account initech health", ana); !m.Error {
		t.Fatalf("a customer contact's e-mail gave access: %s", text)
	}
	// Named, then taken off the account: no longer readable.
	name(domain.Stakeholder{Name: "Ana", Email: "ana@example.com", Internal: true})
	name()
	if m, _ := asUser(t, e, "account initech health", ana); !m.Error {
		t.Fatal("still readable after being taken off the account")
	}
}
