package domain

import "fmt"

// Dimension is one of the three health dimensions.
type Dimension string

const (
	Engagement       Dimension = "engagement"
	RevenuePotential Dimension = "revenue_potential"
	RetentionRisk    Dimension = "retention_risk"
)

// Band is a dimension's band. For retention risk, "high" means high risk.
type Band string

const (
	BandHigh   Band = "high"
	BandMedium Band = "medium"
	BandLow    Band = "low"
)

// Reason explains one scoring rule: whether it fired, the points it gave
// (negative for risk deductions) and the evidence, so the bot can say why.
type Reason struct {
	Dimension Dimension `json:"dimension"`
	Rule      string    `json:"rule"`
	Label     string    `json:"label"`
	Met       bool      `json:"met"`
	Points    int       `json:"points"`
	Evidence  string    `json:"evidence"`
}

// Health is the three-dimensional health score of an account on a date.
type Health struct {
	Engagement       int      `json:"engagement"`
	RevenuePotential int      `json:"revenue_potential"`
	RetentionRisk    int      `json:"retention_risk"`
	Combined         int      `json:"combined"`
	EngagementBand   Band     `json:"engagement_band"`
	PotentialBand    Band     `json:"revenue_potential_band"`
	RiskBand         Band     `json:"retention_risk_band"`
	Reasons          []Reason `json:"reasons"`
}

// Bands returns the three bands of the given dimension scores under cfg.
func (c HealthConfig) Bands(engagement, potential, risk int) (Band, Band, Band) {
	up := func(v, high, medium int) Band {
		switch {
		case v >= high:
			return BandHigh
		case v >= medium:
			return BandMedium
		}
		return BandLow
	}
	rb := BandHigh
	switch {
	case risk >= c.RiskLowMin:
		rb = BandLow
	case risk >= c.RiskMediumMin:
		rb = BandMedium
	}
	return up(engagement, c.EngagementHighMin, c.EngagementMediumMin), up(potential, c.PotentialHighMin, c.PotentialMediumMin), rb
}

// ScoreHealth computes the health score of a on today.
func ScoreHealth(a *Account, today Date, cfg HealthConfig) Health {
	return scoreHealth(a, today, cfg, true)
}

// healthRules is about how many reasons a score has, to size the slice once.
const healthRules = 14

// scoreHealth is ScoreHealth; without explain each reason's label and
// evidence are left empty (rule, dimension, met and points are kept).
func scoreHealth(a *Account, today Date, cfg HealthConfig, explain bool) Health {
	h := Health{Reasons: make([]Reason, 0, healthRules)}
	say := sayer(explain)
	add := func(dim Dimension, rule, label string, met bool, points int, evidence string) {
		if !met {
			points = 0
		}
		if !explain {
			label, evidence = "", ""
		}
		h.Reasons = append(h.Reasons, Reason{Dimension: dim, Rule: rule, Label: label, Met: met, Points: points, Evidence: evidence})
		switch dim {
		case Engagement:
			h.Engagement += points
		case RevenuePotential:
			h.RevenuePotential += points
		case RetentionRisk:
			h.RetentionRisk += points
		}
	}

	// Engagement.
	met, ev := trendOf(a, today, cfg.ActiveUsersUpWindow, "active users", func(s Snapshot) int64 { return int64(s.ActiveUsers) },
		func(p float64) bool { return p >= cfg.ActiveUsersUpMinPct }, explain)
	add(Engagement, "active_users_up", "Active users trending up", met, cfg.ActiveUsersUpPoints, ev)

	adoption, known := a.Adoption()
	ev = "feature counts unknown"
	if known && explain {
		ev = fmt.Sprintf("%d of %d features adopted (%s)", a.FeaturesAdopted, a.FeaturesAvailable, pct(adoption*100))
	}
	add(Engagement, "high_adoption", say("Feature adoption above %s", pctIf(explain, cfg.HighAdoptionAbovePct)),
		known && adoption*100 > cfg.HighAdoptionAbovePct, cfg.HighAdoptionPoints, ev)

	met, ev = trendOf(a, today, cfg.UserGrowthWindow, "active users", func(s Snapshot) int64 { return int64(s.ActiveUsers) },
		func(p float64) bool { return p >= cfg.UserGrowthMinPct }, explain)
	add(Engagement, "user_growth", "User count growing", met, cfg.UserGrowthPoints, ev)

	// Revenue potential.
	ev = "feature counts unknown"
	if known && explain {
		ev = fmt.Sprintf("%s of features used: whitespace to expand into", pct(adoption*100))
		if adoption*100 >= cfg.WhitespaceBelowPct {
			ev = fmt.Sprintf("%s of features used", pct(adoption*100))
		}
	}
	add(RevenuePotential, "whitespace", say("Using under %s of available features", pctIf(explain, cfg.WhitespaceBelowPct)),
		known && adoption*100 < cfg.WhitespaceBelowPct, cfg.WhitespacePoints, ev)
	add(RevenuePotential, "budget", "Budget confirmed for this fiscal year", a.BudgetConfirmed, cfg.BudgetPoints,
		yesNo(a.BudgetConfirmed, "budget confirmed", "budget not confirmed"))
	growing, ev := companyGrowing(a, today, cfg.HiringSignalDays, explain)
	add(RevenuePotential, "company_growing", "Company growing (hiring, revenue increase)", growing, cfg.GrowingPoints, ev)
	exec, ev := executiveEngaged(a, today, cfg.ExecutiveContactDays, explain)
	add(RevenuePotential, "executive_engaged", "Executive stakeholder engaged", exec, cfg.ExecutivePoints, ev)

	// Retention risk (deductions).
	met, ev = trendOf(a, today, cfg.UsageDeclineWindow, "usage", func(s Snapshot) int64 { return s.Usage },
		func(p float64) bool { return p <= -cfg.UsageDeclineMinPct }, explain)
	add(RetentionRisk, "usage_decline", say("Usage declining %s+", pctIf(explain, cfg.UsageDeclineMinPct)), met, -cfg.UsageDeclinePoints, ev)
	met, ev = highTickets(a, today, cfg, explain)
	add(RetentionRisk, "high_tickets", "High support ticket volume", met, -cfg.TicketsPoints, ev)
	if cfg.UrgentTicketsPoints > 0 {
		met, ev = urgentTickets(a, today)
		add(RetentionRisk, "urgent_tickets", "Urgent or high-priority tickets open", met, -cfg.UrgentTicketsPoints, ev)
	}
	scoreBilling(a, today, cfg, add)
	met, ev = championLeft(a, today, cfg.SignalRecencyDays, explain)
	add(RetentionRisk, "champion_left", "Champion left the company", met, -cfg.ChampionLeftPoints, ev)
	sig, ok := latestSignal(a, SignalCompetitor, today, cfg.SignalRecencyDays)
	ev = say("no competitor mentioned in the last %d days", cfg.SignalRecencyDays)
	if ok {
		ev = say("competitor mentioned on %s%s", sig.Date, noteSuffix(sig.Note))
	}
	add(RetentionRisk, "competitor", "Mentioned a competitor", ok, -cfg.CompetitorPoints, ev)

	h.Combined = h.Engagement + h.RevenuePotential + h.RetentionRisk
	h.EngagementBand, h.PotentialBand, h.RiskBand = cfg.Bands(h.Engagement, h.RevenuePotential, h.RetentionRisk)
	return h
}

// pctIf is pct when explaining, else nothing (pct is not free).
func pctIf(explain bool, v float64) string {
	if !explain {
		return ""
	}
	return pct(v)
}
