package domain

import (
	"slices"
	"sort"
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
// order) and its own dated lists. Nothing dated after d is visible: usage
// snapshots, signals and ARR history points after d are dropped, the
// scored fields come from the latest state dated on or before d, a
// stakeholder's departure after d has not happened yet and a contact after
// d is not known (the last contact on or before d is not kept, so it reads
// as none). Ticket and billing feeds are left out: they keep no history. It
// reports false when the account was not a customer yet on d (its
// contract starts later, or its history starts later and says so).
//
// The returned account's dated lists, limits and stakeholders are its own
// copies; names, aliases and external ids are shared with a.
func AsOf(a *Account, hist []FieldState, d Date) (Account, AsOfInfo, bool) {
	var info AsOfInfo
	if !a.ContractStart.IsZero() && a.ContractStart > d {
		return Account{}, info, false
	}
	out := *a
	out.Support, out.Billing = nil, nil
	st, ok := stateOn(hist, d)
	if !ok {
		info.Baseline = true
		if len(hist) > 0 {
			st = earliest(hist)
		} else {
			st = StateOf(a, 0)
		}
	}
	out.Owner, out.ARR, out.Plan, out.RenewalDate = st.Owner, st.ARR, st.Plan, st.RenewalDate
	out.SeatsPurchased, out.SeatsActive = st.SeatsPurchased, st.SeatsActive
	out.FeaturesAvailable, out.FeaturesAdopted = st.FeaturesAvailable, st.FeaturesAdopted
	out.Limits, out.BudgetConfirmed, out.CompanyGrowing = slices.Clone(st.Limits), st.BudgetConfirmed, st.CompanyGrowing
	out.ExpansionPotential = st.ExpansionPotential
	out.Stakeholders = make([]Stakeholder, 0, len(st.Stakeholders))
	for _, s := range st.Stakeholders {
		if s.Left > d {
			s.Left = NoDate
		}
		if s.LastContact > d {
			s.LastContact = NoDate
		}
		out.Stakeholders = append(out.Stakeholders, s)
	}
	out.Usage = cutDated(a.Usage, d, func(s Snapshot) Date { return s.Date })
	out.Signals = cutDated(a.Signals, d, func(s Signal) Date { return s.Date })
	out.ARRHistory = cutDated(a.ARRHistory, d, func(p ARRPoint) Date { return p.Date })
	if len(a.ARRHistory) > 0 {
		// The ARR history is the authority on past ARR, baseline or not.
		if len(out.ARRHistory) == 0 {
			return Account{}, info, false // no ARR yet: not a customer on d
		}
		out.ARR = out.ARRHistory[len(out.ARRHistory)-1].ARR
	}
	out.Normalize()
	return out, info, true
}

// stateOn returns the latest state dated on or before d.
func stateOn(hist []FieldState, d Date) (FieldState, bool) {
	var best FieldState
	found := false
	for _, s := range hist {
		if s.Date <= d && (!found || s.Date >= best.Date) {
			best, found = s, true
		}
	}
	return best, found
}

func earliest(hist []FieldState) FieldState {
	e := hist[0]
	for _, s := range hist[1:] {
		if s.Date < e.Date {
			e = s
		}
	}
	return e
}

// cutDated returns a copy of the items of a date-sorted list dated on or before d.
func cutDated[T any](items []T, d Date, date func(T) Date) []T {
	n := sort.Search(len(items), func(i int) bool { return date(items[i]) > d })
	return slices.Clone(items[:n])
}
