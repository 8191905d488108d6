package domain

import (
	"strings"
	"testing"
)

// The seed's "Combined Health Score Prioritization" table.
func TestPrioritizeSeedExamples(t *testing.T) {
	cfg := DefaultConfig()
	tests := []struct {
		name       string
		e, p, r    int
		combined   int
		eb, pb, rb Band
		want       Priority
	}{
		{"Account A", 22, 25, -5, 42, BandHigh, BandHigh, BandLow, PriorityTop},
		{"Account B", 8, 12, -25, -5, BandLow, BandMedium, BandHigh, PriorityHigh},
		{"Account C", 18, 8, -8, 18, BandMedium, BandLow, BandLow, PriorityMedium},
		{"Account D", 5, 5, -30, -20, BandLow, BandLow, BandHigh, PriorityDecision},
	}
	for _, tt := range tests {
		eb, pb, rb := cfg.Health.Bands(tt.e, tt.p, tt.r)
		if eb != tt.eb || pb != tt.pb || rb != tt.rb {
			t.Errorf("%s bands = %s/%s/%s, want %s/%s/%s", tt.name, eb, pb, rb, tt.eb, tt.pb, tt.rb)
		}
		h := Health{Engagement: tt.e, RevenuePotential: tt.p, RetentionRisk: tt.r, Combined: tt.e + tt.p + tt.r, EngagementBand: eb, PotentialBand: pb, RiskBand: rb}
		if h.Combined != tt.combined {
			t.Errorf("%s combined = %d, want %d", tt.name, h.Combined, tt.combined)
		}
		if got, why := Prioritize(h, cfg.Priority); got != tt.want || why == "" {
			t.Errorf("%s = %s (%s), want %s", tt.name, got, why, tt.want)
		}
	}
}

func TestPrioritizeEdges(t *testing.T) {
	cfg := DefaultConfig()
	mk := func(e, p, r int) Health {
		eb, pb, rb := cfg.Health.Bands(e, p, r)
		return Health{Engagement: e, RevenuePotential: p, RetentionRisk: r, Combined: e + p + r, EngagementBand: eb, PotentialBand: pb, RiskBand: rb}
	}
	tests := []struct {
		name string
		h    Health
		want Priority
	}{
		{"combined exactly -15 at high risk is a decision", mk(5, 5, -25), PriorityDecision},
		{"combined -14 at high risk is high", mk(5, 6, -25), PriorityHigh},
		{"medium risk with low engagement is high", mk(5, 20, -15), PriorityHigh},
		{"medium risk with medium engagement is medium", mk(10, 20, -15), PriorityMedium},
		{"healthy, high potential, low engagement is medium", mk(5, 20, 0), PriorityMedium},
		{"healthy, potential exactly 20, engagement 10 is top", mk(10, 20, -10), PriorityTop},
	}
	for _, tt := range tests {
		if got, _ := Prioritize(tt.h, cfg.Priority); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestTiers(t *testing.T) {
	cfg := DefaultConfig().Tiers
	low := Health{RiskBand: BandLow}
	high := Health{RiskBand: BandHigh, RetentionRisk: -25}
	tests := []struct {
		name      string
		arr       int64
		potential int64
		h         Health
		want, by  int
	}{
		{"exactly $100K is Tier 1", 100_000_00, 0, low, 1, 1},
		{"$99,999.99 is Tier 2", 99_999_99, 0, low, 2, 2},
		{"exactly $25K is Tier 2", 25_000_00, 0, low, 2, 2},
		{"$24,999 is Tier 3", 24_999_00, 0, low, 3, 3},
		{"$50K with $200K potential is lifted to Tier 1", 50_000_00, 200_000_00, low, 1, 2},
		{"$50K with $99K potential stays Tier 2", 50_000_00, 99_000_00, low, 2, 2},
		{"high risk raises Tier 3 to Tier 2", 10_000_00, 0, high, 2, 3},
		{"high risk keeps Tier 1 at Tier 1", 500_000_00, 0, high, 1, 1},
	}
	for _, tt := range tests {
		a := &Account{ARR: tt.arr, Currency: "USD", ExpansionPotential: tt.potential}
		r := AssignTier(a, tt.h, cfg)
		if r.Tier != tt.want || r.ByARR != tt.by || r.Reason == "" {
			t.Errorf("%s: tier %d (by ARR %d, %q), want %d (%d)", tt.name, r.Tier, r.ByARR, r.Reason, tt.want, tt.by)
		}
	}
	r := AssignTier(&Account{ARR: 10_000_00, Currency: "USD"}, low, cfg)
	if r.CadenceDays != 0 || r.RenewalLeadDays != 60 {
		t.Errorf("tier 3 cadence/lead = %d/%d", r.CadenceDays, r.RenewalLeadDays)
	}
	r = AssignTier(&Account{ARR: 200_000_00, Currency: "USD"}, low, cfg)
	if r.CadenceDays != 30 || r.RenewalLeadDays != 180 {
		t.Errorf("tier 1 cadence/lead = %d/%d", r.CadenceDays, r.RenewalLeadDays)
	}
	// Thresholds apply in the account's own minor units.
	if r := AssignTier(&Account{ARR: 100_000, Currency: "JPY"}, low, cfg); r.Tier != 1 {
		t.Errorf("JPY 100,000 = tier %d", r.Tier)
	}
}

func TestRecommendedActions(t *testing.T) {
	cfg := DefaultConfig()
	// A healthy account with a fired trigger gets an expansion call.
	a := baseAccount()
	a.FeaturesAdopted = 8
	a.Usage = weekly(today, 14, 100, 150, 1000, 1500, 0)
	a.BudgetConfirmed, a.CompanyGrowing = true, true
	a.Stakeholders = []Stakeholder{{Name: "Cleo", Executive: true, LastContact: today}}
	e := Evaluate(a, today, cfg)
	if e.Priority != PriorityTop || e.Action.Kind != ActionExpansionCall {
		t.Errorf("top account: %s %+v", e.Priority, e.Action)
	}
	// A champion departure drives the risk plan.
	b := baseAccount()
	b.Usage = weekly(today, 14, 100, 90, 10000, 5000, 6)
	b.Stakeholders = []Stakeholder{{Name: "Dana", Champion: true, Left: today.AddDays(-5)}}
	e = Evaluate(b, today, cfg)
	if e.Priority != PriorityDecision || e.Action.Kind != ActionSaveOrLetGo {
		t.Errorf("decision account: %s %+v (%+v)", e.Priority, e.Action, e.Health)
	}
	b.Usage = weekly(today, 14, 100, 100, 10000, 10000, 0)
	b.Signals = []Signal{{Date: today, Kind: SignalCompetitor}}
	b.Stakeholders = append(b.Stakeholders, Stakeholder{Name: "Rex", Champion: true, Left: today.AddDays(-1)})
	e = Evaluate(b, today, cfg)
	if e.Health.RiskBand != BandMedium || e.Action.Kind != ActionRiskMitigation {
		t.Errorf("medium-risk account: %+v %+v", e.Health.RetentionRisk, e.Action)
	}
	// A stable, renewal-ready account at a due milestone gets the renewal action.
	c := baseAccount()
	c.RenewalDate = today.AddDays(30)
	c.FeaturesAdopted = 8
	c.Stakeholders = []Stakeholder{{Name: "Cleo", Executive: true, LastContact: today.AddDays(-10)}}
	e = Evaluate(c, today, cfg)
	if e.Priority != PriorityMedium || e.Action.Kind != ActionRenewal || e.Renewal.Readiness != Green {
		t.Errorf("renewal account: %s %s %+v", e.Priority, e.Renewal.Readiness, e.Action)
	}
	// The same renewal at yellow readiness (no engaged executive) is HIGH:
	// renewal risk inside the lead time.
	c.Stakeholders = nil
	e = Evaluate(c, today, cfg)
	if e.Priority != PriorityHigh || e.Action.Kind != ActionRenewal || !strings.Contains(e.PriorityReason, "readiness yellow") {
		t.Errorf("yellow renewal: %s %q %+v", e.Priority, e.PriorityReason, e.Action)
	}
}
