package domain

import (
	"fmt"
	"math"
	"sort"
)

// EconomicsConfig: account-manager economics (seed 000). Amounts are in
// major units of the book's currency.
type EconomicsConfig struct {
	// Accounts per account manager by segment, Tier 1..3: Enterprise
	// 1:5–10, mid-market 1:15–20, SMB (tech-touch) 1:500+ (max 0: no upper
	// bound). Tiers stand for the seed's segments (ours).
	RatioMin [3]int `yaml:"ratio_min" json:"ratio_min"`
	RatioMax [3]int `yaml:"ratio_max" json:"ratio_max"`
	// Pay: salary £100–150K; the fully loaded cost of one manager is the
	// seed's payback example, £120K (salary + comp).
	SalaryMin   int64 `yaml:"salary_min" json:"salary_min"`
	SalaryMax   int64 `yaml:"salary_max" json:"salary_max"`
	ManagerCost int64 `yaml:"manager_cost" json:"manager_cost"`
	// Variable pay on expansion: 10–20% Enterprise, 5–10% mid-market; the
	// seed's example pays 10% (£20K on £200K).
	VariablePayMinPct [3]float64 `yaml:"variable_pay_min_pct" json:"variable_pay_min_pct"`
	VariablePayMaxPct [3]float64 `yaml:"variable_pay_max_pct" json:"variable_pay_max_pct"`
	VariablePayPct    float64    `yaml:"variable_pay_pct" json:"variable_pay_pct"`
	// Payback of a manager's cost from the expansion ARR they drive: 14
	// months is acceptable (the seed's £120K on £100K, 14.4 months).
	PaybackMaxMonths float64 `yaml:"payback_max_months" json:"payback_max_months"`
	// Targets: NRR improvement 5–20% (read as NRR 105–120%, ours);
	// Enterprise 30–50% NRR expansion (NRR 130–150%, ours); ACV growth
	// 15–25% over 2 years (£100K → £120K).
	NRRImprovementPct   [2]float64 `yaml:"nrr_improvement_pct" json:"nrr_improvement_pct"`
	EnterpriseNRRPct    [2]float64 `yaml:"enterprise_nrr_expansion_pct" json:"enterprise_nrr_expansion_pct"`
	ACVGrowthPct        [2]float64 `yaml:"acv_growth_pct" json:"acv_growth_pct"`
	ACVGrowthYears      int        `yaml:"acv_growth_years" json:"acv_growth_years"`
	ExpansionWindowDays int        `yaml:"expansion_window_days" json:"expansion_window_days"`
}

// DefaultEconomics is seed 000's numbers.
func DefaultEconomics() EconomicsConfig {
	return EconomicsConfig{RatioMin: [3]int{5, 15, 500}, RatioMax: [3]int{10, 20, 0},
		SalaryMin: 100_000, SalaryMax: 150_000, ManagerCost: 120_000,
		VariablePayMinPct: [3]float64{10, 5, 0}, VariablePayMaxPct: [3]float64{20, 10, 0}, VariablePayPct: 10,
		PaybackMaxMonths: 14, NRRImprovementPct: [2]float64{5, 20}, EnterpriseNRRPct: [2]float64{30, 50},
		ACVGrowthPct: [2]float64{15, 25}, ACVGrowthYears: 2, ExpansionWindowDays: 365}
}

func (e EconomicsConfig) validate(check func(bool, string, string, ...any)) {
	for i := range 3 {
		check(e.RatioMin[i] >= 1 && (e.RatioMax[i] == 0 || e.RatioMax[i] >= e.RatioMin[i]), fmt.Sprintf("economics.ratio_max[%d]", i),
			"ratio_min must be at least 1 and ratio_max 0 (no bound) or at least ratio_min; got %d and %d", e.RatioMin[i], e.RatioMax[i])
		check(e.VariablePayMinPct[i] >= 0 && e.VariablePayMaxPct[i] >= e.VariablePayMinPct[i] && e.VariablePayMaxPct[i] <= 100,
			fmt.Sprintf("economics.variable_pay_max_pct[%d]", i), "must be a percentage at least variable_pay_min_pct")
	}
	check(e.SalaryMin >= 0 && e.SalaryMax >= e.SalaryMin, "economics.salary_max", "must be at least salary_min")
	check(e.ManagerCost > 0, "economics.manager_cost", "must be more than zero")
	check(e.VariablePayPct >= 0 && e.VariablePayPct <= 100, "economics.variable_pay_pct", "must be a percentage between 0 and 100")
	check(e.PaybackMaxMonths > 0, "economics.payback_max_months", "must be more than zero")
	for key, r := range map[string][2]float64{"nrr_improvement_pct": e.NRRImprovementPct, "enterprise_nrr_expansion_pct": e.EnterpriseNRRPct, "acv_growth_pct": e.ACVGrowthPct} {
		check(r[1] >= r[0], "economics."+key, "must be [low, high] with low ≤ high, got %v", r)
	}
	check(e.ACVGrowthYears >= 1 && e.ACVGrowthYears <= 10, "economics.acv_growth_years", "must be 1 to 10")
	check(e.ExpansionWindowDays >= 30 && e.ExpansionWindowDays <= 3650, "economics.expansion_window_days", "must be 30 to 3650 days")
}

// Versus places v against a [low, high] target.
func Versus(v float64, target [2]float64) string {
	switch {
	case v < target[0]:
		return "below"
	case target[1] > 0 && v > target[1]:
		return "above"
	}
	return "within"
}

// SegmentNames are the seed's segments, by tier.
var SegmentNames = [3]string{"Enterprise", "Mid-market", "SMB (tech-touch)"}

// TieredAccount is an account with its tier (from Evaluate).
type TieredAccount struct {
	Account *Account
	Tier    int
}

// Segment is one segment's coverage against the seed's ratio.
type Segment struct {
	Tier             int     `json:"tier"`
	Name             string  `json:"name"`
	Accounts         int     `json:"accounts"`
	Owners           int     `json:"owners"`
	AccountsPerOwner float64 `json:"accounts_per_owner"`
	RatioMin         int     `json:"ratio_min"`
	RatioMax         int     `json:"ratio_max"` // 0: no upper bound
	Versus           string  `json:"versus"`    // below, within, above the ratio
	NRRPct           float64 `json:"nrr_pct"`
}

// OwnerLoad is one account manager's workload, cost and payback.
type OwnerLoad struct {
	Owner         string   `json:"owner"`
	Accounts      [3]int   `json:"accounts_by_tier"`
	LoadPct       float64  `json:"load_pct"` // Σ accounts ÷ the ratio's upper bound per tier
	ARR           int64    `json:"arr_minor"`
	Expansion     int64    `json:"expansion_minor"`
	PaybackMonths *float64 `json:"payback_months"` // nil without expansion
	PaybackOK     bool     `json:"payback_ok"`
	VariablePay   int64    `json:"variable_pay_minor"`
}

// Economics is the book's account-manager economics in one currency.
type Economics struct {
	Currency     string      `json:"currency"`
	Excluded     int         `json:"excluded"` // accounts in other currencies
	Segments     []Segment   `json:"segments"`
	Owners       []OwnerLoad `json:"owners"`
	Cost         int64       `json:"cost_minor"` // one manager, fully loaded
	SalaryMin    int64       `json:"salary_min_minor"`
	SalaryMax    int64       `json:"salary_max_minor"`
	NRRPct       float64     `json:"nrr_pct"`
	ACVThen      int64       `json:"acv_then_minor"`
	ACVNow       int64       `json:"acv_now_minor"`
	ACVGrowthPct float64     `json:"acv_growth_pct"`
	ACVCohort    int         `json:"acv_cohort"`
}

// ComputeEconomics measures the book against seed 000: accounts per
// manager by segment, each manager's load, the payback of their cost from
// the expansion ARR of the last expansion_window_days, variable pay, NRR
// and the ACV growth of the accounts present acv_growth_years ago. Only
// the accounts in the most common currency count (amounts are never added
// across currencies).
func ComputeEconomics(accts []TieredAccount, today Date, cfg EconomicsConfig) Economics {
	var e Economics
	e.Currency = mainCurrency(accts)
	unit := pow10(MinorDigits(e.Currency))
	e.Cost, e.SalaryMin, e.SalaryMax = cfg.ManagerCost*unit, cfg.SalaryMin*unit, cfg.SalaryMax*unit
	from := today.AddDays(-cfg.ExpansionWindowDays)
	owners := map[string]*OwnerLoad{}
	var seg [3][]*Account
	segOwners := [3]map[string]bool{{}, {}, {}}
	var all []*Account
	then := today.AddMonths(-12 * cfg.ACVGrowthYears)
	for _, t := range accts {
		a := t.Account
		if a.Currency != e.Currency {
			e.Excluded++
			continue
		}
		i := min(max(t.Tier, 1), 3) - 1
		seg[i] = append(seg[i], a)
		segOwners[i][a.Owner] = true
		all = append(all, a)
		o := owners[a.Owner]
		if o == nil {
			o = &OwnerLoad{Owner: a.Owner}
			owners[a.Owner] = o
		}
		o.Accounts[i]++
		o.ARR += a.ARR
		o.Expansion += ComputeRetention([]*Account{a}, from, today).Expansion
		if was, now := a.ARRAt(then), a.ARRAt(today); was > 0 && now > 0 {
			e.ACVThen += was
			e.ACVNow += now
			e.ACVCohort++
		}
	}
	for i := range 3 {
		s := Segment{Tier: i + 1, Name: SegmentNames[i], Accounts: len(seg[i]), Owners: len(segOwners[i]), RatioMin: cfg.RatioMin[i], RatioMax: cfg.RatioMax[i]}
		if s.Owners > 0 {
			s.AccountsPerOwner = round1(float64(s.Accounts) / float64(s.Owners))
			s.Versus = Versus(s.AccountsPerOwner, [2]float64{float64(s.RatioMin), float64(s.RatioMax)})
			s.NRRPct = ComputeRetention(seg[i], from, today).NRRPct
		}
		e.Segments = append(e.Segments, s)
	}
	for _, o := range owners {
		for i, n := range o.Accounts {
			capacity := cfg.RatioMax[i]
			if capacity == 0 {
				capacity = cfg.RatioMin[i]
			}
			o.LoadPct += float64(n) / float64(capacity) * 100
		}
		o.LoadPct = round1(o.LoadPct)
		if p, err := ManagerPayback(e.Cost, o.Expansion); err == nil {
			o.PaybackMonths = &p
			// Whole months, as the seed calls 14.4 "14 months (acceptable)".
			o.PaybackOK = math.Round(p) <= cfg.PaybackMaxMonths
		}
		o.VariablePay = VariableComp(o.Expansion, int64(math.Round(cfg.VariablePayPct*100)))
		e.Owners = append(e.Owners, *o)
	}
	sort.Slice(e.Owners, func(i, j int) bool { return e.Owners[i].Owner < e.Owners[j].Owner })
	e.NRRPct = ComputeRetention(all, from, today).NRRPct
	if e.ACVCohort > 0 {
		e.ACVThen /= int64(e.ACVCohort)
		e.ACVNow /= int64(e.ACVCohort)
		e.ACVGrowthPct = GrowthPct(e.ACVThen, e.ACVNow)
	}
	return e
}

// mainCurrency is the currency of most accounts (the first by name on a tie).
func mainCurrency(accts []TieredAccount) string {
	n := map[string]int{}
	best := ""
	for _, t := range accts {
		n[t.Account.Currency]++
	}
	for c, k := range n {
		if best == "" || k > n[best] || (k == n[best] && c < best) {
			best = c
		}
	}
	return best
}
