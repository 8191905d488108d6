package domain

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Motion is an expansion motion.
type Motion string

const (
	MotionUpsell        Motion = "upsell"         // tier/plan upgrade
	MotionCrossSell     Motion = "cross_sell"     // a new module or product
	MotionPriceIncrease Motion = "price_increase" // annual raise at renewal
	MotionSeats         Motion = "seats"          // more users
	MotionUsage         Motion = "usage"          // usage-based growth past a plan limit
	MotionMultiYear     Motion = "multi_year"     // multi-year commitment at renewal
	MotionAdoptionFirst Motion = "adoption_first" // counter-signal: drive adoption before expanding
)

// Motions lists the revenue motions in display order.
var Motions = []Motion{MotionUpsell, MotionCrossSell, MotionPriceIncrease, MotionSeats, MotionUsage, MotionMultiYear}

// KnownMotion reports whether m is a known motion (the counter-signal included).
func KnownMotion(m Motion) bool {
	for _, k := range Motions {
		if k == m {
			return true
		}
	}
	return m == MotionAdoptionFirst
}

// Label is the motion's display name.
func (m Motion) Label() string {
	switch m {
	case MotionUpsell:
		return "Tier upgrade"
	case MotionCrossSell:
		return "Module cross-sell"
	case MotionPriceIncrease:
		return "Price increase"
	case MotionSeats:
		return "Seat expansion"
	case MotionUsage:
		return "Usage-based expansion"
	case MotionMultiYear:
		return "Multi-year commitment"
	case MotionAdoptionFirst:
		return "Adoption first"
	}
	return string(m)
}

// Opportunity is one fired expansion trigger.
type Opportunity struct {
	Motion    Motion `json:"motion"`
	Trigger   string `json:"trigger"`
	Title     string `json:"title"`
	Evidence  string `json:"evidence"`
	Uplift    int64  `json:"uplift_minor"`               // estimated ARR uplift (low end)
	UpliftMax int64  `json:"uplift_max_minor,omitempty"` // high end, where a range applies
	Module    string `json:"module,omitempty"`
	LimitDate Date   `json:"limit_date,omitempty"` // usage: when the limit is reached at the current trend
	Hold      bool   `json:"hold,omitempty"`       // adoption first: drive adoption before this
	TalkTrack string `json:"talk_track"`           // the playbook that fits
	// Source is the kind of signal a module opportunity came from (goal or
	// integration), so a draft can say "the tools you connect today" only
	// when an integration signal is behind it.
	Source SignalKind `json:"source,omitempty"`
	// Hiring is the headcount of the hiring signal behind a seat or
	// Enterprise-tier opportunity (0 when none).
	Hiring int `json:"hiring,omitempty"`
}

func pctOf(v int64, p float64) int64 { return MulDiv(v, int64(math.Round(p*100)), 10000) }

var headcountPat = regexp.MustCompile(`\d[\d,]*`)

// Headcount returns the first whole number in a hiring note ("hiring 12 agents" → 12).
func Headcount(note string) int {
	m := headcountPat.FindString(note)
	n, _ := strconv.Atoi(strings.ReplaceAll(m, ",", ""))
	return n
}

// Underused reports the seed's underutilisation: adoption at or below
// adoption_first_below_pct (50%). The case study's "only used 50% of
// available capabilities" is underuse, so exactly 50% counts.
func Underused(adoption float64, tc TriggerConfig) bool {
	return adoption*100 <= tc.AdoptionFirstBelowPct
}

// FindOpportunities runs the Expansion Trigger Playbook on an account.
// Each motion has its own helper; they append in a fixed order because the
// final sort is stable and ties keep that order.
func FindOpportunities(a *Account, h Health, today Date, days int, cfg Config) []Opportunity {
	return findOpportunities(a, h, today, days, cfg, true)
}

// findOpportunities is FindOpportunities; without explain each
// opportunity's evidence is left empty.
func findOpportunities(a *Account, h Health, today Date, days int, cfg Config, explain bool) []Opportunity {
	tc := cfg.Triggers
	var out []Opportunity
	if o, ok := tierUpgrade(a, today, tc, explain); ok {
		out = append(out, o)
	}
	out = usageExpansions(out, a, today, cfg, explain)
	if o, ok := seatExpansion(a, today, tc, explain); ok {
		out = append(out, o)
	}
	out = moduleOpportunities(out, a, today, tc, explain)
	out = renewalOpportunities(out, a, h, days, tc, explain)
	out = holdForAdoption(a, out, tc, explain)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Hold != out[j].Hold {
			return !out[i].Hold
		}
		return out[i].Uplift > out[j].Uplift
	})
	return out
}

// tierUpgrade fires on high adoption, a plan limit reached, a big hire, or a
// limit/feature request: any one of them is reason to talk about the next tier.
func tierUpgrade(a *Account, today Date, tc TriggerConfig, explain bool) (Opportunity, bool) {
	fired := false
	var why []string
	// because notes one reason; the text only when explaining.
	because := func(format string, args ...any) {
		fired = true
		if explain {
			why = append(why, fmt.Sprintf(format, args...))
		}
	}
	if adoption, known := a.Adoption(); known && adoption*100 > tc.TierUpgradeAdoptionPct {
		because("%d of %d features adopted (%s)", a.FeaturesAdopted, a.FeaturesAvailable, pctIf(explain, adoption*100))
	}
	for _, l := range a.Limits {
		if l.Used >= l.Limit {
			because("%s limit reached (%s of %s)", l.Name, groupThousandsIf(explain, l.Used), groupThousandsIf(explain, l.Limit))
		}
	}
	// The seed's trigger playbook: "hiring 10+ new users → trigger Enterprise
	// tier conversation" (the seat motion fires from it too).
	hired := 0
	if s, n, ok := bigHire(a, today, tc); ok {
		because("hiring %d (%s): time for an Enterprise-tier conversation", n, s.Date)
		hired = n
	}
	for _, k := range []SignalKind{SignalLimit, SignalFeatureReq} {
		if s, ok := latestSignal(a, k, today, tc.SignalDays); ok {
			because("%s on %s%s", strings.ReplaceAll(string(k), "_", " "), s.Date, noteSuffix(s.Note))
		}
	}
	if !fired {
		return Opportunity{}, false
	}
	return Opportunity{Motion: MotionUpsell, Trigger: "tier_upgrade", Title: "Tier upgrade",
		Evidence: strings.Join(why, "; "), Uplift: pctOf(a.ARR, tc.UpsellUpliftPct), TalkTrack: "upsell", Hiring: hired}, true
}

// usageExpansions returns one opportunity per plan limit at 80%+, with the
// date it reaches 100% at the current trend, so the CSM knows how urgent it is.
func usageExpansions(out []Opportunity, a *Account, today Date, cfg Config, explain bool) []Opportunity {
	tc := cfg.Triggers
	for _, l := range a.Limits {
		if l.Limit <= 0 || float64(l.Used)*100 < tc.LimitWarnPct*float64(l.Limit) {
			continue
		}
		o := Opportunity{Motion: MotionUsage, Trigger: "limit_" + NormalizeName(l.Name), Title: "Usage-based expansion: " + l.Name,
			Uplift: pctOf(a.ARR, tc.UsageUpliftPct), TalkTrack: "usage"}
		if l.Used < l.Limit {
			o.LimitDate, _ = projectLimit(a, l, today, cfg.Health.UsageDeclineWindow)
		}
		if explain {
			o.Evidence = limitEvidence(l, o.LimitDate)
		}
		out = append(out, o)
	}
	return out
}

func limitEvidence(l PlanLimit, reaches Date) string {
	ev := fmt.Sprintf("%s at %s of the plan limit (%s of %s)", l.Name, pct(float64(l.Used)*100/float64(l.Limit)), groupThousands(l.Used), groupThousands(l.Limit))
	switch {
	case l.Used >= l.Limit:
		return ev + "; limit already reached"
	case !reaches.IsZero():
		return ev + fmt.Sprintf("; reaches 100%% around %s at the current trend", reaches)
	}
	return ev + "; usage not growing, no date projected"
}

// seatExpansion fires when active seats are near the purchased count or a
// hiring signal of 10+ says more users are coming; the uplift is priced per seat.
func seatExpansion(a *Account, today Date, tc TriggerConfig, explain bool) (Opportunity, bool) {
	fired := false
	var why []string
	because := func(format string, args ...any) {
		fired = true
		if explain {
			why = append(why, fmt.Sprintf(format, args...))
		}
	}
	added, hired := 0, 0
	if a.SeatsPurchased > 0 && float64(a.SeatsActive)*100 >= tc.SeatsNearFullPct*float64(a.SeatsPurchased) {
		because("%d of %d seats active (%s)", a.SeatsActive, a.SeatsPurchased, pctIf(explain, float64(a.SeatsActive)*100/float64(a.SeatsPurchased)))
		added = int(math.Ceil(float64(a.SeatsPurchased) * tc.SeatGrowthPct / 100))
	}
	if s, n, ok := bigHire(a, today, tc); ok {
		because("hiring %d (%s, %s)", n, s.Note, s.Date)
		added, hired = max(added, n), n
	}
	if !fired {
		return Opportunity{}, false
	}
	o := Opportunity{Motion: MotionSeats, Trigger: "seats", Title: "Seat expansion", Evidence: strings.Join(why, "; "), TalkTrack: "seats", Hiring: hired}
	if a.SeatsPurchased > 0 {
		o.Uplift = MulDiv(a.ARR, int64(added), int64(a.SeatsPurchased))
		if explain {
			o.Evidence += fmt.Sprintf("; +%d seats at %s per seat", added, a.Money(a.ARR/int64(a.SeatsPurchased)).Format())
		}
	} else {
		o.Uplift = pctOf(a.ARR, tc.SeatGrowthPct)
	}
	return o, true
}

// moduleOpportunities turns recent integration and goal signals into
// cross-sell (or upsell, by the module's motion) opportunities, newest first.
func moduleOpportunities(out []Opportunity, a *Account, today Date, tc TriggerConfig, explain bool) []Opportunity {
	var seen map[string]bool
	for i := len(a.Signals) - 1; i >= 0; i-- {
		s := a.Signals[i]
		if s.Date > today || s.Date <= today.AddDays(-tc.SignalDays) || (s.Kind != SignalIntegration && s.Kind != SignalGoal) {
			continue
		}
		// One signal calls for one module: the one whose keywords it
		// matches most (the first listed on a tie), never two from the same words.
		m, ok := bestModule(strings.ToLower(s.Note), tc.Modules)
		if !ok || seen[m.Name] {
			continue
		}
		if seen == nil {
			seen = map[string]bool{}
		}
		seen[m.Name] = true
		ev := ""
		if explain {
			ev = fmt.Sprintf("%s on %s: %q", s.Kind, s.Date, s.Note)
		}
		if m.Motion == MotionUpsell {
			out = append(out, Opportunity{Motion: MotionUpsell, Trigger: "goal_upsell", Title: "Upgrade to " + m.Name, Module: m.Name,
				Evidence: ev, Uplift: pctOf(a.ARR, tc.UpsellUpliftPct), TalkTrack: "upsell", Source: s.Kind})
			continue
		}
		out = append(out, Opportunity{Motion: MotionCrossSell, Trigger: "cross_sell", Title: "Cross-sell " + m.Name, Module: m.Name,
			Evidence: ev, Uplift: pctOf(a.ARR, tc.CrossSellUpliftPct), TalkTrack: "cross_sell", Source: s.Kind})
	}
	return out
}

// renewalOpportunities are the motions that only make sense at a renewal
// conversation: a multi-year commitment and a price increase.
func renewalOpportunities(out []Opportunity, a *Account, h Health, days int, tc TriggerConfig, explain bool) []Opportunity {
	if a.RenewalDate.IsZero() || days < 0 {
		return out
	}
	say := sayer(explain)
	healthy := h.RiskBand == BandLow && h.EngagementBand != BandLow
	// Multi-year: a healthy account approaching renewal.
	if healthy && days <= tc.MultiYearWithinDays {
		tcv := a.ARR * int64(tc.MultiYearYears)
		out = append(out, Opportunity{Motion: MotionMultiYear, Trigger: "multi_year", Title: fmt.Sprintf("%d-year commitment", tc.MultiYearYears),
			Evidence:  say("healthy (risk %d, engagement %d) and renewing in %d days: %d years at %s is %s contract value", h.RetentionRisk, h.Engagement, days, tc.MultiYearYears, shortIf(explain, a, a.ARR), shortIf(explain, a, tcv)),
			TalkTrack: "multi_year"})
	}
	// Price increase: 5–10% at renewal, when the account is not at risk.
	if h.RiskBand == BandLow && days <= tc.PriceIncreaseWithin {
		lo, hi := pctOf(a.ARR, tc.PriceIncreaseMinPct), pctOf(a.ARR, tc.PriceIncreaseMaxPct)
		out = append(out, Opportunity{Motion: MotionPriceIncrease, Trigger: "price_increase", Title: "Price increase at renewal",
			Evidence: say("renewing in %d days with low risk: %s–%s is %s–%s", days, pctIf(explain, tc.PriceIncreaseMinPct), pctIf(explain, tc.PriceIncreaseMaxPct), formatIf(explain, a, lo), formatIf(explain, a, hi)),
			Uplift:   lo, UpliftMax: hi, TalkTrack: "price_increase"})
	}
	return out
}

// holdForAdoption applies the counter-signal: under 50% adoption, upsell and
// cross-sell are put on hold and "drive adoption first" is added, because
// selling more to an account that uses half of what it has invites churn.
func holdForAdoption(a *Account, out []Opportunity, tc TriggerConfig, explain bool) []Opportunity {
	adoption, known := a.Adoption()
	if !known || !Underused(adoption, tc) {
		return out
	}
	for i := range out {
		if out[i].Motion == MotionUpsell || out[i].Motion == MotionCrossSell {
			out[i].Hold = true
		}
	}
	return append(out, Opportunity{Motion: MotionAdoptionFirst, Trigger: "adoption_first", Title: "Drive adoption first",
		Evidence:  sayer(explain)("only %d of %d features adopted (%s): prove value before expanding", a.FeaturesAdopted, a.FeaturesAvailable, pctIf(explain, adoption*100)),
		TalkTrack: "adoption_first"})
}

// projectLimit projects when a plan limit reaches 100%, assuming its use
// grows in line with the account's usage metric over the window.
func projectLimit(a *Account, l PlanLimit, today Date, window int) (Date, bool) {
	now, ok1 := a.SnapshotAt(today)
	then, ok2 := a.SnapshotAt(today.AddDays(-window))
	if !ok1 || !ok2 || then.Usage <= 0 || now.Usage <= then.Usage || now.Date <= then.Date || l.Used <= 0 {
		return NoDate, false
	}
	daily := (float64(now.Usage)/float64(then.Usage) - 1) / float64(now.Date-then.Date)
	need := float64(l.Limit)/float64(l.Used) - 1
	return today.AddDays(int(math.Ceil(need / daily))), true
}

// bestModule returns the module with the most keywords found in note.
func bestModule(note string, modules []Module) (Module, bool) {
	best, bestN := -1, 0
	for i, m := range modules {
		n := 0
		for _, w := range m.Keywords {
			if strings.Contains(note, strings.ToLower(w)) {
				n++
			}
		}
		if n > bestN {
			best, bestN = i, n
		}
	}
	if best < 0 {
		return Module{}, false
	}
	return modules[best], true
}

// bigHire returns the newest hiring signal of hiring_min_headcount or more.
func bigHire(a *Account, today Date, tc TriggerConfig) (Signal, int, bool) {
	for _, s := range recentSignals(a, SignalHiring, today, tc.SignalDays) {
		if n := Headcount(s.Note); n >= tc.HiringMinHeadcount {
			return s, n, true
		}
	}
	return Signal{}, 0, false
}

// The formatters below return nothing when not explaining: a replay
// evaluates the book twice a week and shows none of the text.

func groupThousandsIf(explain bool, v int64) string {
	if !explain {
		return ""
	}
	return groupThousands(v)
}

func shortIf(explain bool, a *Account, v int64) string {
	if !explain {
		return ""
	}
	return a.Money(v).Short()
}

func formatIf(explain bool, a *Account, v int64) string {
	if !explain {
		return ""
	}
	return a.Money(v).Format()
}
