package domain

import "fmt"

// Priority is the seed's action priority class.
type Priority string

const (
	PriorityTop      Priority = "top"      // TOP PRIORITY: expansion opportunity with a healthy account
	PriorityHigh     Priority = "high"     // HIGH PRIORITY: churn risk needs immediate attention
	PriorityMedium   Priority = "medium"   // MEDIUM PRIORITY: stable, maintain current engagement
	PriorityDecision Priority = "decision" // DECISION POINT: assess if the account is saveable
)

// Label is the seed's wording of the priority.
func (p Priority) Label() string {
	switch p {
	case PriorityTop:
		return "TOP PRIORITY"
	case PriorityHigh:
		return "HIGH PRIORITY"
	case PriorityMedium:
		return "MEDIUM PRIORITY"
	case PriorityDecision:
		return "DECISION POINT"
	}
	return string(p)
}

// Rank orders the classes for the daily top-N: expansion opportunities and
// churn risks first, then decisions, then stable accounts.
func (p Priority) Rank() int {
	switch p {
	case PriorityTop:
		return 0
	case PriorityHigh:
		return 1
	case PriorityDecision:
		return 2
	}
	return 3
}

// Prioritize classifies a health score. The rules, in order:
//  1. high retention risk and combined ≤ decision_max_combined (-15) → DECISION POINT
//  2. high retention risk → HIGH
//  3. medium retention risk with low engagement → HIGH (risk plus nobody using it)
//  4. low retention risk, high revenue potential, engagement not low → TOP
//  5. otherwise → MEDIUM
//
// They reproduce the seed's four example accounts (A top, B high, C medium, D decision).
func Prioritize(h Health, cfg PriorityConfig) (Priority, string) { return prioritize(h, cfg, true) }

// prioritize is Prioritize; without explain the reason is left empty.
func prioritize(h Health, cfg PriorityConfig, explain bool) (Priority, string) {
	say := sayer(explain)
	switch {
	case h.RiskBand == BandHigh && h.Combined <= cfg.DecisionMaxCombined:
		return PriorityDecision, say("high retention risk (%d) and a combined score of %d (at or below %d): assess whether the account is saveable", h.RetentionRisk, h.Combined, cfg.DecisionMaxCombined)
	case h.RiskBand == BandHigh:
		return PriorityHigh, say("high retention risk (%d): churn risk needs immediate attention", h.RetentionRisk)
	case h.RiskBand == BandMedium && h.EngagementBand == BandLow:
		return PriorityHigh, say("medium retention risk (%d) with low engagement (%d)", h.RetentionRisk, h.Engagement)
	case h.RiskBand == BandLow && h.PotentialBand == BandHigh && h.EngagementBand != BandLow:
		return PriorityTop, say("healthy (risk %d, engagement %d) with high revenue potential (%d): expansion opportunity", h.RetentionRisk, h.Engagement, h.RevenuePotential)
	}
	return PriorityMedium, say("stable (combined %d): maintain current engagement", h.Combined)
}

// ActionKind names the kind of recommended next action.
type ActionKind string

const (
	ActionExpansionCall  ActionKind = "expansion_call"
	ActionRiskMitigation ActionKind = "risk_mitigation"
	ActionSaveOrLetGo    ActionKind = "save_or_let_go"
	ActionRenewal        ActionKind = "renewal"
	ActionAdoption       ActionKind = "adoption_plan"
	ActionQBR            ActionKind = "schedule_qbr"
	ActionMaintain       ActionKind = "maintain"
	// The renewal-aware escalations (see Escalate).
	ActionEBR                ActionKind = "executive_business_review"
	ActionValueReview        ActionKind = "value_review"
	ActionCompetitiveDefence ActionKind = "competitive_defence"
)

// Action is the one thing to do next on an account.
type Action struct {
	Kind ActionKind `json:"kind"`
	Text string     `json:"text"`
}

var riskActions = map[string]string{
	"usage_decline": "find out why usage fell and agree a re-adoption plan",
	"high_tickets":  "review the open tickets with support and resolve the pain points before renewal",
	"champion_left": "meet the new stakeholder to restore continuity and re-establish a champion",
	"competitor":    "have the honest competitor conversation: what are they offering that we are not?",
}

// recommend picks the next action from an evaluation's parts.
// Without explain only the kind is set.
func recommend(e *Evaluation, explain bool) Action {
	a := recommendation(e)
	if !explain {
		a.Text = ""
	}
	return a
}

func recommendation(e *Evaluation) Action {
	worst := worstRisk(e.Health)
	switch e.Priority {
	case PriorityDecision:
		return Action{ActionSaveOrLetGo, "Save-or-let-go review with your manager: is the account saveable, and at what cost?"}
	case PriorityHigh:
		if worst != nil {
			return Action{ActionRiskMitigation, "Risk-mitigation plan: " + riskActions[worst.Rule]}
		}
		return Action{ActionRiskMitigation, "Risk-mitigation plan: address the concerns behind the risk score"}
	case PriorityTop:
		if o := e.BestOpportunity(); o != nil {
			return Action{ActionExpansionCall, fmt.Sprintf("Expansion call: %s (%s)", o.Title, o.Evidence)}
		}
		return Action{ActionQBR, "Schedule a strategic QBR to explore expansion"}
	}
	if len(e.Renewal.Due) > 0 {
		m := e.Renewal.Due[0]
		return Action{ActionRenewal, fmt.Sprintf("Renewal in %d days: %s", e.Renewal.DaysToRenewal, m.Title)}
	}
	if e.Health.RiskBand == BandMedium && worst != nil {
		return Action{ActionRiskMitigation, "Address concerns proactively: " + riskActions[worst.Rule]}
	}
	for _, o := range e.Opportunities {
		if o.Motion == MotionAdoptionFirst {
			return Action{ActionAdoption, "Drive adoption before expanding: " + o.Evidence}
		}
	}
	if e.Tier.Tier == 3 {
		return Action{ActionMaintain, "Keep automated engagement; be proactive for the renewal"}
	}
	return Action{ActionQBR, "Stable: maintain cadence and schedule the next QBR"}
}

// worstRisk returns the met retention-risk reason with the largest deduction.
func worstRisk(h Health) *Reason {
	var w *Reason
	for i := range h.Reasons {
		r := &h.Reasons[i]
		if r.Dimension == RetentionRisk && r.Met && r.Points < 0 && (w == nil || r.Points < w.Points) {
			w = r
		}
	}
	return w
}
