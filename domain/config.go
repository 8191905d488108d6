package domain

import (
	"fmt"
	"strings"
)

// Config holds every threshold and point value the rules use. DefaultConfig
// returns the seeds' numbers; where a seed is vague the default is ours and
// the README says so. Amounts are in major units of the book's currency
// (YAML-friendly); windows are in days.
type Config struct {
	Health     HealthConfig     `yaml:"health" json:"health"`
	Priority   PriorityConfig   `yaml:"priority" json:"priority"`
	Tiers      TierConfig       `yaml:"tiers" json:"tiers"`
	Renewal    RenewalConfig    `yaml:"renewal" json:"renewal"`
	Triggers   TriggerConfig    `yaml:"triggers" json:"triggers"`
	Allocation AllocationConfig `yaml:"allocation" json:"allocation"`
	Access     AccessConfig     `yaml:"access" json:"access"`       // roles and audit retention (access.go)
	Economics  EconomicsConfig  `yaml:"economics" json:"economics"` // account-manager economics (economics.go)

	Billing BillingConfig `yaml:"billing" json:"billing"` // billing.go
	// StaleAfterDays: an account whose data last changed longer ago is
	// flagged on its cards and in `portfolio top` (freshness.go).
	StaleAfterDays int `yaml:"stale_after_days" json:"stale_after_days"`
}

// HealthConfig: the three-dimensional health score.
type HealthConfig struct {
	// Engagement (0..25 with the defaults).
	ActiveUsersUpPoints  int     `yaml:"active_users_up_points" json:"active_users_up_points"`
	ActiveUsersUpWindow  int     `yaml:"active_users_up_window_days" json:"active_users_up_window_days"`
	ActiveUsersUpMinPct  float64 `yaml:"active_users_up_min_pct" json:"active_users_up_min_pct"`
	HighAdoptionPoints   int     `yaml:"high_adoption_points" json:"high_adoption_points"`
	HighAdoptionAbovePct float64 `yaml:"high_adoption_above_pct" json:"high_adoption_above_pct"`
	UserGrowthPoints     int     `yaml:"user_growth_points" json:"user_growth_points"`
	UserGrowthWindow     int     `yaml:"user_growth_window_days" json:"user_growth_window_days"`
	UserGrowthMinPct     float64 `yaml:"user_growth_min_pct" json:"user_growth_min_pct"`
	EngagementHighMin    int     `yaml:"engagement_high_min" json:"engagement_high_min"`
	EngagementMediumMin  int     `yaml:"engagement_medium_min" json:"engagement_medium_min"`
	// Revenue potential (0..30).
	WhitespacePoints     int     `yaml:"whitespace_points" json:"whitespace_points"`
	WhitespaceBelowPct   float64 `yaml:"whitespace_below_pct" json:"whitespace_below_pct"`
	BudgetPoints         int     `yaml:"budget_points" json:"budget_points"`
	GrowingPoints        int     `yaml:"company_growing_points" json:"company_growing_points"`
	ExecutivePoints      int     `yaml:"executive_engaged_points" json:"executive_engaged_points"`
	ExecutiveContactDays int     `yaml:"executive_contact_days" json:"executive_contact_days"`
	PotentialHighMin     int     `yaml:"potential_high_min" json:"potential_high_min"`
	PotentialMediumMin   int     `yaml:"potential_medium_min" json:"potential_medium_min"`
	// Retention risk (0..-40; points are written as positive deductions).
	UsageDeclinePoints   int     `yaml:"usage_decline_points" json:"usage_decline_points"`
	UsageDeclineWindow   int     `yaml:"usage_decline_window_days" json:"usage_decline_window_days"`
	UsageDeclineMinPct   float64 `yaml:"usage_decline_min_pct" json:"usage_decline_min_pct"`
	TicketsPoints        int     `yaml:"high_tickets_points" json:"high_tickets_points"`
	TicketsWindow        int     `yaml:"tickets_window_days" json:"tickets_window_days"`
	TicketsHighCount     int     `yaml:"tickets_high_count" json:"tickets_high_count"`
	TicketsSpikeRatio    float64 `yaml:"tickets_spike_ratio" json:"tickets_spike_ratio"`
	TicketsSpikeMinCount int     `yaml:"tickets_spike_min_count" json:"tickets_spike_min_count"`
	// A ticket trend (spike or "rising") needs the windows before the
	// latest one to cover at least this many days (ours).
	TicketsMinHistoryDays int     `yaml:"tickets_min_history_days" json:"tickets_min_history_days"`
	TicketsRisingRatio    float64 `yaml:"tickets_rising_ratio" json:"tickets_rising_ratio"`
	ChampionLeftPoints    int     `yaml:"champion_left_points" json:"champion_left_points"`
	CompetitorPoints      int     `yaml:"competitor_points" json:"competitor_points"`
	SignalRecencyDays     int     `yaml:"signal_recency_days" json:"signal_recency_days"`
	RiskLowMin            int     `yaml:"risk_low_min" json:"risk_low_min"`       // -10: 0..-10 is low risk
	RiskMediumMin         int     `yaml:"risk_medium_min" json:"risk_medium_min"` // -20: -11..-20 is medium
	HiringSignalDays      int     `yaml:"hiring_signal_days" json:"hiring_signal_days"`

	// Ticket and billing feed rules (support.go, billing.go).
	SupportHealth `yaml:",inline"`
	BillingHealth `yaml:",inline"`
}

// PriorityConfig: how the combined score maps to an action priority.
type PriorityConfig struct {
	// An account at high retention risk whose combined score is at or
	// below this is a DECISION POINT (assess whether it is saveable).
	DecisionMaxCombined int `yaml:"decision_max_combined" json:"decision_max_combined"`
	TopN                int `yaml:"top_n" json:"top_n"`

	// Renewal-aware escalations to HIGH PRIORITY (ours: the seed states the
	// principle, "renewal risk overrides revenue", not the thresholds).
	// Readiness at least this bad ("yellow", "red"; "" off) inside the
	// tier's renewal lead time raises the account.
	RenewalRiskReadiness Readiness `yaml:"renewal_risk_readiness" json:"renewal_risk_readiness"`
	// A competitor signal within health.signal_recency_days raises it.
	CompetitorRaisesHigh bool `yaml:"competitor_raises_high" json:"competitor_raises_high"`
	// No executive contact within the tier's cadence, on tiers up to this (0 off).
	ExecutiveGapMaxTier int `yaml:"executive_gap_max_tier" json:"executive_gap_max_tier"`
	// An executive (decision-maker) never contacted, on tiers up to this (0 off).
	NeverContactedMaxTier int `yaml:"never_contacted_max_tier" json:"never_contacted_max_tier"`

	// Ranking by expected ARR impact (ours).
	// Share of ARR at risk by readiness red/yellow/green (and by retention
	// risk band high/medium/low, whichever is larger).
	AtRiskPct [3]float64 `yaml:"at_risk_pct" json:"at_risk_pct"`
	// Urgency of an account without a renewal date.
	NoRenewalUrgencyPct float64 `yaml:"no_renewal_urgency_pct" json:"no_renewal_urgency_pct"`
	// Confidence in the best expansion uplift by revenue-potential band high/medium/low.
	ExpansionConfidencePct [3]float64 `yaml:"expansion_confidence_pct" json:"expansion_confidence_pct"`
	// A red renewal inside the lead time on tiers up to this ranks ahead of
	// every other account, whatever its amount (0 off).
	RenewalOverrideMaxTier int `yaml:"renewal_override_max_tier" json:"renewal_override_max_tier"`
}

// TierConfig: segmentation thresholds, cadences and renewal lead times.
type TierConfig struct {
	Tier1MinARR         int64  `yaml:"tier1_min_arr" json:"tier1_min_arr"`
	Tier2MinARR         int64  `yaml:"tier2_min_arr" json:"tier2_min_arr"`
	ExpansionLiftMin    int64  `yaml:"expansion_lift_min" json:"expansion_lift_min"`
	HighRiskRaisesTouch bool   `yaml:"high_risk_raises_touch" json:"high_risk_raises_touch"`
	CadenceDays         [3]int `yaml:"cadence_days" json:"cadence_days"`
	RenewalLeadDays     [3]int `yaml:"renewal_lead_days" json:"renewal_lead_days"`
}

// RenewalConfig: the proactive renewal playbook.
type RenewalConfig struct {
	MilestoneDays    []int `yaml:"milestone_days" json:"milestone_days"` // 180, 90, 30
	ReadinessWindow  int   `yaml:"readiness_window_days" json:"readiness_window_days"`
	RedMinIndicators int   `yaml:"red_min_indicators" json:"red_min_indicators"`
	DueGraceDays     int   `yaml:"due_grace_days" json:"due_grace_days"`
}

// TriggerConfig: the Expansion Trigger Playbook.
type TriggerConfig struct {
	TierUpgradeAdoptionPct float64  `yaml:"tier_upgrade_adoption_pct" json:"tier_upgrade_adoption_pct"`
	LimitWarnPct           float64  `yaml:"limit_warn_pct" json:"limit_warn_pct"`
	SeatsNearFullPct       float64  `yaml:"seats_near_full_pct" json:"seats_near_full_pct"`
	HiringMinHeadcount     int      `yaml:"hiring_min_headcount" json:"hiring_min_headcount"`
	AdoptionFirstBelowPct  float64  `yaml:"adoption_first_below_pct" json:"adoption_first_below_pct"`
	MultiYearWithinDays    int      `yaml:"multi_year_within_days" json:"multi_year_within_days"`
	MultiYearYears         int      `yaml:"multi_year_years" json:"multi_year_years"`
	PriceIncreaseMinPct    float64  `yaml:"price_increase_min_pct" json:"price_increase_min_pct"`
	PriceIncreaseMaxPct    float64  `yaml:"price_increase_max_pct" json:"price_increase_max_pct"`
	PriceIncreaseWithin    int      `yaml:"price_increase_within_days" json:"price_increase_within_days"`
	UpsellUpliftPct        float64  `yaml:"upsell_uplift_pct" json:"upsell_uplift_pct"`
	CrossSellUpliftPct     float64  `yaml:"cross_sell_uplift_pct" json:"cross_sell_uplift_pct"`
	UsageUpliftPct         float64  `yaml:"usage_uplift_pct" json:"usage_uplift_pct"`
	SeatGrowthPct          float64  `yaml:"seat_growth_pct" json:"seat_growth_pct"`
	SignalDays             int      `yaml:"signal_days" json:"signal_days"`
	Modules                []Module `yaml:"modules" json:"modules"`
}

// Module is a product module or add-on that a stated goal or an
// integration in use can call for (the seed's goal → solution table).
type Module struct {
	Name     string   `yaml:"name" json:"name"`
	Keywords []string `yaml:"keywords" json:"keywords"`
	Motion   Motion   `yaml:"motion" json:"motion"` // cross_sell or upsell
}

// AllocationConfig: time allocation by tier.
type AllocationConfig struct {
	// Relative weight of one account of each tier. 12:3:1 reproduces the
	// seed's example (10/20/20 accounts → 60%/30%/10% of time).
	Weights      [3]float64 `yaml:"weights" json:"weights"`
	HoursPerWeek float64    `yaml:"hours_per_week" json:"hours_per_week"`
}

// DefaultConfig returns the seeds' defaults.
func DefaultConfig() Config {
	return Config{
		Health: HealthConfig{
			ActiveUsersUpPoints: 10, ActiveUsersUpWindow: 30, ActiveUsersUpMinPct: 5,
			HighAdoptionPoints: 10, HighAdoptionAbovePct: 70,
			UserGrowthPoints: 5, UserGrowthWindow: 90, UserGrowthMinPct: 10,
			EngagementHighMin: 20, EngagementMediumMin: 10,
			WhitespacePoints: 10, WhitespaceBelowPct: 50,
			BudgetPoints: 10, GrowingPoints: 5, ExecutivePoints: 5, ExecutiveContactDays: 90,
			PotentialHighMin: 20, PotentialMediumMin: 10,
			UsageDeclinePoints: 15, UsageDeclineWindow: 90, UsageDeclineMinPct: 20,
			TicketsPoints: 10, TicketsWindow: 30, TicketsHighCount: 20, TicketsSpikeRatio: 2, TicketsSpikeMinCount: 5,
			TicketsMinHistoryDays: 30, TicketsRisingRatio: 1.25,
			ChampionLeftPoints: 10, CompetitorPoints: 5, SignalRecencyDays: 90,
			RiskLowMin: -10, RiskMediumMin: -20, HiringSignalDays: 180,
			BillingHealth: DefaultBillingHealth(),
		},
		Priority: PriorityConfig{DecisionMaxCombined: -15, TopN: 5,
			RenewalRiskReadiness: Yellow, CompetitorRaisesHigh: true, ExecutiveGapMaxTier: 1, NeverContactedMaxTier: 2,
			AtRiskPct: [3]float64{50, 20, 5}, NoRenewalUrgencyPct: 25, ExpansionConfidencePct: [3]float64{50, 25, 10},
			RenewalOverrideMaxTier: 1},
		Tiers: TierConfig{
			Tier1MinARR: 100_000, Tier2MinARR: 25_000, ExpansionLiftMin: 100_000,
			HighRiskRaisesTouch: true,
			CadenceDays:         [3]int{30, 56, 0},
			RenewalLeadDays:     [3]int{180, 90, 60},
		},
		Renewal: RenewalConfig{MilestoneDays: []int{180, 90, 30}, ReadinessWindow: 180, RedMinIndicators: 2, DueGraceDays: 7},
		Triggers: TriggerConfig{
			TierUpgradeAdoptionPct: 70, LimitWarnPct: 80, SeatsNearFullPct: 90, HiringMinHeadcount: 10,
			AdoptionFirstBelowPct: 50, MultiYearWithinDays: 180, MultiYearYears: 3,
			PriceIncreaseMinPct: 5, PriceIncreaseMaxPct: 10, PriceIncreaseWithin: 90,
			UpsellUpliftPct: 40, CrossSellUpliftPct: 20, UsageUpliftPct: 15, SeatGrowthPct: 20,
			SignalDays: 180,
			Modules: []Module{
				{Name: "Advanced Analytics", Keywords: []string{"report", "dashboard", "analytics", "tableau", "export"}, Motion: MotionCrossSell},
				{Name: "Compliance & Data Residency", Keywords: []string{"gdpr", "europe", "compliance", "residency", "soc 2", "hipaa"}, Motion: MotionCrossSell},
				{Name: "Native Integrations", Keywords: []string{"zapier", "integration", "connector", "make.com", "workato"}, Motion: MotionCrossSell},
				{Name: "Executive Dashboard", Keywords: []string{"executive", "kpi", "board", "real-time visibility"}, Motion: MotionCrossSell},
				{Name: "Workflow Automation", Keywords: []string{"automat", "workflow", "manual", "approval"}, Motion: MotionCrossSell},
				{Name: "Enterprise tier", Keywords: []string{"scale", "unlimited", "sso", "agents", "api limit"}, Motion: MotionUpsell},
			},
		},
		Allocation:     AllocationConfig{Weights: [3]float64{12, 3, 1}, HoursPerWeek: 40},
		Economics:      DefaultEconomics(),
		Access:         DefaultAccessConfig(),
		Billing:        BillingConfig{ARRSource: ARRFromCRM},
		StaleAfterDays: DefaultStaleAfterDays,
	}
}

// Validate checks every field and returns one EINVALID error naming each
// bad field by its YAML path, or nil. Every section is checked, so one run
// reports all the mistakes in a file rather than the first.
func (c Config) Validate() error {
	var bad []string
	check := func(ok bool, field, format string, args ...any) {
		if !ok {
			bad = append(bad, field+": "+fmt.Sprintf(format, args...))
		}
	}
	c.Health.validate(check)
	c.Tiers.validate(check)
	c.Renewal.validate(check)
	c.Triggers.validate(check)
	c.Allocation.validate(check)
	c.Priority.validate(check)
	c.Access.validate(check)
	c.Economics.validate(check)
	check(c.StaleAfterDays >= 1 && c.StaleAfterDays <= 365, "stale_after_days", "must be 1 to 365 days, got %d", c.StaleAfterDays)

	c.validateFeeds(check)
	if len(bad) > 0 {
		return Errorf(EINVALID, "invalid configuration: %s", strings.Join(bad, "; "))
	}
	return nil
}

// validate checks the health points, windows, percentages and band edges.
func (h HealthConfig) validate(check func(bool, string, string, ...any)) {
	inRange(check, "health.", 0, 100, "must be between 0 and 100 (deductions are written as positive numbers), got %v", []named[int]{
		{"active_users_up_points", h.ActiveUsersUpPoints}, {"high_adoption_points", h.HighAdoptionPoints},
		{"user_growth_points", h.UserGrowthPoints}, {"whitespace_points", h.WhitespacePoints},
		{"budget_points", h.BudgetPoints}, {"company_growing_points", h.GrowingPoints},
		{"executive_engaged_points", h.ExecutivePoints}, {"usage_decline_points", h.UsageDeclinePoints},
		{"high_tickets_points", h.TicketsPoints}, {"champion_left_points", h.ChampionLeftPoints},
		{"competitor_points", h.CompetitorPoints},
	})
	inRange(check, "health.", 1, 3650, "must be between 1 and 3650 days, got %v", []named[int]{
		{"active_users_up_window_days", h.ActiveUsersUpWindow}, {"user_growth_window_days", h.UserGrowthWindow},
		{"executive_contact_days", h.ExecutiveContactDays}, {"usage_decline_window_days", h.UsageDeclineWindow},
		{"tickets_window_days", h.TicketsWindow}, {"signal_recency_days", h.SignalRecencyDays},
		{"hiring_signal_days", h.HiringSignalDays},
	})
	inRange(check, "health.", 0, 100, "must be a percentage between 0 and 100, got %v", []named[float64]{
		{"active_users_up_min_pct", h.ActiveUsersUpMinPct}, {"high_adoption_above_pct", h.HighAdoptionAbovePct},
		{"user_growth_min_pct", h.UserGrowthMinPct}, {"whitespace_below_pct", h.WhitespaceBelowPct},
		{"usage_decline_min_pct", h.UsageDeclineMinPct},
	})
	check(h.EngagementHighMin > h.EngagementMediumMin && h.EngagementMediumMin > 0, "health.engagement_high_min", "bands must satisfy high_min (%d) > medium_min (%d) > 0", h.EngagementHighMin, h.EngagementMediumMin)
	check(h.PotentialHighMin > h.PotentialMediumMin && h.PotentialMediumMin > 0, "health.potential_high_min", "bands must satisfy high_min (%d) > medium_min (%d) > 0", h.PotentialHighMin, h.PotentialMediumMin)
	check(h.RiskLowMin <= 0 && h.RiskMediumMin < h.RiskLowMin, "health.risk_low_min", "risk bands must satisfy 0 >= low_min (%d) > medium_min (%d)", h.RiskLowMin, h.RiskMediumMin)
	check(h.TicketsHighCount >= 1, "health.tickets_high_count", "must be at least 1, got %d", h.TicketsHighCount)
	check(h.TicketsSpikeRatio >= 1, "health.tickets_spike_ratio", "must be at least 1, got %g", h.TicketsSpikeRatio)
	check(h.TicketsSpikeMinCount >= 0, "health.tickets_spike_min_count", "must not be negative")
	check(h.TicketsMinHistoryDays >= 1 && h.TicketsMinHistoryDays <= 3*h.TicketsWindow, "health.tickets_min_history_days", "must be 1 to 3 × tickets_window_days (%d), got %d", 3*h.TicketsWindow, h.TicketsMinHistoryDays)
	check(h.TicketsRisingRatio >= 1, "health.tickets_rising_ratio", "must be at least 1, got %g", h.TicketsRisingRatio)
}

// validate checks the tier thresholds and the per-tier cadences.
func (t TierConfig) validate(check func(bool, string, string, ...any)) {
	check(t.Tier2MinARR > 0 && t.Tier1MinARR > t.Tier2MinARR, "tiers.tier1_min_arr", "must be above tier2_min_arr (%d) which must be positive; got %d", t.Tier2MinARR, t.Tier1MinARR)
	check(t.ExpansionLiftMin >= 0, "tiers.expansion_lift_min", "must not be negative (0 turns the lift off)")
	for i := range 3 {
		check(t.CadenceDays[i] >= 0 && t.CadenceDays[i] <= 366, fmt.Sprintf("tiers.cadence_days[%d]", i), "must be 0 (automated) to 366 days, got %d", t.CadenceDays[i])
		check(t.RenewalLeadDays[i] >= 1 && t.RenewalLeadDays[i] <= 730, fmt.Sprintf("tiers.renewal_lead_days[%d]", i), "must be 1 to 730 days, got %d", t.RenewalLeadDays[i])
	}
}

// validate checks the renewal milestones (furthest first) and windows.
func (r RenewalConfig) validate(check func(bool, string, string, ...any)) {
	check(len(r.MilestoneDays) > 0, "renewal.milestone_days", "needs at least one milestone")
	for i, d := range r.MilestoneDays {
		check(d >= 1 && d <= 730, fmt.Sprintf("renewal.milestone_days[%d]", i), "must be 1 to 730 days, got %d", d)
		if i > 0 {
			check(d < r.MilestoneDays[i-1], fmt.Sprintf("renewal.milestone_days[%d]", i), "milestones must be listed from furthest to nearest, without repeats")
		}
	}
	check(r.ReadinessWindow >= 1 && r.ReadinessWindow <= 730, "renewal.readiness_window_days", "must be 1 to 730 days")
	check(r.RedMinIndicators >= 1 && r.RedMinIndicators <= 4, "renewal.red_min_indicators", "must be 1 to 4, got %d", r.RedMinIndicators)
	check(r.DueGraceDays >= 0 && r.DueGraceDays <= 60, "renewal.due_grace_days", "must be 0 to 60, got %d", r.DueGraceDays)
}

// validate checks the expansion trigger thresholds and the module catalogue.
func (g TriggerConfig) validate(check func(bool, string, string, ...any)) {
	inRange(check, "triggers.", 0, 1000, "must be a percentage between 0 and 1000, got %v", []named[float64]{
		{"tier_upgrade_adoption_pct", g.TierUpgradeAdoptionPct}, {"limit_warn_pct", g.LimitWarnPct},
		{"seats_near_full_pct", g.SeatsNearFullPct}, {"adoption_first_below_pct", g.AdoptionFirstBelowPct},
		{"price_increase_min_pct", g.PriceIncreaseMinPct}, {"price_increase_max_pct", g.PriceIncreaseMaxPct},
		{"upsell_uplift_pct", g.UpsellUpliftPct}, {"cross_sell_uplift_pct", g.CrossSellUpliftPct},
		{"usage_uplift_pct", g.UsageUpliftPct}, {"seat_growth_pct", g.SeatGrowthPct},
	})
	check(g.PriceIncreaseMinPct <= g.PriceIncreaseMaxPct, "triggers.price_increase_min_pct", "must not exceed price_increase_max_pct")
	check(g.MultiYearYears >= 2 && g.MultiYearYears <= 10, "triggers.multi_year_years", "must be 2 to 10, got %d", g.MultiYearYears)
	check(g.HiringMinHeadcount >= 1, "triggers.hiring_min_headcount", "must be at least 1")
	for i, m := range g.Modules {
		check(strings.TrimSpace(m.Name) != "" && len(m.Keywords) > 0, fmt.Sprintf("triggers.modules[%d]", i), "needs a name and at least one keyword")
		check(m.Motion == MotionCrossSell || m.Motion == MotionUpsell, fmt.Sprintf("triggers.modules[%d].motion", i), "must be cross_sell or upsell, got %q", m.Motion)
	}
}

// validate checks the allocation weights and the working week.
func (a AllocationConfig) validate(check func(bool, string, string, ...any)) {
	for i, w := range a.Weights {
		check(w >= 0, fmt.Sprintf("allocation.weights[%d]", i), "must not be negative")
	}
	check(a.Weights[0]+a.Weights[1]+a.Weights[2] > 0, "allocation.weights", "at least one weight must be positive")
	check(a.HoursPerWeek > 0 && a.HoursPerWeek <= 168, "allocation.hours_per_week", "must be between 0 and 168")
}

// validate checks the priority list's size and overrides.
func (p PriorityConfig) validate(check func(bool, string, string, ...any)) {
	check(p.TopN >= 1 && p.TopN <= 50, "priority.top_n", "must be 1 to 50, got %d", p.TopN)
	check(p.RenewalRiskReadiness == "" || p.RenewalRiskReadiness == Yellow || p.RenewalRiskReadiness == Red, "priority.renewal_risk_readiness", `must be "yellow", "red" or "" (off), got %q`, p.RenewalRiskReadiness)
	for key, v := range map[string]int{"executive_gap_max_tier": p.ExecutiveGapMaxTier, "never_contacted_max_tier": p.NeverContactedMaxTier, "renewal_override_max_tier": p.RenewalOverrideMaxTier} {
		check(v >= 0 && v <= 3, "priority."+key, "must be 0 (off) to 3, got %d", v)
	}
	for i := range 3 {
		check(p.AtRiskPct[i] >= 0 && p.AtRiskPct[i] <= 100, fmt.Sprintf("priority.at_risk_pct[%d]", i), "must be a percentage between 0 and 100, got %g", p.AtRiskPct[i])
		check(p.ExpansionConfidencePct[i] >= 0 && p.ExpansionConfidencePct[i] <= 100, fmt.Sprintf("priority.expansion_confidence_pct[%d]", i), "must be a percentage between 0 and 100, got %g", p.ExpansionConfidencePct[i])
	}
	check(p.NoRenewalUrgencyPct >= 0 && p.NoRenewalUrgencyPct <= 100, "priority.no_renewal_urgency_pct", "must be a percentage between 0 and 100, got %g", p.NoRenewalUrgencyPct)
}

// named is a config value with its YAML key, for range checks.
type named[T int | float64] struct {
	key string
	v   T
}

// inRange checks that every value lies in [lo, hi], naming the bad ones.
func inRange[T int | float64](check func(bool, string, string, ...any), prefix string, lo, hi T, msg string, vals []named[T]) {
	for _, n := range vals {
		check(n.v >= lo && n.v <= hi, prefix+n.key, msg, n.v)
	}
}
