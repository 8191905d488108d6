package domain

import "testing"

func TestBacktestEvents(t *testing.T) {
	a := baseAccount()
	from := today.AddDays(-180)
	a.ARRHistory = []ARRPoint{{Date: today.AddDays(-400), ARR: 100}, {Date: today.AddDays(-200), ARR: 150, Motion: MotionUpsell},
		{Date: today.AddDays(-90), ARR: 120}, {Date: today.AddDays(-30), ARR: 130}, {Date: today.AddDays(-10), ARR: 160, Motion: MotionSeats}}
	outs := []Outcome{{AccountID: a.ID, Date: today.AddDays(-5), Result: Lost}, {AccountID: a.ID, Date: today.AddDays(-50), Result: Won},
		{AccountID: "other", Date: today.AddDays(-5), Result: Lost}, {AccountID: a.ID, Date: today.AddDays(-300), Result: Won}}
	losses, gains := BacktestEvents(a, outs, from, today)
	wantL := []BookEvent{{today.AddDays(-90), EventContraction}, {today.AddDays(-5), EventLost}}
	wantG := []BookEvent{{today.AddDays(-50), EventWon}, {today.AddDays(-10), EventExpansion}}
	if len(losses) != 2 || losses[0] != wantL[0] || losses[1] != wantL[1] {
		t.Errorf("losses %v, want %v", losses, wantL)
	}
	// The rise to 130 has no motion: a correction, not an expansion.
	if len(gains) != 2 || gains[0] != wantG[0] || gains[1] != wantG[1] {
		t.Errorf("gains %v, want %v", gains, wantG)
	}
}

func TestJudgeAndTally(t *testing.T) {
	d := func(n int) Date { return today.AddDays(n) }
	ev := func(n int) []BookEvent { return []BookEvent{{d(n), EventLost}} }
	tests := []struct {
		name   string
		flags  []Date
		events []BookEvent
		want   Judgement
	}{
		{"caught 4 weeks before", []Date{d(-28), d(-21)}, ev(0), Judgement{Flagged: true, HasEvent: true, Caught: true, LeadDays: 28}},
		{"flagged only after", []Date{d(7)}, ev(0), Judgement{Flagged: true, HasEvent: true, FalseAlarm: true}},
		{"missed", nil, ev(0), Judgement{HasEvent: true}},
		{"false alarm", []Date{d(-7)}, nil, Judgement{Flagged: true, FalseAlarm: true}},
		{"quiet", nil, nil, Judgement{}},
	}
	var tally Tally
	for _, tt := range tests {
		got := Judge(tt.flags, tt.events)
		if got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
		tally.Add(got)
	}
	tally.Finish()
	// 3 accounts with an event, 1 caught; 3 flagged, 2 false alarms.
	if tally.Accounts != 3 || tally.Caught != 1 || tally.Flagged != 3 || tally.FalseAlarms != 2 ||
		tally.Recall != 33.3 || tally.Precision != 33.3 || tally.MedianLeadWeeks != 4 {
		t.Errorf("tally %+v", tally)
	}
}

func TestDiffRuleNamesTheRule(t *testing.T) {
	a := baseAccount()
	a.Usage = weekly(today, 20, 40, 20, 4000, 2000, 1)
	cur := DefaultConfig()
	cand := DefaultConfig()
	cand.Health.UsageDeclinePoints = 30
	e1, e2 := Evaluate(a, today, cur), Evaluate(a, today, cand)
	if got := DiffRule(&e1, &e2); got != "health.usage_decline" {
		t.Errorf("DiffRule = %q", got)
	}
	if got := DiffRule(&e1, &e1); got != "" {
		t.Errorf("same evaluation: %q", got)
	}
}

func TestDiffRulePrefersTheDimensionThatMoved(t *testing.T) {
	a := baseAccount()
	a.Usage = weekly(today, 20, 40, 20, 4000, 2000, 1)
	a.BudgetConfirmed = true
	cur := DefaultConfig()
	cand := DefaultConfig()
	cand.Health.BudgetPoints = 11 // moves no band
	cand.Health.UsageDeclinePoints = 30
	e1, e2 := Evaluate(a, today, cur), Evaluate(a, today, cand)
	if e1.Health.RiskBand == e2.Health.RiskBand || e1.Health.PotentialBand != e2.Health.PotentialBand {
		t.Fatalf("bands %s→%s, %s→%s", e1.Health.RiskBand, e2.Health.RiskBand, e1.Health.PotentialBand, e2.Health.PotentialBand)
	}
	if got := DiffRule(&e1, &e2); got != "health.usage_decline" {
		t.Errorf("DiffRule = %q, want the risk rule that moved the risk band", got)
	}
}
