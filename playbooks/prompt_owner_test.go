package playbooks

import (
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// The owner's e-mail stays out of what a language model is sent.
func TestPromptFactsOmitTheOwner(t *testing.T) {
	today := domain.DateOf(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	a := &domain.Account{ID: "acme", Name: "Acme", Owner: "ana@example.com", ARR: 120_000_00, Currency: "USD",
		Signals: []domain.Signal{{Date: today, Kind: domain.SignalNote, Note: "call ana@example.com"}}}
	a.Normalize()
	ev := domain.Evaluate(a, today, domain.DefaultConfig())
	req := bot.DraftRequest{Kind: "qbr", Account: a, Evaluation: &ev}
	f, _ := buildFacts(req)
	if f.Owner != "ana@example.com" {
		t.Fatalf("facts owner = %q", f.Owner)
	}
	structured, _, err := promptFacts(req, f)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(structured, "ana@example.com") {
		t.Errorf("the owner's e-mail is in the prompt's facts:\n%s", structured)
	}
}
