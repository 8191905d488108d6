package domain

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
)

// Stage is where an account is in the proactive renewal playbook.
type Stage string

const (
	StageUnknown  Stage = "unknown"  // no renewal date
	StageEarly    Stage = "early"    // before the tier's first milestone
	StageGauge    Stage = "gauge"    // 6+ months: gauge intention, align on goals, address risks
	StageShowcase Stage = "showcase" // 3 months: showcase ROI, secure executive alignment
	StageFinalize Stage = "finalize" // 1 month: finalize contract, handle objections
	StageOverdue  Stage = "overdue"  // the renewal date has passed
)

// Readiness is the Renewal Readiness colour.
type Readiness string

const (
	Green  Readiness = "green"
	Yellow Readiness = "yellow"
	Red    Readiness = "red"
)

// Milestone is one renewal milestone with its stage's checklist.
type Milestone struct {
	Days      int      `json:"days"`
	Stage     Stage    `json:"stage"`
	Title     string   `json:"title"`
	Checklist []string `json:"checklist"`
	DueOn     Date     `json:"due_on"`
	Reached   bool     `json:"reached"`
}

var stageInfo = map[Stage]struct {
	title     string
	checklist []string
}{
	StageGauge: {"gauge renewal intention and align on long-term goals", []string{
		"Strategic conversation with the decision-maker about next year's priorities",
		"Assess renewal likelihood: where does the platform fit in next year's tool stack?",
		"Document concerns and build an action plan for each",
		"Plant seeds for expansion opportunities",
	}},
	StageShowcase: {"showcase ROI and secure executive alignment", []string{
		"Build the renewal presentation: value delivered, ROI, peer benchmarks, roadmap",
		"Schedule the Executive Business Review with decision-makers",
		"Address lingering concerns and objections proactively",
		"Introduce the expansion conversation if the data supports it",
	}},
	StageFinalize: {"finalize the contract and handle objections", []string{
		"Send the renewal proposal with clear terms (price, length, scope)",
		"Schedule the final sign-off meeting with the decision-maker",
		"Handle last-minute objections (budget, cheaper competitor, other vendor)",
		"Process the paperwork; follow up within 48 hours of signing",
	}},
}

// StageForDays maps a milestone's distance to its stage, on the seed's
// three boundaries: more than 90 days is the 6-month stage, 31–90 the
// 3-month stage, 30 or fewer the 1-month stage.
func StageForDays(days int) Stage {
	switch {
	case days > 90:
		return StageGauge
	case days > 30:
		return StageShowcase
	}
	return StageFinalize
}

// StageTitle is the one-line description of a stage.
func StageTitle(s Stage) string {
	switch s {
	case StageUnknown:
		return "no renewal date recorded"
	case StageEarly:
		return "before the renewal playbook starts"
	case StageOverdue:
		return "renewal date has passed: update the contract"
	}
	return stageInfo[s].title
}

// StageChecklist returns a copy of a stage's checklist.
func StageChecklist(s Stage) []string { return append([]string(nil), stageInfo[s].checklist...) }

// TierMilestones returns the milestone offsets (days before renewal) for a
// tier: the configured ones within the tier's lead time, plus the lead time
// itself when it is not one of them (Tier 3's 60-day outreach).
func TierMilestones(cfg Config, tier int) []int {
	lead := cfg.Tiers.RenewalLeadDays[tier-1]
	// One allocation: every evaluation calls this (millions in a replay).
	out := make([]int, 1, len(cfg.Renewal.MilestoneDays)+1)
	out[0] = lead
	for _, d := range cfg.Renewal.MilestoneDays {
		if d <= lead {
			out = append(out, d)
		}
	}
	if len(out) > 1 && out[1] == lead {
		out = out[1:] // the lead time is a milestone already
	}
	slices.SortFunc(out, func(x, y int) int { return cmp.Compare(y, x) })
	return out
}

// Indicator is one of the four renewal-readiness indicators.
type Indicator struct {
	Name     string    `json:"name"`
	Status   Readiness `json:"status"`
	Evidence string    `json:"evidence"`
}

// RenewalStatus is an account's position in the renewal playbook.
type RenewalStatus struct {
	RenewalDate   Date        `json:"renewal_date"`
	DaysToRenewal int         `json:"days_to_renewal"`
	Stage         Stage       `json:"stage"`
	StageTitle    string      `json:"stage_title"`
	Milestones    []Milestone `json:"milestones"`
	Due           []Milestone `json:"due_milestones"`
	InWindow      bool        `json:"in_readiness_window"`
	Readiness     Readiness   `json:"readiness"`
	Indicators    []Indicator `json:"indicators"`
}

// AssessRenewal computes the renewal stage, milestones (due ones are those
// reached within the grace window), and readiness from the four indicators.
func AssessRenewal(a *Account, h Health, tier int, today Date, cfg Config) RenewalStatus {
	return assessRenewal(a, h, tier, today, cfg, true)
}

// assessRenewal is AssessRenewal; without explain the milestones carry no
// checklist and the indicators only part of their evidence.
func assessRenewal(a *Account, h Health, tier int, today Date, cfg Config, explain bool) RenewalStatus {
	r := RenewalStatus{RenewalDate: a.RenewalDate, Stage: StageUnknown}
	r.Indicators = readinessIndicators(a, h, today, cfg, explain)
	if ind, ok := billingIndicator(a, h); ok {
		r.Indicators = append(r.Indicators, ind)
	}
	r.Readiness = overallReadiness(r.Indicators, cfg.Renewal.RedMinIndicators)
	if len(a.Billing.Cancelling()) > 0 { // a strong churn signal: red whatever else holds
		r.Readiness = Red
	}
	if a.RenewalDate.IsZero() {
		r.StageTitle = StageTitle(r.Stage)
		return r
	}
	r.DaysToRenewal = today.DaysUntil(a.RenewalDate)
	r.InWindow = r.DaysToRenewal >= 0 && r.DaysToRenewal <= cfg.Renewal.ReadinessWindow
	r.Stage = StageEarly
	days := TierMilestones(cfg, tier)
	r.Milestones = make([]Milestone, 0, len(days))
	for _, d := range days {
		st := StageForDays(d)
		m := Milestone{Days: d, Stage: st, Title: stageInfo[st].title, DueOn: a.RenewalDate.AddDays(-d)}
		if explain {
			m.Checklist = StageChecklist(st)
		}
		m.Reached = m.DueOn <= today
		if m.Reached && r.DaysToRenewal >= 0 {
			r.Stage = st
			if today.AddDays(-cfg.Renewal.DueGraceDays) <= m.DueOn {
				r.Due = append(r.Due, m)
			}
		}
		r.Milestones = append(r.Milestones, m)
	}
	if r.DaysToRenewal < 0 {
		r.Stage = StageOverdue
	}
	// The most recent due milestone comes first.
	sort.SliceStable(r.Due, func(i, j int) bool { return r.Due[i].Days < r.Due[j].Days })
	r.StageTitle = StageTitle(r.Stage)
	return r
}

func readinessIndicators(a *Account, h Health, today Date, cfg Config, explain bool) []Indicator {
	say := sayer(explain)
	reason := func(rule string) Reason {
		for _, r := range h.Reasons {
			if r.Rule == rule {
				return r
			}
		}
		return Reason{}
	}
	out := make([]Indicator, 0, 5)

	// 1. Feature adoption (and its trend, read from usage).
	adoption, known := a.Adoption()
	decline := reason("usage_decline")
	ind := Indicator{Name: "Feature adoption", Status: Yellow}
	switch {
	case !known:
		ind.Evidence = "feature adoption unknown"
	case decline.Met:
		ind.Status, ind.Evidence = Red, say("%s adoption, %s", pctIf(explain, adoption*100), decline.Evidence)
	case Underused(adoption, cfg.Triggers):
		ind.Status, ind.Evidence = Red, say("adoption %s, at or under %s: ROI in question", pctIf(explain, adoption*100), pctIf(explain, cfg.Triggers.AdoptionFirstBelowPct))
	case adoption*100 > cfg.Health.HighAdoptionAbovePct:
		ind.Status, ind.Evidence = Green, say("adoption %s", pctIf(explain, adoption*100))
	default:
		ind.Evidence = say("adoption %s: room to grow before renewal", pctIf(explain, adoption*100))
	}
	out = append(out, ind)

	// 2. Support ticket volume.
	t := reason("high_tickets")
	ind = Indicator{Name: "Support tickets", Status: Green, Evidence: t.Evidence}
	if t.Met {
		ind.Status = Red
	} else if tt, ok := Tickets(a, today, cfg.Health); ok && tt.Rising(cfg.Health) {
		ind.Status = Yellow
		if explain {
			ind.Evidence = fmt.Sprintf("%d tickets in the %d days to %s, rising: %s a week against %s a week in the %d days before",
				tt.Recent, tt.RecentDays, tt.End, oneDecimal(tt.RecentPerWeek), oneDecimal(tt.PriorPerWeek), tt.PriorDays)
		}
	}
	out = append(out, supportIndicator(a, today, ind))

	// 3. Stakeholder engagement.
	champ, exec := reason("champion_left"), reason("executive_engaged")
	ind = Indicator{Name: "Stakeholder engagement"}
	switch {
	case champ.Met:
		ind.Status, ind.Evidence = Red, champ.Evidence
	case exec.Met:
		ind.Status, ind.Evidence = Green, exec.Evidence
	default:
		ind.Status, ind.Evidence = Yellow, exec.Evidence
	}
	out = append(out, ind)

	// 4. Competitor activity.
	comp := reason("competitor")
	ind = Indicator{Name: "Competitor activity", Status: Green, Evidence: comp.Evidence}
	if comp.Met {
		ind.Status = Red
	} else if s, ok := latestSignal(a, SignalCompetitor, today, 2*cfg.Health.SignalRecencyDays); ok {
		ind.Status = Yellow
		ind.Evidence = say("competitor mentioned on %s%s", s.Date, noteSuffix(s.Note))
	}
	return append(out, ind)
}

func overallReadiness(inds []Indicator, redMin int) Readiness {
	reds, yellows := 0, 0
	for _, i := range inds {
		switch i.Status {
		case Red:
			reds++
		case Yellow:
			yellows++
		}
	}
	switch {
	case reds >= redMin:
		return Red
	case reds > 0 || yellows > 0:
		return Yellow
	}
	return Green
}
