package domain

import (
	"cmp"
	"slices"
	"strings"
)

// FieldState is the account's scored fields that change over time, as they
// were from Date on. The store keeps one per account per day on which any
// of them changed (storage/badger/fieldhistory.go), so the book can be replayed
// as it was on a past date. Fields dated by themselves (usage snapshots,
// signals, the ARR history, outcomes) are not repeated here.
type FieldState struct {
	Date               Date          `json:"date"`
	Owner              string        `json:"owner,omitempty"`
	ARR                int64         `json:"arr_minor"`
	Plan               string        `json:"plan,omitempty"`
	RenewalDate        Date          `json:"renewal_date,omitempty"`
	SeatsPurchased     int           `json:"seats_purchased,omitempty"`
	SeatsActive        int           `json:"seats_active,omitempty"`
	FeaturesAvailable  int           `json:"features_available,omitempty"`
	FeaturesAdopted    int           `json:"features_adopted,omitempty"`
	Limits             []PlanLimit   `json:"limits,omitempty"`
	BudgetConfirmed    bool          `json:"budget_confirmed,omitempty"`
	CompanyGrowing     bool          `json:"company_growing,omitempty"`
	ExpansionPotential int64         `json:"expansion_potential_minor,omitempty"`
	Stakeholders       []Stakeholder `json:"stakeholders,omitempty"`
}

// StateOf returns a's scored fields, dated d.
func StateOf(a *Account, d Date) FieldState {
	return FieldState{Date: d, Owner: a.Owner, ARR: a.ARR, Plan: a.Plan, RenewalDate: a.RenewalDate,
		SeatsPurchased: a.SeatsPurchased, SeatsActive: a.SeatsActive,
		FeaturesAvailable: a.FeaturesAvailable, FeaturesAdopted: a.FeaturesAdopted,
		Limits: slices.Clone(a.Limits), BudgetConfirmed: a.BudgetConfirmed, CompanyGrowing: a.CompanyGrowing,
		ExpansionPotential: a.ExpansionPotential, Stakeholders: slices.Clone(a.Stakeholders)}
}

// SameFields reports whether s and o hold the same values, whatever their dates.
func (s FieldState) SameFields(o FieldState) bool {
	o.Date = s.Date
	return s.Owner == o.Owner && s.ARR == o.ARR && s.Plan == o.Plan && s.RenewalDate == o.RenewalDate &&
		s.SeatsPurchased == o.SeatsPurchased && s.SeatsActive == o.SeatsActive &&
		s.FeaturesAvailable == o.FeaturesAvailable && s.FeaturesAdopted == o.FeaturesAdopted &&
		slices.Equal(s.Limits, o.Limits) && s.BudgetConfirmed == o.BudgetConfirmed && s.CompanyGrowing == o.CompanyGrowing &&
		s.ExpansionPotential == o.ExpansionPotential && slices.Equal(s.Stakeholders, o.Stakeholders)
}

// AsOfInfo says how an account was reconstructed for a date.
type AsOfInfo struct {
	// Baseline: no field state was recorded on or before the date (the
	// history starts later, e.g. at the first import), so the earliest
	// known values stand in for the scored fields. Dated data is still
	// cut at the date.
	Baseline bool
}

// AsOf reconstructs account a as it was on d, from its field history (any
// order) and its own dated lists (sorted by date, as the store keeps them).
// Nothing dated after d is visible: usage snapshots, signals and ARR
// history points after d are dropped, the scored fields come from the
// latest state dated on or before d, a stakeholder's departure after d has
// not happened yet and a contact after d is not known (the last contact on
// or before d is not kept, so it reads as none). Ticket and billing feeds
// are left out: they keep no history. It reports false when the account
// was not a customer yet on d (its contract starts later, or its history
// starts later and says so).
//
// The returned account's dated lists, limits and stakeholders are its own
// copies; names, aliases and external ids are shared with a. A replay of
// many dates walks a Timeline instead, which copies none of them.
func AsOf(a *Account, hist []FieldState, d Date) (Account, AsOfInfo, bool) {
	var t Timeline
	t.Reset(a, hist)
	var out Account
	info, ok := t.At(d, &out)
	if !ok {
		return Account{}, info, false
	}
	out.Usage, out.Signals, out.ARRHistory = slices.Clone(out.Usage), slices.Clone(out.Signals), slices.Clone(out.ARRHistory)
	out.Limits, out.Stakeholders = slices.Clone(out.Limits), slices.Clone(out.Stakeholders)
	out.Normalize()
	return out, info, true
}

// Timeline is one account's history, read forward: At on a sequence of
// dates gives what AsOf gives on each, without rebuilding the account or
// searching its history from the start each time (a replay asks for 26
// dates of 100,000 accounts). The zero value is ready for Reset; one
// Timeline serves account after account, reusing its buffers.
type Timeline struct {
	a    *Account
	hist []FieldState // sorted by date, equal dates in their given order
	// Cursors for the last date asked: the states, usage snapshots,
	// signals and ARR points dated on or before it.
	last                       Date
	states, usage, sigs, arrPt int
	sorted                     []FieldState // Reset's buffer for a history out of order
	people                     []Stakeholder
	owner, ownerNorm           string
}

// Reset points t at account a and its field history (any order). a's
// dated lists must be sorted by date; t reads a and hist but never writes
// them, and they must not change while t is in use.
func (t *Timeline) Reset(a *Account, hist []FieldState) {
	byDate := func(x, y FieldState) int { return cmp.Compare(x.Date, y.Date) }
	if !slices.IsSortedFunc(hist, byDate) {
		t.sorted = append(t.sorted[:0], hist...)
		slices.SortStableFunc(t.sorted, byDate)
		hist = t.sorted
	}
	t.a, t.hist = a, hist
	t.last, t.states, t.usage, t.sigs, t.arrPt = NoDate, 0, 0, 0, 0
}

// At sets *out to the account as it was on d, as AsOf does, and reports
// false when it was not a customer yet. Dates asked in increasing order
// cost only the history between them. *out shares its lists with the
// account and with t (its stakeholders are valid until the next At): it is
// for reading, e.g. by an evaluation. Unlike AsOf, At does not normalise
// the account's dated lists: a should be normalised already.
func (t *Timeline) At(d Date, out *Account) (AsOfInfo, bool) {
	var info AsOfInfo
	a := t.a
	if !a.ContractStart.IsZero() && a.ContractStart > d {
		return info, false
	}
	if d < t.last {
		t.states, t.usage, t.sigs, t.arrPt = 0, 0, 0, 0
	}
	t.last = d
	t.states = forward(t.hist, t.states, d, func(s *FieldState) Date { return s.Date })
	t.usage = forward(a.Usage, t.usage, d, func(s *Snapshot) Date { return s.Date })
	t.sigs = forward(a.Signals, t.sigs, d, func(s *Signal) Date { return s.Date })
	t.arrPt = forward(a.ARRHistory, t.arrPt, d, func(p *ARRPoint) Date { return p.Date })
	if len(a.ARRHistory) > 0 && t.arrPt == 0 {
		return info, false // no ARR yet: not a customer on d
	}
	*out = *a
	out.Support, out.Billing = nil, nil
	var st *FieldState
	switch {
	case t.states > 0:
		st = &t.hist[t.states-1] // the latest on or before d; the last given of a day
	case len(t.hist) > 0:
		info.Baseline, st = true, &t.hist[0]
	default:
		info.Baseline = true
	}
	if st != nil {
		out.Owner, out.ARR, out.Plan, out.RenewalDate = st.Owner, st.ARR, st.Plan, st.RenewalDate
		out.SeatsPurchased, out.SeatsActive = st.SeatsPurchased, st.SeatsActive
		out.FeaturesAvailable, out.FeaturesAdopted = st.FeaturesAvailable, st.FeaturesAdopted
		out.Limits, out.BudgetConfirmed, out.CompanyGrowing = st.Limits, st.BudgetConfirmed, st.CompanyGrowing
		out.ExpansionPotential, out.Stakeholders = st.ExpansionPotential, st.Stakeholders
	}
	out.Owner = t.normOwner(out.Owner)
	t.people = t.people[:0]
	for _, s := range out.Stakeholders {
		if s.Left > d {
			s.Left = NoDate
		}
		if s.LastContact > d {
			s.LastContact = NoDate
		}
		t.people = append(t.people, s)
	}
	out.Stakeholders = t.people[:len(t.people):len(t.people)]
	// Capped, so an append to the copy never writes into the account.
	out.Usage, out.Signals = a.Usage[:t.usage:t.usage], a.Signals[:t.sigs:t.sigs]
	out.ARRHistory = a.ARRHistory[:t.arrPt:t.arrPt]
	if len(a.ARRHistory) > 0 {
		// The ARR history is the authority on past ARR, baseline or not.
		out.ARR = out.ARRHistory[len(out.ARRHistory)-1].ARR
	}
	return info, true
}

// normOwner is Normalize's rule for the owner, remembering the last one
// (an account's owner rarely changes from week to week).
func (t *Timeline) normOwner(s string) string {
	if s != t.owner {
		t.owner, t.ownerNorm = s, strings.ToLower(strings.TrimSpace(s))
	}
	return t.ownerNorm
}

// forward moves cursor i (the count of items dated on or before the last
// date) on to d, in a list sorted by date.
func forward[T any](items []T, i int, d Date, date func(*T) Date) int {
	for i < len(items) && date(&items[i]) <= d {
		i++
	}
	return i
}
