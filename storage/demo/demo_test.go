package demo

import (
	"reflect"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

func TestDemoIsDeterministicAndCoversTheRules(t *testing.T) {
	today := domain.MustDate("2026-11-23")
	a, b := Generate(Defaults(today)), Generate(Defaults(today))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same options must give the same book")
	}
	cfg := domain.DefaultConfig()
	prios, tiers, stages, motions := map[domain.Priority]int{}, map[int]int{}, map[domain.Stage]int{}, map[domain.Motion]int{}
	owners := map[string]bool{}
	for _, p := range a {
		acc := *p.Core
		acc.Usage, acc.Signals = p.Usage, p.Signals
		acc.Normalize()
		if errs := acc.Validate(); errs != nil {
			t.Fatalf("%s invalid: %v", acc.ID, errs)
		}
		ev := domain.Evaluate(&acc, today, cfg)
		prios[ev.Priority]++
		tiers[ev.Tier.Tier]++
		stages[ev.Renewal.Stage]++
		for _, o := range ev.Opportunities {
			motions[o.Motion]++
		}
		owners[acc.Owner] = true
	}
	if len(a) != 250 || len(owners) != 8 {
		t.Errorf("accounts %d owners %d", len(a), len(owners))
	}
	for _, p := range []domain.Priority{domain.PriorityTop, domain.PriorityHigh, domain.PriorityMedium, domain.PriorityDecision} {
		if prios[p] == 0 {
			t.Errorf("no %s accounts: %v", p, prios)
		}
	}
	for _, tr := range []int{1, 2, 3} {
		if tiers[tr] == 0 {
			t.Errorf("no tier %d: %v", tr, tiers)
		}
	}
	for _, s := range []domain.Stage{domain.StageEarly, domain.StageGauge, domain.StageShowcase, domain.StageFinalize, domain.StageOverdue} {
		if stages[s] == 0 {
			t.Errorf("no %s stage: %v", s, stages)
		}
	}
	for _, m := range append(domain.Motions, domain.MotionAdoptionFirst) {
		if motions[m] == 0 {
			t.Errorf("no %s trigger: %v", m, motions)
		}
	}
}
