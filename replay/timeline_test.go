package replay

import (
	"context"
	"reflect"
	"slices"
	"testing"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/demo"
)

// demoBook is an n-account demo book as the store gives it back: each
// account with its usage and signals, its recorded field history (the
// demo's past states, then today's) and the outcomes logged.
func demoBook(n int) *fakeStore {
	o := demo.Defaults(today)
	o.Accounts = n
	f := &fakeStore{hist: map[string][]domain.FieldState{}}
	h := demo.HistoryRange(o, 0, o.Accounts)
	for _, p := range demo.Generate(o) {
		a := p.Core
		a.Usage, a.Signals = p.Usage, p.Signals
		a.Normalize()
		f.accounts = append(f.accounts, a)
		f.hist[a.ID] = append(h.States[a.ID], domain.StateOf(a, today))
	}
	f.outcomes = h.Outcomes
	return f
}

// exampleCandidate is examples/rules-candidate.yaml: it moves bands,
// priorities, escalations and alerts.
func exampleCandidate() domain.Config {
	c := domain.DefaultConfig()
	c.Health.UsageDeclineMinPct = 10
	c.Health.BudgetPoints = 15
	c.Priority.RenewalRiskReadiness = domain.Red
	return c
}

// TestTimelineReplayIsTheFreshOne holds the replay's shortcut (each
// account's history walked forward once, its weeks sharing its lists) to
// the plain reading (the account rebuilt from scratch with domain.AsOf on
// every week): on a demo book, some histories out of order, the whole
// diff is identical.
func TestTimelineReplayIsTheFreshOne(t *testing.T) {
	f := demoBook(300)
	for i, a := range f.accounts {
		if i%5 == 0 { // the replay must not rely on the store's order
			slices.Reverse(f.hist[a.ID])
		}
	}
	run := func(fresh bool) *Diff {
		d, err := run(context.Background(), f, domain.DefaultConfig(), exampleCandidate(), Options{Today: today, Weeks: 26, Workers: 2}, fresh)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	want, got := run(true), run(false)
	if want.ChangedAnyWeek.Accounts == 0 || want.Alerts.Current == 0 || len(want.Names) == 0 || want.Backtest.Risk.Current.Caught == 0 {
		t.Fatalf("the book exercises too little for the comparison to mean anything: %+v", want)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the timeline replay differs from the fresh one:\n got %+v\nwant %+v", got, want)
	}
}
