package bot

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/accountbot/accountbot/domain"
)

// OutcomesResult is `portfolio outcomes`: win rates by motion.
type OutcomesResult struct {
	// Owner is the `for` asked for ("" for the whole book).
	Owner    string          `json:"owner,omitempty"`
	From     domain.Date     `json:"from"`
	To       domain.Date     `json:"to"`
	Months   int             `json:"months"`
	ByMotion []MotionOutcome `json:"by_motion"`
	Outcomes int             `json:"outcomes"`
}

// MotionOutcome is one motion's logged outcomes ("other" for none).
type MotionOutcome struct {
	Motion     string                 `json:"motion"`
	Won        int                    `json:"won"`
	Lost       int                    `json:"lost"`
	Pending    int                    `json:"pending"`
	WinRatePct float64                `json:"win_rate_pct"`
	ARRWon     map[string]json.Number `json:"arr_won"`

	arr totals
}

func (e *Engine) outcomes(ctx context.Context, c *Call) (Result, error) {
	const months = 12
	from := c.Today.AddMonths(-months)
	all, err := e.Store.Outcomes(ctx, from, c.Today)
	if err != nil {
		return nil, fmt.Errorf("reading outcomes: %w", err)
	}
	if c.Args.Has("for") {
		// Only when asked: by default the win rates are the whole book's.
		if all, err = e.ownersOutcomes(ctx, c, all); err != nil {
			return nil, err
		}
	}
	r := &OutcomesResult{Owner: c.Args.Text("for"), From: from, To: c.Today, Months: months, ByMotion: []MotionOutcome{}, Outcomes: len(all)}
	at := map[string]int{}
	for _, o := range all {
		k := string(o.Motion)
		if k == "" {
			k = "other"
		}
		i, ok := at[k]
		if !ok {
			i = len(r.ByMotion)
			at[k] = i
			r.ByMotion = append(r.ByMotion, MotionOutcome{Motion: k, arr: totals{}})
		}
		a := &r.ByMotion[i]
		switch o.Result {
		case domain.Won:
			a.Won++
			a.arr.add(domain.Money{Minor: o.ARR, Currency: o.Currency})
		case domain.Lost:
			a.Lost++
		default:
			a.Pending++
		}
	}
	for i := range r.ByMotion {
		a := &r.ByMotion[i]
		if a.Won+a.Lost > 0 {
			a.WinRatePct = float64(a.Won) / float64(a.Won+a.Lost) * 100
		}
		a.ARRWon = a.arr.data()
	}
	return r, nil
}

// ownersOutcomes keeps the outcomes on the accounts of the `for` owner.
func (e *Engine) ownersOutcomes(ctx context.Context, c *Call, all []domain.Outcome) ([]domain.Outcome, error) {
	s, err := e.resolveScope(ctx, c)
	if err != nil || s.Owner == "" {
		return all, err
	}
	ids, err := e.Store.IDsByOwner(ctx, s.Owner)
	if err != nil {
		return nil, fmt.Errorf("listing %s's accounts: %w", s.Owner, err)
	}
	mine := map[string]bool{}
	for _, id := range ids {
		mine[id] = true
	}
	var out []domain.Outcome
	for _, o := range all {
		if mine[o.AccountID] {
			out = append(out, o)
		}
	}
	return out, nil
}

// Message draws the win rates.
func (r *OutcomesResult) Message() *Message {
	m := &Message{Title: fmt.Sprintf("Outcomes, last %d months", r.Months)}
	if r.Owner != "" {
		m.Title += " — for " + r.Owner
	}
	if r.Outcomes == 0 {
		m.Blocks = append(m.Blocks, Section{Text: "No outcomes logged yet. Use the \"Log outcome\" button or `account <name> outcome won seats 12000`."})
		return m
	}
	l := List{}
	for _, a := range r.ByMotion {
		label := domain.Motion(a.Motion).Label()
		if a.Motion == "other" {
			label = "Other"
		}
		l.Items = append(l.Items, Item{Text: fmt.Sprintf("%s: %.0f%% win rate (%d won, %d lost, %d pending) · %s ARR won", label, a.WinRatePct, a.Won, a.Lost, a.Pending, a.arr.String())})
	}
	m.Blocks = append(m.Blocks, l)
	return m
}
