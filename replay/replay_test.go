package replay

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

var today = domain.MustDate("2026-11-23")

// fakeStore is a book in memory. Outcomes returns every outcome whatever
// the dates asked: the replay must not rely on the store to cut them.
type fakeStore struct {
	accounts []*domain.Account
	hist     map[string][]domain.FieldState
	outcomes []domain.Outcome
}

func (f *fakeStore) ForEachConcurrent(ctx context.Context, workers int, fn func(int, *domain.Account) error) error {
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(f.accounts); i += workers {
				c := *f.accounts[i] // each call owns its account
				if err := fn(w, &c); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeStore) FieldHistory(ctx context.Context, id string) ([]domain.FieldState, error) {
	return f.hist[id], nil
}

func (f *fakeStore) Outcomes(ctx context.Context, from, to domain.Date) ([]domain.Outcome, error) {
	return f.outcomes, nil
}

// weekly returns n weekly snapshots ending on end, usage going from u0 to u1.
func weekly(end domain.Date, n int, u0, u1 int64) []domain.Snapshot {
	out := make([]domain.Snapshot, n)
	for i := range n {
		u := u0 + (u1-u0)*int64(i)/int64(n-1)
		out[i] = domain.Snapshot{Date: end.AddDays(-7 * (n - 1 - i)), ActiveUsers: int(u / 100), Usage: u, Tickets: 1}
	}
	return out
}

// book is 12 accounts: every third one's usage falls by half over the
// last 40 weeks, the others hold steady; some churn, some expand.
func book() *fakeStore {
	f := &fakeStore{hist: map[string][]domain.FieldState{}}
	for i := range 12 {
		a := &domain.Account{ID: fmt.Sprintf("a%02d", i), Name: fmt.Sprintf("Account %d", i), Owner: fmt.Sprintf("csm%d@example.com", i%3),
			ARR: int64(20_000+i*10_000) * 100, Currency: "USD", ContractStart: today.AddDays(-700), RenewalDate: today.AddDays(200 + 10*i),
			SeatsPurchased: 100, SeatsActive: 60, FeaturesAvailable: 10, FeaturesAdopted: 5 + i%4, BudgetConfirmed: i%2 == 0,
			Stakeholders: []domain.Stakeholder{{Name: "Exec", Executive: true, LastContact: today.AddDays(-210)}}}
		if i%3 == 0 {
			a.Usage = weekly(today, 60, 60_000, 10_000)
		} else {
			a.Usage = weekly(today, 60, 30_000, 30_000)
		}
		past := domain.StateOf(a, today.AddDays(-300))
		past.FeaturesAdopted, past.Stakeholders = 3, nil
		// As Apply records them: the fields changed 200 days ago, before the window.
		f.hist[a.ID] = []domain.FieldState{past, domain.StateOf(a, today.AddDays(-200))}
		if i%3 == 0 && i > 0 {
			f.outcomes = append(f.outcomes, domain.Outcome{AccountID: a.ID, Date: today.AddDays(-14), Result: domain.Lost})
		}
		if i == 5 {
			f.outcomes = append(f.outcomes, domain.Outcome{AccountID: a.ID, Date: today.AddDays(-21), Result: domain.Won, Motion: domain.MotionUpsell})
		}
		a.Normalize()
		f.accounts = append(f.accounts, a)
	}
	return f
}

// plantFuture adds data dated after today everywhere the replay reads.
func (f *fakeStore) plantFuture() {
	later := today.AddDays(2)
	for _, a := range f.accounts {
		a.Usage = append(a.Usage, domain.Snapshot{Date: later, ActiveUsers: 1, Usage: 1, Tickets: 99})
		a.Signals = append(a.Signals, domain.Signal{Date: later, Kind: domain.SignalCompetitor, Note: "rival"})
		a.ARRHistory = []domain.ARRPoint{{Date: a.ContractStart, ARR: a.ARR}, {Date: later, ARR: a.ARR / 2}}
		st := domain.StateOf(a, later)
		st.FeaturesAdopted, st.BudgetConfirmed, st.Owner = 1, false, "someone@example.com"
		st.Stakeholders = append(st.Stakeholders, domain.Stakeholder{Name: "Late", Champion: true, LastContact: later})
		f.hist[a.ID] = append(f.hist[a.ID], st)
		f.outcomes = append(f.outcomes, domain.Outcome{AccountID: a.ID, Date: later, Result: domain.Lost},
			domain.Outcome{AccountID: a.ID, Date: later.AddDays(5), Result: domain.Won, Motion: domain.MotionSeats})
	}
}

func replayBook(t *testing.T, f *fakeStore, cand domain.Config, workers int) *Diff {
	t.Helper()
	d, err := Run(context.Background(), f, domain.DefaultConfig(), cand, Options{Today: today, Weeks: 26, Workers: workers})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestReplayNeverLooksAhead(t *testing.T) {
	cand := domain.DefaultConfig()
	cand.Health.UsageDeclinePoints = 30
	want := replayBook(t, book(), cand, 2)
	f := book()
	f.plantFuture()
	if got := replayBook(t, f, cand, 2); !reflect.DeepEqual(got, want) {
		t.Errorf("data dated after today changed the replay:\n got %+v\nwant %+v", got, want)
	}
}

func TestOneWeightChangesExactlyTheAccountsItScores(t *testing.T) {
	cand := domain.DefaultConfig()
	cand.Health.UsageDeclinePoints = 30 // 15 → 30: a usage decline alone now makes retention risk high
	d := replayBook(t, book(), cand, 2)
	var got []string
	for _, c := range d.Largest {
		got = append(got, c.ID)
		if c.Rule != "health.usage_decline" {
			t.Errorf("%s changed by %q, want health.usage_decline", c.ID, c.Rule)
		}
		if c.Current.Risk != domain.BandMedium || c.Candidate.Risk != domain.BandHigh || c.Candidate.Priority == c.Current.Priority {
			t.Errorf("%s: %+v → %+v", c.ID, c.Current, c.Candidate)
		}
	}
	sort.Strings(got)
	want := []string{"a00", "a03", "a06", "a09"} // the declining ones
	if !slices.Equal(got, want) {
		t.Errorf("changed accounts %v, want %v", got, want)
	}
	// High risk raises the touch of a tier 2 or 3 account (a09 is tier 1 already).
	if d.Changed.Accounts != 4 || d.Changed.Bands != 4 || d.Changed.Tier != 3 {
		t.Errorf("changed today %+v", d.Changed)
	}
	// The lost accounts are the declining ones: the candidate catches all
	// three, the current rules two, with no new false alarm.
	if r := d.Backtest.Risk; r.Candidate.Caught != 3 || r.Current.Caught != 2 || r.Candidate.Accounts != 3 ||
		r.Candidate.FalseAlarms != r.Current.FalseAlarms {
		t.Errorf("back-test %+v", r)
	}
}

func TestSameRulesChangeNothingAndWorkersAgree(t *testing.T) {
	d1 := replayBook(t, book(), domain.DefaultConfig(), 1)
	if d1.ChangedAnyWeek.Accounts != 0 || len(d1.Largest) != 0 || d1.Alerts.Current != d1.Alerts.Candidate ||
		!reflect.DeepEqual(d1.Backtest.Risk.Current, d1.Backtest.Risk.Candidate) {
		t.Errorf("the same rules differ: %+v", d1)
	}
	if d1.Accounts != 12 || d1.AccountWeeks != 12*26 || d1.BaselineWeeks != 0 {
		t.Errorf("accounts %d weeks %d baseline %d", d1.Accounts, d1.AccountWeeks, d1.BaselineWeeks)
	}
	cand := domain.DefaultConfig()
	cand.Health.UsageDeclinePoints = 30
	if a, b := replayBook(t, book(), cand, 1), replayBook(t, book(), cand, 3); !reflect.DeepEqual(a, b) {
		t.Error("1 and 3 workers give different results")
	}
}

func TestWeeksOutOfRange(t *testing.T) {
	_, err := Run(context.Background(), book(), domain.DefaultConfig(), domain.DefaultConfig(), Options{Today: today, Weeks: 0})
	if domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("err = %v", err)
	}
}

func TestDigestDiff(t *testing.T) {
	k := func(ids ...string) []entry {
		var out []entry
		for _, id := range ids {
			out = append(out, entry{domain.RankKey{ID: id}, "Name " + id})
		}
		return out
	}
	names := map[string]string{}
	added, dropped := digestDiff(k("a", "b", "c"), k("c", "d", "a"), names)
	if !slices.Equal(added, []string{"d"}) || !slices.Equal(dropped, []string{"b"}) {
		t.Errorf("added %v dropped %v", added, dropped)
	}
	if want := map[string]string{"b": "Name b", "d": "Name d"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names %v, want %v: the accounts listed, and only those", names, want)
	}
	if added, dropped := digestDiff(k("a", "b"), k("b", "a"), map[string]string{}); len(added)+len(dropped) != 0 {
		t.Errorf("a reordered digest is the same digest: %v %v", added, dropped)
	}
}
