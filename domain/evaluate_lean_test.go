package domain_test

import (
	"reflect"
	"testing"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/demo"
)

// withoutText is e with every piece of explanation text emptied: what the
// lean evaluation must equal.
func withoutText(e domain.Evaluation) domain.Evaluation {
	e.Health.Reasons = append([]domain.Reason(nil), e.Health.Reasons...)
	for i := range e.Health.Reasons {
		e.Health.Reasons[i].Label, e.Health.Reasons[i].Evidence = "", ""
	}
	e.Escalations = append([]domain.Escalation(nil), e.Escalations...)
	for i := range e.Escalations {
		e.Escalations[i].Why = ""
	}
	// Readiness indicators quote the health evidence, so the lean path
	// leaves some of theirs empty: compared without it on both sides.
	e.Renewal.Indicators = append([]domain.Indicator(nil), e.Renewal.Indicators...)
	for i := range e.Renewal.Indicators {
		e.Renewal.Indicators[i].Evidence = ""
	}
	// Milestones are the same without their checklists.
	for _, ms := range []*[]domain.Milestone{&e.Renewal.Milestones, &e.Renewal.Due} {
		*ms = append([]domain.Milestone(nil), (*ms)...)
		for i := range *ms {
			(*ms)[i].Checklist = nil
		}
	}
	e.Opportunities = append([]domain.Opportunity(nil), e.Opportunities...)
	for i := range e.Opportunities {
		e.Opportunities[i].Evidence = ""
	}
	e.Tier.Reason, e.PriorityReason, e.Action.Text, e.RankReason = "", "", "", ""
	return e
}

// TestLeanEvaluationIsFullMinusText holds the replay's lean path to the
// cards' full one: on every account of a demo book, as it was on several
// past days, under the default rules and a candidate that moves the
// escalations and bands, the lean evaluation is the full one with the text
// emptied — same numbers, bands, tier, priority, escalation rules,
// opportunities, action kind and rank key.
func TestLeanEvaluationIsFullMinusText(t *testing.T) {
	today := domain.MustDate("2026-11-23")
	o := demo.Defaults(today)
	o.Accounts = 600
	if testing.Short() {
		o.Accounts = 150
	}
	hist := demo.HistoryRange(o, 0, o.Accounts)
	cand := domain.DefaultConfig()
	cand.Health.UsageDeclineMinPct = 10
	cand.Health.BudgetPoints = 15
	cand.Health.UrgentTicketsPoints = 5
	cand.Priority.RenewalRiskReadiness = domain.Red
	cand.Priority.CompetitorRaisesHigh = true
	cfgs := map[string]domain.Config{"default": domain.DefaultConfig(), "candidate": cand}
	days := []int{0, -7, -30, -91, -182, -364}
	seen := map[string]int{} // what the book exercised, so the test cannot pass vacuously
	for _, p := range demo.Generate(o) {
		a := p.Core
		a.Usage, a.Signals = p.Usage, p.Signals
		a.Normalize()
		states := append(hist.States[a.ID], domain.StateOf(a, today))
		for _, back := range days {
			d := today.AddDays(back)
			acc, _, ok := domain.AsOf(a, states, d)
			if !ok {
				continue
			}
			for name, cfg := range cfgs {
				full := domain.Evaluate(&acc, d, cfg)
				lean := domain.EvaluateWith(&acc, d, cfg, domain.EvaluateOptions{})
				if got, want := withoutText(lean), withoutText(full); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s on %s under %s: lean evaluation differs from the full one without text:\nlean %+v\nfull %+v", a.ID, d, name, got, want)
				}
				if lean.RankReason != "" || lean.PriorityReason != "" || lean.Tier.Reason != "" || lean.Action.Text != "" {
					t.Fatalf("%s: the lean evaluation spelled out text", a.ID)
				}
				seen[string(full.Priority)]++
				seen["tier"+string(rune('0'+full.Tier.Tier))]++
				if len(full.Escalations) > 0 {
					seen["escalated"]++
				}
				for _, r := range full.Health.Reasons {
					if r.Met && r.Points != 0 {
						seen[r.Rule]++
					}
				}
			}
		}
	}
	for _, k := range []string{"top", "high", "medium", "decision", "tier1", "tier2", "tier3", "escalated",
		"usage_decline", "high_tickets", "champion_left", "competitor", "executive_engaged", "active_users_up", "user_growth"} {
		if seen[k] == 0 {
			t.Errorf("the demo book never exercised %q (seen %v): the comparison proves less than it says", k, seen)
		}
	}
}
