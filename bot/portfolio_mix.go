package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/accountbot/accountbot/domain"
)

func (e *Engine) tierCounts(ctx context.Context, c *Call, s scope) ([3]int, [3]totals, error) {
	var counts [3]int
	arr := [3]totals{{}, {}, {}}
	err := e.each(ctx, s, func(a *domain.Account) error {
		h := domain.ScoreHealth(a, c.Today, e.Rules().Health)
		t := domain.AssignTier(a, h, e.Rules().Tiers).Tier
		counts[t-1]++
		arr[t-1].add(a.Money(a.ARR))
		return nil
	})
	return counts, arr, err
}

// AllocationResult is `portfolio allocation`.
type AllocationResult struct {
	Owner string                  `json:"owner"`
	Tiers []domain.TierAllocation `json:"tiers"`

	scope scope
	cfg   domain.AllocationConfig
}

func (e *Engine) allocation(ctx context.Context, c *Call) (Result, error) {
	s, err := e.resolveScope(ctx, c)
	if err != nil {
		return nil, err
	}
	counts, _, err := e.tierCounts(ctx, c, s)
	if err != nil {
		return nil, err
	}
	return &AllocationResult{Owner: s.Owner, Tiers: nonNil(domain.Allocate(counts, e.Rules().Allocation)), scope: s, cfg: e.Rules().Allocation}, nil
}

// Message draws the allocation.
func (r *AllocationResult) Message() *Message {
	m := &Message{Title: "Time allocation by tier — " + r.scope.label()}
	l := List{}
	for _, a := range r.Tiers {
		l.Items = append(l.Items, Item{Text: fmt.Sprintf("Tier %d: %d accounts (%.0f%%) → %.0f%% of your time, %.1f h/week", a.Tier, a.Accounts, a.AccountSharePct, a.TimeSharePct, a.HoursPerWeek),
			Detail: fmt.Sprintf("about %.2f h per account per week", a.HoursPerAccount)})
	}
	m.Blocks = append(m.Blocks, l, Context{Text: fmt.Sprintf("Weights per account %g:%g:%g over a %g-hour week (the seed's 10/20/20 accounts → 60/30/10%%).",
		r.cfg.Weights[0], r.cfg.Weights[1], r.cfg.Weights[2], r.cfg.HoursPerWeek)})
	m.Blocks = r.scope.note(m.Blocks)
	return m
}

// TiersResult is `portfolio tiers`.
type TiersResult struct {
	Owner string    `json:"owner"`
	Tiers []TierMix `json:"tiers"`

	scope scope
	arr   [3]totals
}

// TierMix is one tier's accounts and ARR.
type TierMix struct {
	Tier          int                    `json:"tier"`
	Accounts      int                    `json:"accounts"`
	ARRByCurrency map[string]json.Number `json:"arr_by_currency"`
}

func (e *Engine) tiers(ctx context.Context, c *Call) (Result, error) {
	s, err := e.resolveScope(ctx, c)
	if err != nil {
		return nil, err
	}
	counts, arr, err := e.tierCounts(ctx, c, s)
	if err != nil {
		return nil, err
	}
	r := &TiersResult{Owner: s.Owner, scope: s, arr: arr}
	for i := range 3 {
		r.Tiers = append(r.Tiers, TierMix{Tier: i + 1, Accounts: counts[i], ARRByCurrency: arr[i].data()})
	}
	return r, nil
}

// Message draws the tier mix.
func (r *TiersResult) Message() *Message {
	m := &Message{Title: "Tier mix — " + r.scope.label()}
	var fields []Field
	for i, t := range r.Tiers {
		fields = append(fields, Field{Label: fmt.Sprintf("Tier %d", t.Tier), Value: fmt.Sprintf("%d accounts · %s ARR", t.Accounts, r.arr[i].String())})
	}
	m.Blocks = append(m.Blocks, Section{Fields: fields})
	m.Blocks = r.scope.note(m.Blocks)
	return m
}

// NRRResult is `portfolio nrr`, money in major units of Currency.
type NRRResult struct {
	Owner             string                 `json:"owner"`
	From              domain.Date            `json:"from"`
	To                domain.Date            `json:"to"`
	Months            int                    `json:"months"`
	NRRPct            float64                `json:"nrr_pct"`
	GRRPct            float64                `json:"grr_pct"`
	StartARR          json.Number            `json:"start_arr"`
	EndARR            json.Number            `json:"end_arr"`
	Expansion         json.Number            `json:"expansion"`
	Contraction       json.Number            `json:"contraction"`
	Churn             json.Number            `json:"churn"`
	ExpansionByMotion map[string]json.Number `json:"expansion_by_motion"`
	Accounts          int                    `json:"accounts"`
	Currency          string                 `json:"currency"`
	// Mixed is set when accounts in other currencies were left out.
	Mixed bool `json:"mixed_currencies,omitempty"`

	scope scope
	r     domain.Retention
}

func (e *Engine) nrr(ctx context.Context, c *Call) (Result, error) {
	s, err := e.resolveScope(ctx, c)
	if err != nil {
		return nil, err
	}
	months := int(c.Args.Int("months"))
	from := c.Today.AddMonths(-months)
	var accts []*domain.Account
	cur, mixed := "", false
	err = e.each(ctx, s, func(a *domain.Account) error {
		cp := *a
		cp.Usage, cp.Signals = nil, nil // not needed; the callback's value is reused
		if cur == "" {
			cur = a.Currency
		} else if a.Currency != cur {
			mixed = true
			return nil
		}
		accts = append(accts, &cp)
		return nil
	})
	if err != nil {
		return nil, err
	}
	r := domain.ComputeRetention(accts, from, c.Today)
	res := &NRRResult{Owner: s.Owner, From: from, To: c.Today, Months: months, NRRPct: r.NRRPct, GRRPct: r.GRRPct,
		StartARR: major(r.StartARR, cur), EndARR: major(r.EndARR, cur), Expansion: major(r.Expansion, cur),
		Contraction: major(r.Contraction, cur), Churn: major(r.Churn, cur), ExpansionByMotion: map[string]json.Number{},
		Accounts: r.Accounts, Currency: cur, Mixed: mixed, scope: s, r: r}
	for k, v := range r.ByMotion {
		key := string(k)
		if key == "" {
			key = "unattributed"
		}
		res.ExpansionByMotion[key] = major(v, cur)
	}
	return res, nil
}

// Message draws the retention figures.
func (res *NRRResult) Message() *Message {
	r, cur := res.r, res.Currency
	money := func(v int64) string { return domain.Money{Minor: v, Currency: cur}.Short() }
	m := &Message{Title: fmt.Sprintf("Revenue retention, last %d months — %s", res.Months, res.scope.label())}
	m.Blocks = append(m.Blocks, Section{Fields: []Field{
		{Label: "NRR", Value: fmt.Sprintf("%.1f%%", r.NRRPct), Tone: map[bool]Tone{true: ToneGood, false: ToneWarn}[r.NRRPct >= 100]},
		{Label: "GRR", Value: fmt.Sprintf("%.1f%%", r.GRRPct)},
		{Label: "Starting ARR", Value: money(r.StartARR)},
		{Label: "Expansion", Value: "+" + money(r.Expansion)},
		{Label: "Contraction", Value: "-" + money(r.Contraction)},
		{Label: "Churn", Value: "-" + money(r.Churn)},
	}})
	l := List{Title: "Expansion by motion"}
	keys := make([]string, 0, len(r.ByMotion))
	for k := range r.ByMotion {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	for _, k := range keys {
		label := domain.Motion(k).Label()
		if k == "" {
			label = "Unattributed"
		}
		l.Items = append(l.Items, Item{Text: fmt.Sprintf("%s: +%s", label, money(r.ByMotion[domain.Motion(k)]))})
	}
	if len(l.Items) > 0 {
		m.Blocks = append(m.Blocks, l)
	}
	ctxText := fmt.Sprintf("Cohort: %d accounts with ARR on %s. ARR history comes from arr_history in imports; accounts without one count as flat.", r.Accounts, res.From)
	if res.Mixed {
		ctxText += fmt.Sprintf(" Only %s accounts are counted; the book has other currencies.", cur)
	}
	m.Blocks = append(m.Blocks, Context{Text: ctxText})
	m.Blocks = res.scope.note(m.Blocks)
	return m
}

// OwnersResult is `portfolio owners`.
type OwnersResult struct {
	Owners []domain.OwnerCount `json:"owners"`
}

func (e *Engine) owners(ctx context.Context, c *Call) (Result, error) {
	owners, err := e.Store.Owners(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing owners: %w", err)
	}
	return &OwnersResult{Owners: nonNil(owners)}, nil
}

// Message draws the owners.
func (r *OwnersResult) Message() *Message {
	m := &Message{Title: "Account owners"}
	l := List{}
	for _, o := range r.Owners {
		l.Items = append(l.Items, Item{Text: fmt.Sprintf("%s — %d accounts", o.Owner, o.Accounts)})
	}
	m.Blocks = append(m.Blocks, l)
	return m
}
