package domain_test

import (
	"strings"
	"testing"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/demo"
)

var csToday = domain.MustDate("2026-11-23")

// caseStudy is seed 004's "$1.2M expansion" account as the CSM found it:
// $750K ARR, 5 of 10 features, a competitor pitching an AI module, the CFO
// never contacted, the VP of Operations last contacted six months ago, a
// growing company, renewal in four months.
func caseStudy(owner string) *domain.Account {
	a := &domain.Account{ID: "case-study", Name: "Case Study Analytics", Owner: owner, ARR: 750_000_00, Currency: "USD",
		ContractStart: csToday.AddMonths(-8), RenewalDate: csToday.AddMonths(4), TermMonths: 12,
		FeaturesAvailable: 10, FeaturesAdopted: 5, CompanyGrowing: true, SeatsPurchased: 200, SeatsActive: 150,
		ValueDelivered: 1_000_000_00, ValueAtFullAdoption: 2_152_500_00,
		Stakeholders: []domain.Stakeholder{
			{Name: "Dana Lee", Role: "CFO", Function: domain.FunctionFinance, Executive: true},
			{Name: "Sam Ortiz", Role: "VP Operations", Function: domain.FunctionOperations, Executive: true, LastContact: csToday.AddMonths(-6)},
			{Name: "Priya Shah", Role: "Analytics lead", Champion: true, LastContact: csToday.AddDays(-5)},
		},
		Signals: []domain.Signal{{Date: csToday.AddDays(-20), Kind: domain.SignalCompetitor, Note: "Competitor pitching an AI analytics module"}},
	}
	for w := range 52 {
		a.Usage = append(a.Usage, domain.Snapshot{Date: csToday.AddDays(-7 * (51 - w)), ActiveUsers: 150, Usage: 12_000, Tickets: 2})
	}
	a.Normalize()
	return a
}

// ownerBook returns the demo book's accounts of one owner, evaluated.
func ownerBook(t *testing.T, owner string) []domain.Evaluation {
	t.Helper()
	var out []domain.Evaluation
	for _, p := range demo.Generate(demo.Defaults(csToday)) {
		a := p.Core
		if a.Owner != owner {
			continue
		}
		a.Usage, a.Signals = p.Usage, p.Signals
		a.Normalize()
		out = append(out, domain.Evaluate(a, csToday, domain.DefaultConfig()))
	}
	return out
}

func position(evals []domain.Evaluation, id string) int {
	for i, e := range evals {
		if e.AccountID == id {
			return i + 1
		}
	}
	return -1
}

func TestCaseStudyIsHighWithTheSeedsAction(t *testing.T) {
	e := domain.Evaluate(caseStudy("ana@example.com"), csToday, domain.DefaultConfig())
	if e.Priority != domain.PriorityHigh {
		t.Fatalf("priority %s (%s), want high", e.Priority, e.PriorityReason)
	}
	if e.Action.Kind != domain.ActionEBR {
		t.Errorf("action kind %s, want an Executive Business Review", e.Action.Kind)
	}
	for _, want := range []string{"Executive Business Review with Dana Lee (CFO) and Sam Ortiz (VP Operations) before the renewal",
		"5 of 10 features in use", "competitive defence", "defer the competitor's evaluation", "multi-year consolidation"} {
		if !strings.Contains(e.Action.Text, want) {
			t.Errorf("action %q lacks %q", e.Action.Text, want)
		}
	}
	for _, want := range []string{"readiness red", "competitor is active", "no executive contact within the Tier 1 cadence", "never contacted: Dana Lee (CFO)"} {
		if !strings.Contains(e.PriorityReason, want) {
			t.Errorf("reason %q lacks %q", e.PriorityReason, want)
		}
	}
	if !e.Impact.Override || !strings.Contains(e.RankReason, "renewal risk overrides revenue") || strings.Contains(e.RankReason, "\n") ||
		!strings.Contains(e.RankReason, "$250K expected ARR impact: $750K ARR × 50% at risk (readiness red, low risk) × 66.7% urgency (renewal in 120 days)") {
		t.Errorf("impact %+v, reason %q", e.Impact, e.RankReason)
	}
}

func TestCaseStudyInOwnersTop5(t *testing.T) {
	const owner = "ana@example.com"
	book := ownerBook(t, owner)
	book = append(book, domain.Evaluate(caseStudy(owner), csToday, domain.DefaultConfig()))
	domain.Rank(book)
	if p := position(book, "case-study"); p < 1 || p > 5 {
		for i, e := range book[:8] {
			t.Logf("%d. %s %s %s %s", i+1, e.AccountID, e.ARR.Short(), e.Priority, e.RankReason)
		}
		t.Errorf("the case study ranks %d of %d for its owner, want top 5", p, len(book))
	}
	// The daily top-N (TopN) agrees with the full sort.
	top := domain.TopN{N: 5}
	for _, e := range book {
		top.Add(e)
	}
	if position(top.Items, "case-study") < 1 {
		t.Error("TopN dropped the case study")
	}
}

// The demo book's red $672K renewal 17 days out is in its owner's top 5
// without snoozing anything.
func TestRedRenewalInOwnersTop5(t *testing.T) {
	var found *domain.Evaluation
	owners := map[string]bool{}
	for _, p := range demo.Generate(demo.Defaults(csToday)) {
		owners[p.Core.Owner] = true
	}
	for owner := range owners {
		book := ownerBook(t, owner)
		domain.Rank(book)
		for i := range book {
			e := book[i]
			if e.Renewal.Readiness == domain.Red && e.Renewal.DaysToRenewal == 17 && e.ARR.Minor >= 600_000_00 {
				found = &e
				if p := position(book, e.AccountID); p > 5 {
					t.Errorf("red %s renewal in 17 days ranks %d for %s", e.ARR.Short(), p, owner)
				}
			}
		}
	}
	if found == nil {
		t.Fatal("the demo book has no red $600K+ renewal 17 days out any more; update the test")
	}
	t.Logf("%s %s: %s", found.AccountID, found.ARR.Short(), found.RankReason)
}

// Renewal risk overrides revenue: a red Tier-1 renewal inside its lead
// time ranks above any Tier-3 expansion, however large its uplift.
func TestRenewalRiskOverridesRevenue(t *testing.T) {
	cfg := domain.DefaultConfig()
	red := caseStudy("ana@example.com")
	red.ARR = 100_000_00
	small := &domain.Account{ID: "t3", Name: "Tiny", Owner: "ana@example.com", ARR: 10_000_00, Currency: "USD",
		FeaturesAvailable: 10, FeaturesAdopted: 9, BudgetConfirmed: true, SeatsPurchased: 2, SeatsActive: 2,
		Stakeholders: []domain.Stakeholder{{Name: "Eve", Executive: true, LastContact: csToday}},
		Signals:      []domain.Signal{{Date: csToday, Kind: domain.SignalHiring, Note: "hiring 5000 people"}}}
	for w := range 20 {
		small.Usage = append(small.Usage, domain.Snapshot{Date: csToday.AddDays(-7 * (19 - w)), ActiveUsers: 10 + 2*w, Usage: int64(100 + 20*w)})
	}
	small.Normalize()
	er, es := domain.Evaluate(red, csToday, cfg), domain.Evaluate(small, csToday, cfg)
	if es.Tier.Tier != 3 || es.Priority != domain.PriorityTop || es.Impact.Total <= er.Impact.Total {
		t.Fatalf("want a Tier-3 expansion worth more than the renewal: tier %d %s impact %d vs %d", es.Tier.Tier, es.Priority, es.Impact.Total, er.Impact.Total)
	}
	if er.Renewal.Readiness != domain.Red || !domain.Less(&er, &es) || domain.Less(&es, &er) {
		t.Errorf("the red Tier-1 renewal must rank first: %s vs %s", er.RankReason, es.RankReason)
	}
}

// Each escalation can be turned off; with all off the case study is the
// health-score class alone again.
func TestEscalationsConfigurable(t *testing.T) {
	cfg := domain.DefaultConfig()
	cfg.Priority.RenewalRiskReadiness, cfg.Priority.CompetitorRaisesHigh = "", false
	cfg.Priority.ExecutiveGapMaxTier, cfg.Priority.NeverContactedMaxTier = 0, 0
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	e := domain.Evaluate(caseStudy("ana@example.com"), csToday, cfg)
	if e.Priority != domain.PriorityMedium || len(e.Escalations) != 0 {
		t.Errorf("all escalations off: %s %v", e.Priority, e.Escalations)
	}
	cfg.Priority.CompetitorRaisesHigh = true
	e = domain.Evaluate(caseStudy("ana@example.com"), csToday, cfg)
	if e.Priority != domain.PriorityHigh || len(e.Escalations) != 1 || e.Action.Kind != domain.ActionValueReview && e.Action.Kind != domain.ActionCompetitiveDefence {
		t.Errorf("competitor only: %s %v %+v", e.Priority, e.Escalations, e.Action)
	}
}
