package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// EconomicsResult is `portfolio economics`: the book's account-manager
// economics against seed 000 (ratios, workload, cost, payback, variable
// pay, NRR and ACV growth against the targets). Money is in major units of
// Currency; accounts in other currencies are counted in Excluded.
type EconomicsResult struct {
	Owner    string             `json:"owner"`
	AsOf     domain.Date        `json:"as_of"`
	Currency string             `json:"currency"`
	Excluded int                `json:"excluded"`
	Segments []EconomicsSegment `json:"segments"`
	Owners   []EconomicsOwner   `json:"owners"`
	// ManagerCost is one account manager's fully loaded cost a year; the
	// salary range and variable pay percentages are the configured ones.
	ManagerCost      json.Number `json:"manager_cost"`
	SalaryMin        json.Number `json:"salary_min"`
	SalaryMax        json.Number `json:"salary_max"`
	VariablePayPct   float64     `json:"variable_pay_pct"`
	PaybackMaxMonths float64     `json:"payback_max_months"`
	NRR              Target      `json:"nrr"`
	EnterpriseNRR    Target      `json:"enterprise_nrr"`
	ACVGrowth        Target      `json:"acv_growth"`
	ACVThen          json.Number `json:"acv_then"`
	ACVNow           json.Number `json:"acv_now"`
	ACVCohort        int         `json:"acv_cohort"`
	ACVYears         int         `json:"acv_years"`

	scope scope
	cfg   domain.EconomicsConfig
}

// EconomicsSegment is one segment's accounts per manager against the seed.
type EconomicsSegment struct {
	Tier             int     `json:"tier"`
	Name             string  `json:"name"`
	Accounts         int     `json:"accounts"`
	Owners           int     `json:"owners"`
	AccountsPerOwner float64 `json:"accounts_per_owner"`
	RatioMin         int     `json:"ratio_min"`
	RatioMax         int     `json:"ratio_max"`
	Versus           string  `json:"versus"`
	VariablePayMin   float64 `json:"variable_pay_min_pct"`
	VariablePayMax   float64 `json:"variable_pay_max_pct"`
}

// EconomicsOwner is one account manager's workload, payback and pay.
type EconomicsOwner struct {
	Owner          string      `json:"owner"`
	AccountsByTier [3]int      `json:"accounts_by_tier"`
	LoadPct        float64     `json:"load_pct"`
	ARR            json.Number `json:"arr"`
	Expansion      json.Number `json:"expansion"`
	PaybackMonths  *float64    `json:"payback_months" jsonschema:"nullable"`
	PaybackOK      bool        `json:"payback_ok"`
	VariablePay    json.Number `json:"variable_pay"`
}

// Target is a measured percentage against the seed's range.
type Target struct {
	Pct    float64 `json:"pct"`
	Low    float64 `json:"target_low"`
	High   float64 `json:"target_high"`
	Versus string  `json:"versus"` // below, within, above
}

func (e *Engine) economics(ctx context.Context, c *Call) (Result, error) {
	s, err := e.resolveScope(ctx, c)
	if err != nil {
		return nil, err
	}
	var accts []domain.TieredAccount
	err = e.each(ctx, s, func(a *domain.Account) error {
		cp := *a
		cp.Usage, cp.Signals = nil, nil // the callback's value is reused
		accts = append(accts, domain.TieredAccount{Account: &cp, Tier: domain.Evaluate(a, c.Today, e.Rules()).Tier.Tier})
		return nil
	})
	if err != nil {
		return nil, err
	}
	cfg := e.Rules().Economics
	x := domain.ComputeEconomics(accts, c.Today, cfg)
	cur := x.Currency
	r := &EconomicsResult{Owner: s.Owner, AsOf: c.Today, Currency: cur, Excluded: x.Excluded, Segments: []EconomicsSegment{}, Owners: []EconomicsOwner{},
		ManagerCost: major(x.Cost, cur), SalaryMin: major(x.SalaryMin, cur), SalaryMax: major(x.SalaryMax, cur),
		VariablePayPct: cfg.VariablePayPct, PaybackMaxMonths: cfg.PaybackMaxMonths,
		NRR:           target(x.NRRPct, [2]float64{100 + cfg.NRRImprovementPct[0], 100 + cfg.NRRImprovementPct[1]}),
		EnterpriseNRR: target(x.Segments[0].NRRPct, [2]float64{100 + cfg.EnterpriseNRRPct[0], 100 + cfg.EnterpriseNRRPct[1]}),
		ACVGrowth:     target(x.ACVGrowthPct, cfg.ACVGrowthPct),
		ACVThen:       major(x.ACVThen, cur), ACVNow: major(x.ACVNow, cur), ACVCohort: x.ACVCohort, ACVYears: cfg.ACVGrowthYears, scope: s, cfg: cfg}
	for i, sg := range x.Segments {
		r.Segments = append(r.Segments, EconomicsSegment{Tier: sg.Tier, Name: sg.Name, Accounts: sg.Accounts, Owners: sg.Owners,
			AccountsPerOwner: sg.AccountsPerOwner, RatioMin: sg.RatioMin, RatioMax: sg.RatioMax, Versus: sg.Versus,
			VariablePayMin: cfg.VariablePayMinPct[i], VariablePayMax: cfg.VariablePayMaxPct[i]})
	}
	for _, o := range x.Owners {
		r.Owners = append(r.Owners, EconomicsOwner{Owner: o.Owner, AccountsByTier: o.Accounts, LoadPct: o.LoadPct, ARR: major(o.ARR, cur),
			Expansion: major(o.Expansion, cur), PaybackMonths: o.PaybackMonths, PaybackOK: o.PaybackOK, VariablePay: major(o.VariablePay, cur)})
	}
	return r, nil
}

func target(pct float64, t [2]float64) Target {
	return Target{Pct: pct, Low: t[0], High: t[1], Versus: domain.Versus(pct, t)}
}

// Message draws the economics.
func (r *EconomicsResult) Message() *Message {
	m := &Message{Title: "Account-manager economics — " + r.scope.label()}
	if len(r.Owners) == 0 {
		m.Blocks = append(m.Blocks, Section{Text: "No accounts yet. Import your book with `accountbot import FILE`."})
		return m
	}
	short := func(n json.Number) string {
		v, _ := domain.ParseMajor(string(n), r.Currency)
		return domain.Money{Minor: v, Currency: r.Currency}.Short()
	}
	segs := List{Title: "Accounts per manager, by segment (seed ratio)"}
	for _, s := range r.Segments {
		if s.Accounts == 0 {
			continue
		}
		ratio := fmt.Sprintf("1:%d–%d", s.RatioMin, s.RatioMax)
		if s.RatioMax == 0 {
			ratio = fmt.Sprintf("1:%d+", s.RatioMin)
		}
		segs.Items = append(segs.Items, Item{Text: fmt.Sprintf("%s (Tier %d): %d accounts, %d managers → 1:%.1f, %s %s", s.Name, s.Tier, s.Accounts, s.Owners, s.AccountsPerOwner, s.Versus, ratio),
			Tone: versusTone(s.Versus, true)})
	}
	owners := List{Title: fmt.Sprintf("Per manager: load, expansion ARR (last 12 months), payback of %s a year, variable pay at %.0f%%", short(r.ManagerCost), r.VariablePayPct)}
	for _, o := range r.Owners {
		pb, tone := "no expansion yet", ToneWarn
		if o.PaybackMonths != nil {
			pb, tone = fmt.Sprintf("payback %.1f months", *o.PaybackMonths), ToneGood
			if !o.PaybackOK {
				tone = ToneBad
			}
		}
		if o.LoadPct > 100 {
			tone = ToneBad
		}
		owners.Items = append(owners.Items, Item{Text: fmt.Sprintf("%s: load %.0f%% (%s), %s ARR, +%s expansion, %s, variable pay %s", orNone(o.Owner), o.LoadPct,
			tierCounts(o.AccountsByTier), short(o.ARR), short(o.Expansion), pb, short(o.VariablePay)), Tone: tone})
	}
	m.Blocks = append(m.Blocks, segs, owners, Section{Fields: []Field{
		{Label: "NRR (12 months)", Value: fmt.Sprintf("%.1f%% — target %.0f–%.0f%%", r.NRR.Pct, r.NRR.Low, r.NRR.High), Tone: versusTone(r.NRR.Versus, false)},
		{Label: "Enterprise NRR", Value: fmt.Sprintf("%.1f%% — target %.0f–%.0f%%", r.EnterpriseNRR.Pct, r.EnterpriseNRR.Low, r.EnterpriseNRR.High), Tone: versusTone(r.EnterpriseNRR.Versus, false)},
		{Label: fmt.Sprintf("ACV growth (%d years)", r.ACVYears), Value: fmt.Sprintf("%s → %s, %.1f%% — target %.0f–%.0f%%", short(r.ACVThen), short(r.ACVNow), r.ACVGrowth.Pct, r.ACVGrowth.Low, r.ACVGrowth.High), Tone: versusTone(r.ACVGrowth.Versus, false)},
		{Label: "Payback target", Value: fmt.Sprintf("%.0f months", r.PaybackMaxMonths)},
	}})
	notes := fmt.Sprintf("Seed 000: salary %s–%s plus variable pay on expansion; load is accounts ÷ the ratio's upper bound per tier.", short(r.SalaryMin), short(r.SalaryMax))
	if r.Excluded > 0 {
		notes += fmt.Sprintf(" %d accounts in other currencies than %s are left out.", r.Excluded, r.Currency)
	}
	m.Blocks = append(m.Blocks, Context{Text: notes})
	m.Blocks = r.scope.note(m.Blocks)
	return m
}

func tierCounts(n [3]int) string {
	var parts []string
	for i, k := range n {
		if k > 0 {
			parts = append(parts, fmt.Sprintf("%d× Tier %d", k, i+1))
		}
	}
	return strings.Join(parts, ", ")
}

// versusTone colours a measure against its range: within is good; for
// ratios above (overloaded) is bad, for targets below is.
func versusTone(v string, ratio bool) Tone {
	switch {
	case v == "within":
		return ToneGood
	case ratio && v == "above", !ratio && v == "below":
		return ToneBad
	case v == "":
		return ToneNone
	}
	return ToneWarn
}
