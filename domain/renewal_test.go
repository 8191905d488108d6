package domain

import (
	"reflect"
	"testing"
)

func TestTierMilestones(t *testing.T) {
	cfg := DefaultConfig()
	for tier, want := range map[int][]int{1: {180, 90, 30}, 2: {90, 30}, 3: {60, 30}} {
		if got := TierMilestones(cfg, tier); !reflect.DeepEqual(got, want) {
			t.Errorf("tier %d milestones = %v, want %v", tier, got, want)
		}
	}
}

func TestAssessRenewal(t *testing.T) {
	cfg := DefaultConfig()
	tests := []struct {
		name  string
		days  int
		tier  int
		stage Stage
		due   []int
	}{
		{"exactly 180 days out: gauge, due", 180, 1, StageGauge, []int{180}},
		{"181 days out: early", 181, 1, StageEarly, nil},
		{"175 days out: within the 7-day grace", 175, 1, StageGauge, []int{180}},
		{"173 days out: the grace's last day", 173, 1, StageGauge, []int{180}},
		{"172 days out: past the grace", 172, 1, StageGauge, nil},
		{"exactly 90 days: showcase", 90, 1, StageShowcase, []int{90}},
		{"exactly 30 days: finalize", 30, 1, StageFinalize, []int{30}},
		{"renewal today", 0, 1, StageFinalize, nil},
		{"renewal passed", -1, 1, StageOverdue, nil},
		{"tier 2 at 120 days has not started", 120, 2, StageEarly, nil},
		{"tier 2 at 90 days", 90, 2, StageShowcase, []int{90}},
		{"tier 3 at 60 days: outreach", 60, 3, StageShowcase, []int{60}},
	}
	for _, tt := range tests {
		a := baseAccount()
		a.RenewalDate = today.AddDays(tt.days)
		r := AssessRenewal(a, Health{}, tt.tier, today, cfg)
		var due []int
		for _, m := range r.Due {
			due = append(due, m.Days)
			if len(m.Checklist) == 0 || m.DueOn != a.RenewalDate.AddDays(-m.Days) {
				t.Errorf("%s: milestone %+v incomplete", tt.name, m)
			}
		}
		if r.Stage != tt.stage || !reflect.DeepEqual(due, tt.due) || r.DaysToRenewal != tt.days {
			t.Errorf("%s: stage %s due %v days %d; want %s %v", tt.name, r.Stage, due, r.DaysToRenewal, tt.stage, tt.due)
		}
	}
	r := AssessRenewal(&Account{}, Health{}, 1, today, cfg)
	if r.Stage != StageUnknown || r.StageTitle == "" {
		t.Errorf("no renewal date: %+v", r)
	}
}

func TestReadiness(t *testing.T) {
	cfg := DefaultConfig()
	healthy := func() *Account {
		a := baseAccount()
		a.RenewalDate = today.AddDays(100)
		a.FeaturesAdopted = 8
		a.Usage = weekly(today, 14, 100, 100, 1000, 1000, 0)
		a.Stakeholders = []Stakeholder{{Name: "Cleo", Executive: true, LastContact: today.AddDays(-10)}}
		return a
	}
	tests := []struct {
		name string
		mod  func(a *Account)
		want Readiness
		reds int
	}{
		{"all four green", func(a *Account) {}, Green, 0},
		{"executive gone quiet: yellow", func(a *Account) { a.Stakeholders[0].LastContact = today.AddDays(-120) }, Yellow, 0},
		{"one red (competitor) is yellow", func(a *Account) { a.Signals = []Signal{{Date: today, Kind: SignalCompetitor}} }, Yellow, 1},
		{"two reds are red", func(a *Account) {
			a.Signals = []Signal{{Date: today, Kind: SignalCompetitor}}
			a.FeaturesAdopted = 3
		}, Red, 2},
		{"champion left and tickets high: red", func(a *Account) {
			a.Stakeholders = append(a.Stakeholders, Stakeholder{Name: "Dana", Champion: true, Left: today.AddDays(-3)})
			for i := range a.Usage {
				a.Usage[i].Tickets = 6
			}
		}, Red, 2},
	}
	for _, tt := range tests {
		a := healthy()
		tt.mod(a)
		h := ScoreHealth(a, today, cfg.Health)
		r := AssessRenewal(a, h, 1, today, cfg)
		reds := 0
		for _, i := range r.Indicators {
			if i.Status == Red {
				reds++
			}
			if i.Evidence == "" {
				t.Errorf("%s: indicator %s has no evidence", tt.name, i.Name)
			}
		}
		if r.Readiness != tt.want || reds != tt.reds || len(r.Indicators) != 4 || !r.InWindow {
			t.Errorf("%s: %s with %d reds (%+v), want %s with %d", tt.name, r.Readiness, reds, r.Indicators, tt.want, tt.reds)
		}
	}
}
