package domain

import (
	"fmt"
	"sort"
)

// ScoreSnapshot is the compact daily record of an evaluation, kept to show
// trends and what changed since last week.
type ScoreSnapshot struct {
	Date             Date     `json:"date"`
	Tier             int      `json:"tier"`
	Engagement       int      `json:"engagement"`
	RevenuePotential int      `json:"revenue_potential"`
	RetentionRisk    int      `json:"retention_risk"`
	Combined         int      `json:"combined"`
	EngagementBand   Band     `json:"engagement_band"`
	PotentialBand    Band     `json:"revenue_potential_band"`
	RiskBand         Band     `json:"retention_risk_band"`
	Priority         Priority `json:"priority"`
	Triggers         []string `json:"triggers,omitempty"`
	// RulesVersion is the rules version that produced the scores (0: from
	// before rules were versioned).
	RulesVersion int `json:"rules_version,omitempty"`
}

// Snapshot condenses an evaluation.
func (e *Evaluation) Snapshot() ScoreSnapshot {
	s := ScoreSnapshot{Date: e.Today, Tier: e.Tier.Tier,
		Engagement: e.Health.Engagement, RevenuePotential: e.Health.RevenuePotential,
		RetentionRisk: e.Health.RetentionRisk, Combined: e.Health.Combined,
		EngagementBand: e.Health.EngagementBand, PotentialBand: e.Health.PotentialBand, RiskBand: e.Health.RiskBand,
		Priority: e.Priority}
	for _, o := range e.Opportunities {
		s.Triggers = append(s.Triggers, o.Trigger)
	}
	sort.Strings(s.Triggers)
	return s
}

// Change is one difference between two snapshots.
type Change struct {
	Kind string `json:"kind"` // tier, band, priority, trigger
	Text string `json:"text"`
}

// Changes lists what changed from prev to cur: tier moves, band moves,
// priority moves and newly fired triggers.
func Changes(prev, cur ScoreSnapshot) []Change {
	var out []Change
	if prev.Tier != cur.Tier {
		out = append(out, Change{"tier", fmt.Sprintf("Tier %d → Tier %d", prev.Tier, cur.Tier)})
	}
	for _, b := range []struct {
		name     string
		old, new Band
	}{
		{"engagement", prev.EngagementBand, cur.EngagementBand},
		{"revenue potential", prev.PotentialBand, cur.PotentialBand},
		{"retention risk", prev.RiskBand, cur.RiskBand},
	} {
		if b.old != b.new {
			out = append(out, Change{"band", fmt.Sprintf("%s %s → %s", b.name, b.old, b.new)})
		}
	}
	if prev.Priority != cur.Priority {
		out = append(out, Change{"priority", fmt.Sprintf("%s → %s", prev.Priority.Label(), cur.Priority.Label())})
	}
	had := map[string]bool{}
	for _, t := range prev.Triggers {
		had[t] = true
	}
	for _, t := range cur.Triggers {
		if !had[t] {
			out = append(out, Change{"trigger", "new trigger: " + t})
		}
	}
	return out
}
