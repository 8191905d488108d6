package demo

import (
	"math/rand/v2"

	"github.com/accountbot/accountbot/domain"
)

// History is the demo book's past: the scored fields as they were (a
// point-in-time history) and the outcomes logged, so `rules diff` has a
// back-test to show out of the box.
type History struct {
	States   map[string][]domain.FieldState
	Outcomes []domain.Outcome
}

// HistoryRange returns the history of accounts [from, to) of the book.
// It draws from its own random stream, so the book itself (Generate) is
// the same with or without it. The story per archetype:
//   - accounts at risk (declining usage, a competitor, often a departed
//     champion) used more seats half a year ago; about half of them are
//     lost at their renewal in the last weeks;
//   - growing accounts adopted fewer features and had no confirmed budget
//     until a few months ago; about half of them expanded recently;
//   - a few stable and underused accounts churn or expand with no warning,
//     so no rule set can be perfect.
func HistoryRange(o Options, from, to int) History {
	h := History{States: map[string][]domain.FieldState{}}
	for i, p := range GenerateRange(o, from, to) {
		rng := rand.New(rand.NewPCG(o.Seed^0x0b5e55ed, uint64(from+i)*0x9e3779b97f4a7c15+7))
		kind := kindOf(o, from+i)
		a := p.Core
		h.States[a.ID] = pastStates(rng, a, kind, o.Today)
		if oc, ok := outcome(rng, a, kind, o.Today); ok {
			h.Outcomes = append(h.Outcomes, oc)
		}
	}
	return h
}

// kindOf redraws account i's archetype: the first draw of its stream.
func kindOf(o Options, i int) archetype {
	rng := rand.New(rand.NewPCG(o.Seed, uint64(i)*0x9e3779b97f4a7c15+1))
	return archetype(rng.IntN(5))
}

// pastStates returns the account's fields seven months ago (or at its
// contract start) and, for growing accounts, the step in between. Today's
// values are the record itself (Apply records them).
func pastStates(rng *rand.Rand, a *domain.Account, kind archetype, today domain.Date) []domain.FieldState {
	start := today.AddDays(-210)
	if a.ContractStart > start {
		start = a.ContractStart
	}
	if start >= today {
		return nil // a contract that starts later has no past
	}
	base := knownThen(domain.StateOf(a, start))
	switch kind {
	case churnRisk, lostCause:
		base.SeatsActive = min(a.SeatsPurchased, a.SeatsActive*(115+rng.IntN(20))/100)
		base.FeaturesAdopted = min(a.FeaturesAvailable, a.FeaturesAdopted+1)
	case healthyGrowth:
		base.SeatsActive = a.SeatsActive * (70 + rng.IntN(15)) / 100
		base.FeaturesAdopted = max(1, a.FeaturesAdopted-3)
		base.BudgetConfirmed, base.CompanyGrowing = false, false
		mid := knownThen(domain.StateOf(a, today.AddDays(-7*(8+rng.IntN(10)))))
		mid.FeaturesAdopted = max(1, a.FeaturesAdopted-1)
		if mid.Date > start {
			return []domain.FieldState{base, mid}
		}
	}
	return []domain.FieldState{base}
}

// knownThen keeps a state's contact dates on or before its date, as a
// state recorded on that day would have them.
func knownThen(s domain.FieldState) domain.FieldState {
	for i := range s.Stakeholders {
		if s.Stakeholders[i].LastContact > s.Date {
			s.Stakeholders[i].LastContact = s.Date.AddDays(-14)
		}
	}
	return s
}

// outcome returns the outcome logged on the account in the last weeks, if any.
func outcome(rng *rand.Rand, a *domain.Account, kind archetype, today domain.Date) (domain.Outcome, bool) {
	o := domain.Outcome{AccountID: a.ID, Currency: a.Currency, By: a.Owner, Date: today.AddDays(-7 * (1 + rng.IntN(8)))}
	roll := rng.IntN(100)
	switch {
	case (kind == churnRisk || kind == lostCause) && roll < 50:
		o.Result, o.ARR, o.Note = domain.Lost, a.ARR, "Did not renew: moved to a cheaper competitor"
	case kind == stable && roll < 6:
		o.Result, o.ARR, o.Note = domain.Lost, a.ARR, "Did not renew: budget cut"
	case kind == healthyGrowth && roll < 55:
		o.Result, o.ARR, o.Motion, o.Note = domain.Won, a.ARR/4, pick(rng, []domain.Motion{domain.MotionUpsell, domain.MotionCrossSell, domain.MotionSeats}), "Expanded after the QBR"
	case kind == underused && roll < 6:
		o.Result, o.ARR, o.Motion, o.Note = domain.Won, a.ARR/10, domain.MotionSeats, "Added seats for a new team"
	default:
		return o, false
	}
	if o.Date < a.ContractStart {
		return o, false
	}
	return o, true
}
