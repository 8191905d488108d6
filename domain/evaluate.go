package domain

import (
	"strings"
	"time"
)

// Evaluation is everything the rules say about one account on one day.
type Evaluation struct {
	AccountID      string        `json:"id"`
	Name           string        `json:"name"`
	Owner          string        `json:"owner"`
	ARR            Money         `json:"arr"`
	Today          Date          `json:"today"`
	Health         Health        `json:"health"`
	Tier           TierResult    `json:"tier"`
	Priority       Priority      `json:"priority"`
	PriorityReason string        `json:"priority_reason"`
	Renewal        RenewalStatus `json:"renewal"`
	Opportunities  []Opportunity `json:"opportunities"`
	Action         Action        `json:"action"`
	// Escalations are the renewal-aware rules that fired (see Escalate).
	Escalations []Escalation `json:"escalations,omitempty"`
	// Impact is the expected ARR impact the daily top-N ranks by, and
	// RankReason says it in one line.
	Impact     Impact `json:"impact"`
	RankReason string `json:"rank_reason"`
	// ARRCheck compares the book's ARR with billing's (nil without a
	// billing feed); ARR above is the one the configured source gives.
	ARRCheck *ARRCheck `json:"arr_check,omitempty"`
	// DataChangedAt and DataSource are the account's data stamp, so a
	// ranked list can flag stale rows (AgeOf).
	DataChangedAt time.Time `json:"data_changed_at,omitzero"`
	DataSource    string    `json:"data_source,omitempty"`
}

// Evaluate applies every rule to a on today. a must be normalised.
func Evaluate(a *Account, today Date, cfg Config) Evaluation {
	a, check := WithBilling(a, cfg.Billing)
	e := Evaluation{ARRCheck: check, AccountID: a.ID, Name: a.Name, Owner: a.Owner, ARR: a.Money(a.ARR), Today: today,
		DataChangedAt: a.DataChangedAt, DataSource: a.DataSource}
	e.Health = ScoreHealth(a, today, cfg.Health)
	e.Tier = AssignTier(a, e.Health, cfg.Tiers)
	e.Priority, e.PriorityReason = Prioritize(e.Health, cfg.Priority)
	e.Renewal = AssessRenewal(a, e.Health, e.Tier.Tier, today, cfg)
	days := -1
	if !a.RenewalDate.IsZero() {
		days = e.Renewal.DaysToRenewal
	}
	e.Opportunities = FindOpportunities(a, e.Health, today, days, cfg)
	e.Action = recommend(&e)
	if e.Escalations = Escalate(a, &e, cfg); len(e.Escalations) > 0 {
		whys := make([]string, len(e.Escalations))
		for i, x := range e.Escalations {
			whys[i] = x.Why
		}
		if e.Priority == PriorityMedium || e.Priority == PriorityTop {
			// Renewal risk overrides revenue: the seed's case study is this account.
			e.Priority = PriorityHigh
			e.PriorityReason = "raised to HIGH (renewal risk overrides revenue): " + strings.Join(whys, "; ")
			e.Action = escalationAction(a, &e, e.Escalations, cfg)
		} else {
			e.PriorityReason += "; also " + strings.Join(whys, "; ")
		}
	}
	e.Impact = ComputeImpact(a, &e, cfg.Priority)
	e.RankReason = rankReason(a, &e)
	return e
}

// BestOpportunity returns the revenue opportunity with the largest uplift
// that is not on hold, or nil.
func (e *Evaluation) BestOpportunity() *Opportunity {
	for i := range e.Opportunities {
		o := &e.Opportunities[i]
		if !o.Hold && o.Motion != MotionAdoptionFirst && o.Uplift > 0 {
			return o
		}
	}
	for i := range e.Opportunities {
		o := &e.Opportunities[i]
		if !o.Hold && o.Motion != MotionAdoptionFirst {
			return o
		}
	}
	return nil
}

// MetReasons returns the reasons that gave or took points.
func (h Health) MetReasons() []Reason {
	var out []Reason
	for _, r := range h.Reasons {
		if r.Met && r.Points != 0 {
			out = append(out, r)
		}
	}
	return out
}
