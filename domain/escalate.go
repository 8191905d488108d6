package domain

import (
	"fmt"
	"strings"
)

// Escalation is one renewal-aware rule that raised an account to HIGH
// PRIORITY (or would have, had it not already been there).
type Escalation struct {
	Rule string `json:"rule"` // renewal_risk, competitor, executive_gap, decision_maker_never_contacted
	Why  string `json:"why"`
}

// Escalate applies the rules that see the renewal, which the health-score
// classes alone do not: "renewal risk overrides revenue". Each fired rule
// raises a MEDIUM or TOP account to HIGH PRIORITY; DECISION POINT and HIGH
// keep their class. It needs the tier and the renewal status, so Evaluate
// calls it after both.
func Escalate(a *Account, e *Evaluation, cfg Config) []Escalation { return escalate(a, e, cfg, true) }

// escalate is Escalate; without explain each Why is left empty.
func escalate(a *Account, e *Evaluation, cfg Config, explain bool) []Escalation {
	say := sayer(explain)
	pc := cfg.Priority
	var out []Escalation
	r := e.Renewal
	if InsideLead(e) && readinessAtLeast(r.Readiness, pc.RenewalRiskReadiness) {
		var bad []string
		for _, i := range r.Indicators {
			if explain && (i.Status == Red || (i.Status == Yellow && r.Readiness != Red)) {
				bad = append(bad, strings.ToLower(i.Name)+" "+string(i.Status))
			}
		}
		out = append(out, Escalation{"renewal_risk", say("renewal in %d days, inside the Tier %d lead time of %d, readiness %s (%s)",
			r.DaysToRenewal, e.Tier.Tier, e.Tier.RenewalLeadDays, r.Readiness, strings.Join(bad, ", "))})
	}
	if pc.CompetitorRaisesHigh {
		if s, ok := latestSignal(a, SignalCompetitor, e.Today, cfg.Health.SignalRecencyDays); ok {
			out = append(out, Escalation{"competitor", say("a competitor is active (mentioned on %s)", s.Date)})
		}
	}
	execs := activeExecutives(a, e.Today)
	if cad := e.Tier.CadenceDays; e.Tier.Tier <= pc.ExecutiveGapMaxTier && cad > 0 {
		last := NoDate
		for _, s := range execs {
			last = max(last, s.LastContact)
		}
		switch {
		case len(execs) == 0:
			out = append(out, Escalation{"executive_gap", "no executive stakeholder on the account map of a Tier 1 account"})
		case last.IsZero() || last < e.Today.AddDays(-cad):
			ago := "never"
			if !last.IsZero() && explain {
				ago = fmt.Sprintf("last on %s, %d days ago", last, last.DaysUntil(e.Today))
			}
			out = append(out, Escalation{"executive_gap", say("no executive contact within the Tier %d cadence of %d days (%s)", e.Tier.Tier, cad, ago)})
		}
	}
	if e.Tier.Tier <= pc.NeverContactedMaxTier {
		var never []string
		for _, s := range execs {
			if s.LastContact.IsZero() {
				never = append(never, personLabel(s, explain))
			}
		}
		if len(never) > 0 {
			out = append(out, Escalation{"decision_maker_never_contacted", say("decision-maker never contacted: %s", strings.Join(never, ", "))})
		}
	}
	return out
}

// InsideLead reports whether the renewal is due within the tier's renewal
// lead time (or overdue but not yet updated).
func InsideLead(e *Evaluation) bool {
	r := e.Renewal
	return !r.RenewalDate.IsZero() && r.DaysToRenewal <= e.Tier.RenewalLeadDays
}

// readinessAtLeast reports whether got is at least as bad as min ("" never).
func readinessAtLeast(got, min Readiness) bool {
	switch min {
	case Red:
		return got == Red
	case Yellow:
		return got == Red || got == Yellow
	case Green:
		return true
	}
	return false
}

func activeExecutives(a *Account, today Date) []Stakeholder {
	var out []Stakeholder
	for _, s := range a.Stakeholders {
		if s.Executive && s.Active(today) {
			out = append(out, s)
		}
	}
	return out
}

func personLabel(s Stakeholder, explain bool) string {
	if s.Role == "" || !explain {
		return s.Name
	}
	return s.Name + " (" + s.Role + ")"
}

// escalationAction is the seed's prescription for an escalated account, in
// one line: an Executive Business Review with the decision-makers before
// the renewal (case study step 2), a data-backed value review (step 1), and
// competitive defence with what the customer already owns (step 3).
// Without explain only the kind is set.
func escalationAction(a *Account, e *Evaluation, fired []Escalation, cfg Config, explain bool) Action {
	has := func(rule string) bool {
		for _, f := range fired {
			if f.Rule == rule {
				return true
			}
		}
		return false
	}
	var parts []string
	kind := ActionValueReview
	execGap := has("executive_gap") || has("decision_maker_never_contacted")
	if execGap || (has("renewal_risk") && e.Renewal.Stage != StageFinalize) {
		if explain {
			parts = append(parts, ebrText(a, e))
		}
		kind = ActionEBR
	}
	if has("renewal_risk") && e.Renewal.Stage == StageFinalize {
		if explain {
			parts = append(parts, fmt.Sprintf("finalize the renewal in %d days with the decision-maker and handle the objections now", e.Renewal.DaysToRenewal))
		}
		kind = ActionRenewal
	}
	if explain && (has("renewal_risk") || has("competitor")) {
		parts = append(parts, valueReviewText(a, cfg))
	}
	if has("competitor") {
		parts = append(parts, "competitive defence: show the capabilities they already own, ask to defer the competitor's evaluation while activating them, and offer the multi-year consolidation")
		if kind == ActionValueReview {
			kind = ActionCompetitiveDefence
		}
	}
	if !explain {
		return Action{Kind: kind}
	}
	text := strings.Join(parts, "; ")
	return Action{Kind: kind, Text: strings.ToUpper(text[:1]) + text[1:]}
}

// ebrText is the Executive Business Review step of an escalation's action.
func ebrText(a *Account, e *Evaluation) string {
	who := "the decision-makers"
	if ex := activeExecutives(a, e.Today); len(ex) > 0 {
		names := make([]string, 0, len(ex))
		for _, s := range ex {
			if s.LastContact.IsZero() {
				names = append([]string{personLabel(s, true)}, names...) // the never-contacted first
			} else {
				names = append(names, personLabel(s, true))
			}
		}
		who = strings.Join(names, " and ")
	}
	ebr := "Executive Business Review with " + who
	if InsideLead(e) && e.Renewal.DaysToRenewal >= 0 {
		return ebr + fmt.Sprintf(" before the renewal on %s (in %d days)", e.Renewal.RenewalDate, e.Renewal.DaysToRenewal)
	}
	return ebr + " to align on value and long-term goals"
}

// valueReviewText is the value-review step of an escalation's action.
func valueReviewText(a *Account, cfg Config) string {
	value := "a data-backed value review: value delivered, ROI and the plan to activate what they already own"
	if adoption, ok := a.Adoption(); ok {
		value = fmt.Sprintf("a data-backed value review: %d of %d features in use — show value delivered and the plan to activate what they already own", a.FeaturesAdopted, a.FeaturesAvailable)
		if !Underused(adoption, cfg.Triggers) && adoption*100 > cfg.Health.HighAdoptionAbovePct {
			value = "a data-backed value review: value delivered, ROI and peer benchmarks"
		}
	}
	return value
}
