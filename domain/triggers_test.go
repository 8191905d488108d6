package domain

import (
	"strings"
	"testing"
)

func findOpp(os []Opportunity, m Motion) *Opportunity {
	for i := range os {
		if os[i].Motion == m {
			return &os[i]
		}
	}
	return nil
}

func TestExpansionTriggers(t *testing.T) {
	cfg := DefaultConfig()
	tests := []struct {
		name     string
		mod      func(a *Account)
		motion   Motion
		fires    bool
		uplift   int64
		evidence string
	}{
		{"adoption over 70% → tier upgrade", func(a *Account) { a.FeaturesAdopted = 8 }, MotionUpsell, true, 20_000_00, "8 of 10"},
		{"adoption exactly 70% → nothing", func(a *Account) { a.FeaturesAdopted = 7 }, MotionUpsell, false, 0, ""},
		{"limit reached → tier upgrade", func(a *Account) { a.Limits = []PlanLimit{{"API calls", 100_000, 100_000}} }, MotionUpsell, true, 20_000_00, "limit reached"},
		{"limit at 80% → usage-based", func(a *Account) { a.Limits = []PlanLimit{{"API calls", 100_000, 80_000}} }, MotionUsage, true, 7_500_00, "80% of the plan limit"},
		{"limit at 79.9% → nothing", func(a *Account) { a.Limits = []PlanLimit{{"API calls", 100_000, 79_900}} }, MotionUsage, false, 0, ""},
		{"seats 90% active → seats", func(a *Account) { a.SeatsPurchased, a.SeatsActive = 50, 45 }, MotionSeats, true, 10_000_00, "45 of 50 seats"},
		{"seats 88% → nothing", func(a *Account) { a.SeatsPurchased, a.SeatsActive = 50, 44 }, MotionSeats, false, 0, ""},
		{"hiring 12 → seats priced per seat", func(a *Account) {
			a.SeatsPurchased, a.SeatsActive = 50, 10
			a.Signals = []Signal{{Date: today.AddDays(-3), Kind: SignalHiring, Note: "Marketing hiring 12 people"}}
		}, MotionSeats, true, 12_000_00, "hiring 12"},
		{"hiring 9 → nothing", func(a *Account) {
			a.Signals = []Signal{{Date: today.AddDays(-3), Kind: SignalHiring, Note: "hiring 9"}}
		}, MotionSeats, false, 0, ""},
		{"goal GDPR → compliance cross-sell", func(a *Account) {
			a.Signals = []Signal{{Date: today.AddDays(-3), Kind: SignalGoal, Note: "Expanding to Europe with GDPR requirements"}}
		}, MotionCrossSell, true, 10_000_00, "Europe"},
		{"Zapier in use → integrations cross-sell", func(a *Account) {
			a.Signals = []Signal{{Date: today.AddDays(-3), Kind: SignalIntegration, Note: "Zapier to Salesforce"}}
		}, MotionCrossSell, true, 10_000_00, "Zapier"},
		{"healthy and renewing in 120 days → multi-year", func(a *Account) {
			a.RenewalDate = today.AddDays(120)
			a.Usage = weekly(today, 14, 100, 150, 1000, 1500, 0)
		}, MotionMultiYear, true, 0, "$150K contract value"},
		{"renewing in 90 days, low risk → price increase 5–10%", func(a *Account) { a.RenewalDate = today.AddDays(90) }, MotionPriceIncrease, true, 2_500_00, "$2,500–$5,000"},
		{"renewing in 91 days → no price increase yet", func(a *Account) { a.RenewalDate = today.AddDays(91) }, MotionPriceIncrease, false, 0, ""},
		{"adoption 40% → adoption first", func(a *Account) { a.FeaturesAdopted = 4 }, MotionAdoptionFirst, true, 0, "only 4 of 10"},
		// The case study's "only used 50% of available capabilities" is underuse.
		{"adoption exactly 50% → adoption first", func(a *Account) { a.FeaturesAdopted = 5 }, MotionAdoptionFirst, true, 0, "only 5 of 10"},
		{"adoption 60% → no adoption first", func(a *Account) { a.FeaturesAdopted = 6 }, MotionAdoptionFirst, false, 0, ""},
		// "When customer mentions hiring 10+ new users → trigger Enterprise tier conversation."
		{"hiring 12 → Enterprise-tier conversation too", func(a *Account) {
			a.Signals = []Signal{{Date: today.AddDays(-3), Kind: SignalHiring, Note: "Marketing hiring 12 people"}}
		}, MotionUpsell, true, 20_000_00, "Enterprise-tier conversation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := baseAccount()
			tt.mod(a)
			a.Normalize()
			e := Evaluate(a, today, cfg)
			o := findOpp(e.Opportunities, tt.motion)
			if (o != nil) != tt.fires {
				t.Fatalf("fired = %v, want %v: %+v", o != nil, tt.fires, e.Opportunities)
			}
			if o == nil {
				return
			}
			if o.Uplift != tt.uplift || !strings.Contains(o.Evidence, tt.evidence) || o.TalkTrack == "" {
				t.Errorf("got uplift %d %q (%s), want %d containing %q", o.Uplift, o.Evidence, o.TalkTrack, tt.uplift, tt.evidence)
			}
		})
	}
}

func TestAdoptionFirstHoldsUpsell(t *testing.T) {
	a := baseAccount()
	a.FeaturesAdopted = 3
	a.Limits = []PlanLimit{{"Storage", 100, 100}}
	a.Signals = []Signal{{Date: today, Kind: SignalGoal, Note: "reduce manual reporting"}}
	a.Normalize()
	ops := FindOpportunities(a, Health{}, today, -1, DefaultConfig())
	up, cs := findOpp(ops, MotionUpsell), findOpp(ops, MotionCrossSell)
	if up == nil || !up.Hold || cs == nil || !cs.Hold {
		t.Fatalf("upsell/cross-sell must be on hold: %+v", ops)
	}
	if ops[len(ops)-1].Hold == false && ops[0].Hold {
		t.Error("held opportunities must sort last")
	}
	if us := findOpp(ops, MotionUsage); us == nil || us.Hold {
		t.Error("usage at the limit is not held by low adoption")
	}
}

func TestLimitProjection(t *testing.T) {
	a := baseAccount()
	// Usage grows 50% over 91 days (13 weeks): 0.55%/day. 80% used needs +25%.
	a.Usage = weekly(today, 14, 100, 100, 10000, 15000, 0)
	a.Limits = []PlanLimit{{"API calls", 100_000, 80_000}}
	o := findOpp(FindOpportunities(a, Health{}, today, -1, DefaultConfig()), MotionUsage)
	if o == nil || o.LimitDate.IsZero() {
		t.Fatalf("no projection: %+v", o)
	}
	// (1.25-1) / (0.5/91) = 45.5 → 46 days.
	if got := today.DaysUntil(o.LimitDate); got != 46 {
		t.Errorf("limit reached in %d days, want 46", got)
	}
	a.Usage = weekly(today, 14, 100, 100, 10000, 9000, 0)
	o = findOpp(FindOpportunities(a, Health{}, today, -1, DefaultConfig()), MotionUsage)
	if !o.LimitDate.IsZero() || !strings.Contains(o.Evidence, "not growing") {
		t.Errorf("declining usage must not project: %+v", o)
	}
}

func TestHeadcount(t *testing.T) {
	for in, want := range map[string]int{"hiring 12 agents": 12, "1,200 new users": 1200, "growing fast": 0} {
		if got := Headcount(in); got != want {
			t.Errorf("Headcount(%q) = %d", in, got)
		}
	}
}

// One goal note calls for one module, even when its words match several.
func TestOneGoalOneModule(t *testing.T) {
	a := baseAccount()
	// "reporting" and "dashboard" are Advanced Analytics; "executive" alone is Executive Dashboard.
	a.Signals = []Signal{{Date: today.AddDays(-3), Kind: SignalGoal, Note: "Executive reporting dashboards take our analyst a day"}}
	a.Normalize()
	ops := FindOpportunities(a, Health{}, today, -1, DefaultConfig())
	var modules []string
	for _, o := range ops {
		if o.Motion == MotionCrossSell || o.Trigger == "goal_upsell" {
			modules = append(modules, o.Module)
		}
	}
	if len(modules) != 1 || modules[0] != "Advanced Analytics" {
		t.Errorf("one goal fired %v, want just Advanced Analytics", modules)
	}
	// Two notes may call for two different modules.
	a.Signals = append(a.Signals, Signal{Date: today.AddDays(-2), Kind: SignalIntegration, Note: "Zapier to Salesforce"})
	a.Normalize()
	if n := len(FindOpportunities(a, Health{}, today, -1, DefaultConfig())); n != 2 {
		t.Errorf("two notes → %d opportunities, want 2", n)
	}
}
