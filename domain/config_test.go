package domain

import (
	"strings"
	"testing"
)

func TestDefaultConfigValid(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestConfigValidateNamesField(t *testing.T) {
	tests := []struct {
		mod   func(c *Config)
		field string
	}{
		{func(c *Config) { c.Health.BudgetPoints = -1 }, "health.budget_points"},
		{func(c *Config) { c.Health.TicketsWindow = 0 }, "health.tickets_window_days"},
		{func(c *Config) { c.Health.EngagementHighMin = 5 }, "health.engagement_high_min"},
		{func(c *Config) { c.Health.RiskMediumMin = -5 }, "health.risk_low_min"},
		{func(c *Config) { c.Tiers.Tier1MinARR = 10 }, "tiers.tier1_min_arr"},
		{func(c *Config) { c.Renewal.MilestoneDays = []int{30, 90} }, "renewal.milestone_days[1]"},
		{func(c *Config) { c.Renewal.MilestoneDays = nil }, "renewal.milestone_days"},
		{func(c *Config) { c.Triggers.PriceIncreaseMinPct = 20 }, "triggers.price_increase_min_pct"},
		{func(c *Config) { c.Triggers.Modules[0].Motion = "seats" }, "triggers.modules[0].motion"},
		{func(c *Config) { c.Allocation.Weights = [3]float64{} }, "allocation.weights"},
		{func(c *Config) { c.Priority.TopN = 0 }, "priority.top_n"},
		{func(c *Config) { c.Priority.RenewalRiskReadiness = "amber" }, "priority.renewal_risk_readiness"},
		{func(c *Config) { c.Priority.ExecutiveGapMaxTier = 4 }, "priority.executive_gap_max_tier"},
		{func(c *Config) { c.Priority.AtRiskPct[1] = 120 }, "priority.at_risk_pct[1]"},
		{func(c *Config) { c.Priority.ExpansionConfidencePct[0] = -1 }, "priority.expansion_confidence_pct[0]"},
		{func(c *Config) { c.Health.TicketsMinHistoryDays = 0 }, "health.tickets_min_history_days"},
		{func(c *Config) { c.Health.TicketsRisingRatio = 0.5 }, "health.tickets_rising_ratio"},
	}
	for _, tt := range tests {
		c := DefaultConfig()
		tt.mod(&c)
		err := c.Validate()
		if ErrorCode(err) != EINVALID || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("want error naming %s, got %v", tt.field, err)
		}
	}
}

func TestAccountValidate(t *testing.T) {
	a := &Account{ID: "bad id", Owner: "not-an-email", Currency: "usd", FeaturesAvailable: 2, FeaturesAdopted: 3,
		Limits:        []PlanLimit{{Name: "", Limit: 0}},
		Stakeholders:  []Stakeholder{{Name: "X", Function: "legal"}},
		Signals:       []Signal{{Kind: "gossip"}},
		ContractStart: MustDate("2026-01-01"), RenewalDate: MustDate("2025-01-01")}
	errs := a.Validate()
	want := []string{"id", "name", "owner", "currency", "features_adopted", "limits[0].name", "limits[0].limit",
		"stakeholders[0].function", "signals[0].date", "signals[0].kind", "renewal_date"}
	got := map[string]bool{}
	for _, e := range errs {
		got[e.Field] = true
	}
	for _, f := range want {
		if !got[f] {
			t.Errorf("no error for %s in %v", f, errs)
		}
	}
	ok := baseAccount()
	ok.Normalize()
	if errs := ok.Validate(); errs != nil {
		t.Errorf("valid account: %v", errs)
	}
	if err := ValidationError("acme", errs); ErrorCode(err) != EINVALID {
		t.Error("ValidationError code")
	}
}

func TestNormalize(t *testing.T) {
	a := &Account{Owner: " Ana@Example.com ", Currency: "gbp", Usage: []Snapshot{
		{Date: MustDate("2026-02-01"), ActiveUsers: 2}, {Date: MustDate("2026-01-01"), ActiveUsers: 1}, {Date: MustDate("2026-02-01"), ActiveUsers: 3}}}
	a.Normalize()
	if len(a.Usage) != 2 || a.Usage[1].ActiveUsers != 3 || a.Owner != "ana@example.com" || a.Currency != "GBP" {
		t.Errorf("normalize = %+v", a)
	}
	if NormalizeName("ACME, Inc.") != NormalizeName("acme inc") {
		t.Error("NormalizeName must fold punctuation and case")
	}
}
