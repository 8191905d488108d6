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

// EvaluateOptions chooses what an evaluation spells out.
type EvaluateOptions struct {
	// Explain fills the text a CSM reads: each health reason's label and
	// evidence, the tier, priority and rank reasons, the escalations' why
	// and the action's text. Without it every number, band, tier,
	// priority, escalation rule, opportunity and rank key is the same, at a
	// fraction of the cost: a replay evaluates the book twice a week and
	// shows none of the text.
	Explain bool
	// Record fills only the text a stored evaluation keeps (RecordOf: the
	// priority and rank reasons, the action) and leaves out the health
	// reasons' labels and evidence and the tier's reason, which it does
	// not: the evaluator re-evaluates an account on every change to it.
	Record bool
}

// Evaluate applies every rule to a on today, with the full explanation.
// a must be normalised.
func Evaluate(a *Account, today Date, cfg Config) Evaluation {
	return EvaluateWith(a, today, cfg, EvaluateOptions{Explain: true})
}

// EvaluateWith applies every rule to a on today; o says what to spell out.
func EvaluateWith(a *Account, today Date, cfg Config, o EvaluateOptions) Evaluation {
	x, hx := o.Explain || o.Record, o.Explain // hx: the health and tier text
	a, check := WithBilling(a, cfg.Billing)
	e := Evaluation{ARRCheck: check, AccountID: a.ID, Name: a.Name, Owner: a.Owner, ARR: a.Money(a.ARR), Today: today,
		DataChangedAt: a.DataChangedAt, DataSource: a.DataSource}
	e.Health = scoreHealth(a, today, cfg.Health, hx)
	e.Tier = assignTier(a, e.Health, cfg.Tiers, hx)
	e.Priority, e.PriorityReason = prioritize(e.Health, cfg.Priority, x)
	e.Renewal = assessRenewal(a, e.Health, e.Tier.Tier, today, cfg, x)
	days := -1
	if !a.RenewalDate.IsZero() {
		days = e.Renewal.DaysToRenewal
	}
	e.Opportunities = findOpportunities(a, e.Health, today, days, cfg, x)
	e.Action = recommend(&e, x)
	if e.Escalations = escalate(a, &e, cfg, x); len(e.Escalations) > 0 {
		if e.Priority == PriorityMedium || e.Priority == PriorityTop {
			// Renewal risk overrides revenue: the seed's case study is this account.
			e.Priority = PriorityHigh
			e.Action = escalationAction(a, &e, e.Escalations, cfg, x)
			if x {
				e.PriorityReason = "raised to HIGH (renewal risk overrides revenue): " + whys(e.Escalations)
			}
		} else if x {
			e.PriorityReason += "; also " + whys(e.Escalations)
		}
	}
	e.Impact = ComputeImpact(a, &e, cfg.Priority)
	if x {
		e.RankReason = rankReason(a, &e)
	}
	return e
}

func whys(es []Escalation) string {
	ws := make([]string, len(es))
	for i, x := range es {
		ws[i] = x.Why
	}
	return strings.Join(ws, "; ")
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
