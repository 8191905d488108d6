package domain

import (
	"fmt"
	"math"
)

// Impact is an account's expected ARR impact, the key of "who needs you
// today": the ARR at risk weighted by how soon the renewal decides it, plus
// the best expansion uplift weighted by how likely it is.
type Impact struct {
	Total         int64   `json:"total_minor"`
	AtRisk        int64   `json:"at_risk_minor"`   // ARR × share at risk × urgency
	RiskPct       float64 `json:"risk_pct"`        // share of ARR at risk
	UrgencyPct    float64 `json:"urgency_pct"`     // how soon the renewal decides it
	Expansion     int64   `json:"expansion_minor"` // uplift × confidence
	ConfidencePct float64 `json:"confidence_pct"`
	// Override: a red renewal inside the lead time on a tier at or above
	// renewal_override_max_tier ranks ahead of every other account
	// ("renewal risk overrides revenue").
	Override bool `json:"override"`
}

// ComputeImpact computes e's expected ARR impact (ours: the seeds rank by
// class, not by amount). The share at risk is the larger of the readiness
// colour's and the retention-risk band's (`at_risk_pct`: red/high 50%,
// yellow/medium 20%, green/low 5%). Urgency falls from 100% on the renewal
// date to 50% at the tier's lead time and on as lead ÷ days beyond it;
// without a renewal date it is `no_renewal_urgency_pct` (25%). The
// expansion part is the best opportunity not on hold × a confidence by
// revenue-potential band (`expansion_confidence_pct` 50/25/10%).
func ComputeImpact(a *Account, e *Evaluation, cfg PriorityConfig) Impact {
	var im Impact
	im.RiskPct = cfg.AtRiskPct[2]
	if i, ok := readinessIndex(e.Renewal.Readiness); ok {
		im.RiskPct = cfg.AtRiskPct[i]
	}
	if i, ok := bandIndex(e.Health.RiskBand); ok {
		im.RiskPct = math.Max(im.RiskPct, cfg.AtRiskPct[i])
	}
	r := e.Renewal
	lead := float64(max(e.Tier.RenewalLeadDays, 1))
	switch d := float64(r.DaysToRenewal); {
	case r.RenewalDate.IsZero():
		im.UrgencyPct = cfg.NoRenewalUrgencyPct
	case d <= 0:
		im.UrgencyPct = 100
	case d <= lead:
		im.UrgencyPct = 100 - 50*d/lead
	default:
		im.UrgencyPct = 50 * lead / d
	}
	im.UrgencyPct = round1(im.UrgencyPct)
	im.AtRisk = MulDiv(a.ARR, int64(math.Round(im.RiskPct*im.UrgencyPct)), 10000)
	if o := e.BestOpportunity(); o != nil && o.Uplift > 0 {
		im.ConfidencePct = cfg.ExpansionConfidencePct[2]
		if i, ok := bandIndex(e.Health.PotentialBand); ok {
			im.ConfidencePct = cfg.ExpansionConfidencePct[i]
		}
		im.Expansion = MulDiv(o.Uplift, int64(math.Round(im.ConfidencePct*100)), 10000)
	}
	im.Total = im.AtRisk + im.Expansion
	im.Override = r.Readiness == Red && InsideLead(e) && e.Tier.Tier <= cfg.RenewalOverrideMaxTier
	return im
}

// readinessIndex is r's place in the [red, yellow, green] settings.
func readinessIndex(r Readiness) (int, bool) {
	switch r {
	case Red:
		return 0, true
	case Yellow:
		return 1, true
	case Green:
		return 2, true
	}
	return 0, false
}

// bandIndex is b's place in the [high, medium, low] settings.
func bandIndex(b Band) (int, bool) {
	switch b {
	case BandHigh:
		return 0, true
	case BandMedium:
		return 1, true
	case BandLow:
		return 2, true
	}
	return 0, false
}

// rankReason says in one line why the account ranks where it does.
func rankReason(a *Account, e *Evaluation) string {
	im := e.Impact
	s := fmt.Sprintf("%s expected ARR impact: %s ARR × %s at risk (readiness %s, %s risk)",
		a.Money(im.Total).Short(), e.ARR.Short(), pct(im.RiskPct), e.Renewal.Readiness, e.Health.RiskBand)
	switch r := e.Renewal; {
	case r.RenewalDate.IsZero():
		s += fmt.Sprintf(" × %s urgency (no renewal date)", pct(im.UrgencyPct))
	case r.DaysToRenewal < 0:
		s += fmt.Sprintf(" × %s urgency (renewal %d days overdue)", pct(im.UrgencyPct), -r.DaysToRenewal)
	default:
		s += fmt.Sprintf(" × %s urgency (renewal in %d days)", pct(im.UrgencyPct), r.DaysToRenewal)
	}
	if im.Expansion > 0 {
		o := e.BestOpportunity()
		s += fmt.Sprintf(" + %s %s × %s confidence", a.Money(o.Uplift).Short(), o.Title, pct(im.ConfidencePct))
	}
	if im.Override {
		s = fmt.Sprintf("Red Tier %d renewal inside its lead time — renewal risk overrides revenue; ", e.Tier.Tier) + s
	}
	return s
}
