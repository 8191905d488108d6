package domain

import (
	"strings"
	"testing"
)

func TestBands(t *testing.T) {
	c := DefaultConfig().Health
	tests := []struct {
		e, p, r    int
		eb, pb, rb Band
	}{
		{25, 30, 0, BandHigh, BandHigh, BandLow},
		{20, 20, -10, BandHigh, BandHigh, BandLow}, // exactly on the upper edges
		{19, 19, -11, BandMedium, BandMedium, BandMedium},
		{10, 10, -20, BandMedium, BandMedium, BandMedium},
		{9, 9, -21, BandLow, BandLow, BandHigh},
		{0, 0, -40, BandLow, BandLow, BandHigh},
	}
	for _, tt := range tests {
		eb, pb, rb := c.Bands(tt.e, tt.p, tt.r)
		if eb != tt.eb || pb != tt.pb || rb != tt.rb {
			t.Errorf("Bands(%d,%d,%d) = %s,%s,%s; want %s,%s,%s", tt.e, tt.p, tt.r, eb, pb, rb, tt.eb, tt.pb, tt.rb)
		}
	}
}

func TestHealthRules(t *testing.T) {
	cfg := DefaultConfig().Health
	tests := []struct {
		name     string
		mod      func(a *Account)
		rule     string
		met      bool
		points   int
		evidence string
	}{
		{"active users up 20% over 30 days", func(a *Account) { a.Usage = weekly(today, 14, 100, 120, 1000, 1000, 0) }, "active_users_up", true, 10, "active users"},
		{"active users flat", func(a *Account) { a.Usage = weekly(today, 14, 100, 100, 1000, 1000, 0) }, "active_users_up", false, 0, "flat"},
		{"no usage data", func(a *Account) { a.Usage = nil }, "active_users_up", false, 0, "no usage data"},
		{"adoption exactly 70% is not above 70%", func(a *Account) { a.FeaturesAdopted = 7 }, "high_adoption", false, 0, "7 of 10"},
		{"adoption 80%", func(a *Account) { a.FeaturesAdopted = 8 }, "high_adoption", true, 10, "80%"},
		{"adoption unknown", func(a *Account) { a.FeaturesAvailable = 0; a.FeaturesAdopted = 0 }, "high_adoption", false, 0, "unknown"},
		{"user count growing 10% over 90 days", func(a *Account) { a.Usage = weekly(today, 14, 100, 110, 1, 1, 0) }, "user_growth", true, 5, "above"},
		{"user count growing 9%", func(a *Account) { a.Usage = weekly(today, 14, 100, 109, 1, 1, 0) }, "user_growth", false, 0, ""},
		{"whitespace: 49% used", func(a *Account) { a.FeaturesAvailable = 100; a.FeaturesAdopted = 49 }, "whitespace", true, 10, "whitespace"},
		{"whitespace: exactly 50% is not under 50%", func(a *Account) { a.FeaturesAdopted = 5 }, "whitespace", false, 0, "50%"},
		{"budget confirmed", func(a *Account) { a.BudgetConfirmed = true }, "budget", true, 10, "confirmed"},
		{"growing by flag", func(a *Account) { a.CompanyGrowing = true }, "company_growing", true, 5, "marked"},
		{"growing by hiring signal", func(a *Account) {
			a.Signals = []Signal{{Date: today.AddDays(-10), Kind: SignalHiring, Note: "hiring 12"}}
		}, "company_growing", true, 5, "hiring"},
		{"executive contacted 90 days ago", func(a *Account) {
			a.Stakeholders = []Stakeholder{{Name: "Cleo", Role: "CFO", Executive: true, LastContact: today.AddDays(-90)}}
		}, "executive_engaged", true, 5, "Cleo (CFO)"},
		{"executive contacted 91 days ago", func(a *Account) {
			a.Stakeholders = []Stakeholder{{Name: "Cleo", Role: "CFO", Executive: true, LastContact: today.AddDays(-91)}}
		}, "executive_engaged", false, 0, "over 90 days"},
		{"executive who left does not count", func(a *Account) {
			a.Stakeholders = []Stakeholder{{Name: "Cleo", Executive: true, LastContact: today, Left: today.AddDays(-1)}}
		}, "executive_engaged", false, 0, "no executive"},
		{"usage down 41% over 90 days", func(a *Account) { a.Usage = weekly(today, 14, 100, 100, 10000, 5900, 0) }, "usage_decline", true, -15, "usage 41% below 90 days ago"},
		{"usage down exactly 20% counts (20%+)", func(a *Account) { a.Usage = weekly(today, 14, 100, 100, 10000, 8000, 0) }, "usage_decline", true, -15, "20% below"},
		{"usage down 19%", func(a *Account) { a.Usage = weekly(today, 14, 100, 100, 10000, 8100, 0) }, "usage_decline", false, 0, "19% below"},
		// 5 a week is 21.4 per 30 days whatever the weekday; 4 a week (17.1) is not high,
		// although five weekly readings can fall inside a 30-day window.
		{"5 tickets a week is high", func(a *Account) { a.Usage = weekly(today, 17, 1, 1, 1, 1, 5) }, "high_tickets", true, -10, "25 tickets in the 35 days"},
		{"4 tickets a week is not high", func(a *Account) { a.Usage = weekly(today, 17, 1, 1, 1, 1, 4) }, "high_tickets", false, 0, "20 tickets in the 35 days"},
		{"ticket spike 2x baseline", func(a *Account) {
			a.Usage = weekly(today, 17, 1, 1, 1, 1, 1)
			for i := 13; i < 17; i++ {
				a.Usage[i].Tickets = 3
			}
		}, "high_tickets", true, -10, "2.6× the 1.0 a week"},
		{"a spike with 8 weeks of history is no trend", func(a *Account) {
			a.Usage = weekly(today, 8, 1, 1, 1, 1, 0)
			for i := 4; i < 8; i++ {
				a.Usage[i].Tickets = 4
			}
		}, "high_tickets", false, 0, "not enough history"},
		{"champion left 30 days ago", func(a *Account) {
			a.Stakeholders = []Stakeholder{{Name: "Dana", Role: "Ops lead", Champion: true, Left: today.AddDays(-30)}, {Name: "Eve", Champion: true}}
		}, "champion_left", true, -10, "Dana (Ops lead) left"},
		{"champion left long ago and replaced", func(a *Account) {
			a.Stakeholders = []Stakeholder{{Name: "Dana", Champion: true, Left: today.AddDays(-200)}, {Name: "Eve", Champion: true}}
		}, "champion_left", false, 0, "Eve"},
		{"champion left long ago, never replaced", func(a *Account) {
			a.Stakeholders = []Stakeholder{{Name: "Dana", Champion: true, Left: today.AddDays(-200)}}
		}, "champion_left", true, -10, "no new champion"},
		{"competitor mentioned 89 days ago", func(a *Account) {
			a.Signals = []Signal{{Date: today.AddDays(-89), Kind: SignalCompetitor, Note: "Globex demo"}}
		}, "competitor", true, -5, "Globex demo"},
		{"competitor mentioned 90 days ago is out of the window", func(a *Account) {
			a.Signals = []Signal{{Date: today.AddDays(-90), Kind: SignalCompetitor}}
		}, "competitor", false, 0, "no competitor"},
		{"future-dated signal ignored", func(a *Account) {
			a.Signals = []Signal{{Date: today.AddDays(1), Kind: SignalCompetitor}}
		}, "competitor", false, 0, "no competitor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := baseAccount()
			tt.mod(a)
			a.Normalize()
			h := ScoreHealth(a, today, cfg)
			r := reasonOf(t, h, tt.rule)
			if r.Met != tt.met || r.Points != tt.points || !strings.Contains(r.Evidence, tt.evidence) {
				t.Errorf("%s = met %v, %d points, %q; want %v, %d, containing %q", tt.rule, r.Met, r.Points, r.Evidence, tt.met, tt.points, tt.evidence)
			}
		})
	}
}

func TestHealthTotalsAndMaximums(t *testing.T) {
	a := baseAccount()
	a.FeaturesAvailable, a.FeaturesAdopted = 10, 8
	a.Usage = weekly(today, 14, 100, 150, 10000, 15000, 0)
	a.BudgetConfirmed, a.CompanyGrowing = true, true
	a.Stakeholders = []Stakeholder{{Name: "Cleo", Executive: true, LastContact: today}}
	h := ScoreHealth(a, today, DefaultConfig().Health)
	if h.Engagement != 25 || h.RevenuePotential != 20 || h.RetentionRisk != 0 || h.Combined != 45 {
		t.Errorf("healthy account = %d/%d/%d (%d)", h.Engagement, h.RevenuePotential, h.RetentionRisk, h.Combined)
	}

	b := baseAccount()
	b.Usage = weekly(today, 14, 100, 90, 10000, 5000, 6)
	b.Stakeholders = []Stakeholder{{Name: "Dana", Champion: true, Left: today.AddDays(-5)}}
	b.Signals = []Signal{{Date: today, Kind: SignalCompetitor}}
	h = ScoreHealth(b, today, DefaultConfig().Health)
	if h.RetentionRisk != -40 || h.RiskBand != BandHigh {
		t.Errorf("worst risk = %d %s, want -40 high", h.RetentionRisk, h.RiskBand)
	}
	if len(h.MetReasons()) != 4 {
		t.Errorf("met reasons = %+v", h.MetReasons())
	}
}

func TestConfigChangesPoints(t *testing.T) {
	cfg := DefaultConfig().Health
	cfg.BudgetPoints = 7
	a := baseAccount()
	a.BudgetConfirmed = true
	if h := ScoreHealth(a, today, cfg); reasonOf(t, h, "budget").Points != 7 {
		t.Error("configured points not used")
	}
}

// A flat 2 tickets a week is never "rising" nor a spike, whichever weekday
// the windows start on; the readiness indicator stays green.
func TestFlatTicketsNeverRising(t *testing.T) {
	cfg := DefaultConfig()
	for off := range 7 {
		day := today.AddDays(off)
		a := baseAccount()
		a.Usage = weekly(today, 52, 10, 10, 100, 100, 2)
		h := ScoreHealth(a, day, cfg.Health)
		if r := reasonOf(t, h, "high_tickets"); r.Met {
			t.Errorf("day +%d: flat tickets met high_tickets: %s", off, r.Evidence)
		}
		tt, ok := Tickets(a, day, cfg.Health)
		if !ok || tt.Rising(cfg.Health) || tt.RecentPerWeek != 2 || tt.PriorPerWeek != 2 {
			t.Errorf("day +%d: trend %+v", off, tt)
		}
		r := AssessRenewal(a, h, 1, day, cfg)
		if r.Indicators[1].Status != Green {
			t.Errorf("day +%d: tickets indicator %s: %s", off, r.Indicators[1].Status, r.Indicators[1].Evidence)
		}
	}
	// With 6 to 8 weeks of history, no ratio is claimed at all.
	for weeks := 6; weeks <= 8; weeks++ {
		a := baseAccount()
		a.Usage = weekly(today, weeks, 10, 10, 100, 100, 0)
		a.Usage[len(a.Usage)-1].Tickets = 15
		h := ScoreHealth(a, today, cfg.Health)
		if r := reasonOf(t, h, "high_tickets"); r.Met || strings.Contains(r.Evidence, "×") {
			t.Errorf("%d weeks: %+v", weeks, r)
		}
	}
}
