package domain

import (
	"fmt"
	"sort"
)

// Verdict is what one rule set said about an account on one replayed day:
// the parts a rule change can move and a CSM sees.
type Verdict struct {
	Tier       int
	Engagement Band
	Potential  Band
	Risk       Band
	Priority   Priority
}

// VerdictOf condenses an evaluation.
func VerdictOf(e *Evaluation) Verdict {
	return Verdict{Tier: e.Tier.Tier, Engagement: e.Health.EngagementBand, Potential: e.Health.PotentialBand,
		Risk: e.Health.RiskBand, Priority: e.Priority}
}

// BandsDiffer reports whether any of the three bands differ.
func (v Verdict) BandsDiffer(o Verdict) bool {
	return v.Engagement != o.Engagement || v.Potential != o.Potential || v.Risk != o.Risk
}

// AtRisk reports whether the verdict flags churn risk: HIGH or DECISION POINT.
func (v Verdict) AtRisk() bool { return v.Priority == PriorityHigh || v.Priority == PriorityDecision }

// DiffRule names the rule that made the difference between two
// evaluations of the same account on the same day: a health rule whose
// points differ, taken from a dimension whose band moved when one did
// (retention risk first), else the band edges, the tier rules, or the
// priority rules (escalations included).
func DiffRule(cur, cand *Evaluation) string {
	pts := make(map[string]int, len(cur.Health.Reasons))
	for _, r := range cur.Health.Reasons {
		pts[r.Rule] += r.Points
	}
	first := map[Dimension]string{}
	var order []Dimension
	for _, r := range cand.Health.Reasons {
		if pts[r.Rule] != r.Points {
			if _, ok := first[r.Dimension]; !ok {
				first[r.Dimension] = "health." + r.Rule
				order = append(order, r.Dimension)
			}
		}
		delete(pts, r.Rule)
	}
	moved := map[Dimension]bool{
		RetentionRisk:    cur.Health.RiskBand != cand.Health.RiskBand,
		Engagement:       cur.Health.EngagementBand != cand.Health.EngagementBand,
		RevenuePotential: cur.Health.PotentialBand != cand.Health.PotentialBand,
	}
	for _, dim := range []Dimension{RetentionRisk, Engagement, RevenuePotential} {
		if rule, ok := first[dim]; ok && moved[dim] {
			return rule
		}
	}
	if len(order) > 0 {
		return first[order[0]]
	}
	for rule, p := range pts {
		if p != 0 {
			return "health." + rule
		}
	}
	switch {
	case moved[RetentionRisk] || moved[Engagement] || moved[RevenuePotential]:
		return "health band edges"
	case cur.Tier.Tier != cand.Tier.Tier:
		return "tiers"
	case len(cur.Escalations) != len(cand.Escalations):
		return "priority (renewal escalations)"
	case cur.Priority != cand.Priority:
		return "priority"
	}
	return ""
}

// EventKind names what happened to an account, for the back-test.
type EventKind string

const (
	EventContraction EventKind = "contraction" // ARR went down (to zero: churn)
	EventLost        EventKind = "lost"        // `outcome lost` logged
	EventExpansion   EventKind = "expansion"   // ARR went up by a motion
	EventWon         EventKind = "won"         // `outcome won` logged
)

// BookEvent is one thing that happened to an account in the window.
type BookEvent struct {
	Date Date      `json:"date"`
	Kind EventKind `json:"kind"`
}

// BacktestEvents lists what happened to a in (from, to]: losses
// (contractions in the ARR history, outcomes lost) and gains (ARR increases
// with a motion, outcomes won), each sorted by date. a is the account as
// it is now, with its whole ARR history: the outcomes are the ground truth
// a replay is judged against, not an input to it.
func BacktestEvents(a *Account, outcomes []Outcome, from, to Date) (losses, gains []BookEvent) {
	in := func(d Date) bool { return d > from && d <= to }
	for i := 1; i < len(a.ARRHistory); i++ {
		p, prev := a.ARRHistory[i], a.ARRHistory[i-1]
		switch {
		case !in(p.Date):
		case p.ARR < prev.ARR:
			losses = append(losses, BookEvent{p.Date, EventContraction})
		case p.ARR > prev.ARR && p.Motion != "":
			gains = append(gains, BookEvent{p.Date, EventExpansion})
		}
	}
	for _, o := range outcomes {
		switch {
		case o.AccountID != a.ID || !in(o.Date):
		case o.Result == Lost:
			losses = append(losses, BookEvent{o.Date, EventLost})
		case o.Result == Won:
			gains = append(gains, BookEvent{o.Date, EventWon})
		}
	}
	byDate := func(s []BookEvent) { sort.Slice(s, func(i, j int) bool { return s[i].Date < s[j].Date }) }
	byDate(losses)
	byDate(gains)
	return losses, gains
}

// Judgement is how one rule set's flags on one account compare with what
// happened: an account's first event counts, flags after it do not.
type Judgement struct {
	Flagged  bool // flagged at least once
	HasEvent bool // something happened in the window
	Caught   bool // flagged before its first event
	LeadDays int  // from the first flag to the event, when caught
	// FalseAlarm: flagged, and nothing happened after the first flag.
	FalseAlarm bool
}

// Judge compares the dates an account was flagged (sorted) with its
// events (sorted). A flag counts for an event when it comes before it; an
// account flagged with nothing after the flag is a false alarm.
func Judge(flags []Date, events []BookEvent) Judgement {
	j := Judgement{Flagged: len(flags) > 0, HasEvent: len(events) > 0}
	if !j.Flagged {
		return j
	}
	if j.HasEvent && flags[0] < events[0].Date {
		j.Caught, j.LeadDays = true, flags[0].DaysUntil(events[0].Date)
	}
	after := false
	for _, e := range events {
		if e.Date > flags[0] {
			after = true
			break
		}
	}
	j.FalseAlarm = !after
	return j
}

// Tally adds up judgements over a book.
type Tally struct {
	Accounts    int     `json:"accounts_with_event"` // accounts something happened to
	Flagged     int     `json:"flagged"`             // accounts flagged at least once
	Caught      int     `json:"caught"`              // accounts flagged before their event
	FalseAlarms int     `json:"false_alarms"`        // flagged, nothing happened after
	Precision   float64 `json:"precision_pct"`       // flagged accounts that something happened to after, %
	Recall      float64 `json:"recall_pct"`          // accounts with an event flagged before it, %
	// MedianLeadWeeks is how long before the event the first flag came,
	// over the caught accounts (0 when none).
	MedianLeadWeeks float64 `json:"median_lead_weeks"`
	leads           []int
}

// Add counts one account's judgement.
func (t *Tally) Add(j Judgement) {
	if j.HasEvent {
		t.Accounts++
	}
	if j.Flagged {
		t.Flagged++
	}
	if j.Caught {
		t.Caught++
		t.leads = append(t.leads, j.LeadDays)
	}
	if j.FalseAlarm {
		t.FalseAlarms++
	}
}

// Merge adds another tally's counts (from another worker).
func (t *Tally) Merge(o *Tally) {
	t.Accounts += o.Accounts
	t.Flagged += o.Flagged
	t.Caught += o.Caught
	t.FalseAlarms += o.FalseAlarms
	t.leads = append(t.leads, o.leads...)
}

// Finish computes precision, recall and the median lead time.
func (t *Tally) Finish() {
	if t.Flagged > 0 {
		t.Precision = round1(100 * float64(t.Flagged-t.FalseAlarms) / float64(t.Flagged))
	}
	if t.Accounts > 0 {
		t.Recall = round1(100 * float64(t.Caught) / float64(t.Accounts))
	}
	t.MedianLeadWeeks = 0
	if n := len(t.leads); n > 0 {
		sort.Ints(t.leads)
		m := float64(t.leads[n/2])
		if n%2 == 0 {
			m = float64(t.leads[n/2-1]+t.leads[n/2]) / 2
		}
		t.MedianLeadWeeks = round1(m / 7)
	}
}

// String is the tally in one line, for terminals.
func (t Tally) String() string {
	return fmt.Sprintf("flagged %d, caught %d of %d, false alarms %d; precision %.1f%%, recall %.1f%%, median lead %.1f weeks",
		t.Flagged, t.Caught, t.Accounts, t.FalseAlarms, t.Precision, t.Recall, t.MedianLeadWeeks)
}
