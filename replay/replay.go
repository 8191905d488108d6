// Package replay evaluates two rule sets on each week of a past window of
// the book, as the book was on each of those days (domain.AsOf), and
// compares them with each other and with what happened (`accountbot rules
// diff`). The rules themselves are pure, in domain; this package walks the
// book, on every core, and adds up.
package replay

import (
	"context"
	"fmt"
	"runtime"
	"sort"

	"github.com/accountbot/accountbot/domain"
)

// Store is what a replay reads.
type Store interface {
	ForEachConcurrent(ctx context.Context, workers int, fn func(worker int, a *domain.Account) error) error
	FieldHistory(ctx context.Context, id string) ([]domain.FieldState, error)
	Outcomes(ctx context.Context, from, to domain.Date) ([]domain.Outcome, error)
}

// Options sets the window.
type Options struct {
	Today   domain.Date // the last replayed week
	Weeks   int         // weeks replayed, ending on Today
	Workers int         // 0: one per core
}

// MaxLargest is how many of the largest changed accounts a diff lists.
const MaxLargest = 20

// alertWindow is the days an alert looks back: one replayed week.
const alertWindow = 7

// Run replays cur and cand over the window and compares them.
func Run(ctx context.Context, st Store, cur, cand domain.Config, o Options) (*Diff, error) {
	if o.Weeks < 1 || o.Weeks > 260 {
		return nil, domain.Errorf(domain.EINVALID, "--weeks must be 1 to 260, got %d", o.Weeks)
	}
	workers := o.Workers
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	r := &run{cur: cur, cand: cand, today: o.Today, weeks: o.Weeks, from: o.Today.AddDays(-7 * (o.Weeks - 1))}
	outs, err := st.Outcomes(ctx, r.from.AddDays(1), r.today)
	if err != nil {
		return nil, fmt.Errorf("reading outcomes: %w", err)
	}
	r.outcomes = map[string][]domain.Outcome{}
	for _, oc := range outs {
		r.outcomes[oc.AccountID] = append(r.outcomes[oc.AccountID], oc)
	}
	ws := make([]*worker, workers)
	for i := range ws {
		ws[i] = newWorker(o.Weeks)
	}
	err = st.ForEachConcurrent(ctx, workers, func(w int, a *domain.Account) error {
		hist, err := st.FieldHistory(ctx, a.ID)
		if err != nil {
			return fmt.Errorf("reading the field history of %s: %w", a.ID, err)
		}
		r.account(ws[w], a, hist)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("replaying the book: %w", err)
	}
	return r.merge(ws), nil
}

// run is one replay's fixed inputs, shared read-only by the workers.
type run struct {
	cur, cand   domain.Config
	today, from domain.Date
	weeks       int
	outcomes    map[string][]domain.Outcome
}

func (r *run) week(w int) domain.Date { return r.from.AddDays(7 * w) }

// ownerWeeks is one CSM's digests (top-N rank keys) and alert counts per
// week, under [current, candidate].
type ownerWeeks struct {
	top    [][2][]domain.RankKey
	alerts [][2]int
}

// worker is one goroutine's running totals; merge adds them up.
type worker struct {
	accounts, accountWeeks, baseline int
	changedNow, changedAny           ChangeCounts
	largest                          []AccountChange
	owners                           map[string]*ownerWeeks
	risk, expansion                  [2]domain.Tally
	weeks                            int
}

func newWorker(weeks int) *worker {
	return &worker{owners: map[string]*ownerWeeks{}, weeks: weeks}
}

func (wk *worker) owner(email string) *ownerWeeks {
	ow := wk.owners[email]
	if ow == nil {
		ow = &ownerWeeks{top: make([][2][]domain.RankKey, wk.weeks), alerts: make([][2]int, wk.weeks)}
		wk.owners[email] = ow
	}
	return ow
}

// account replays one account on every week under both rule sets.
func (r *run) account(wk *worker, a *domain.Account, hist []domain.FieldState) {
	cfgs := [2]*domain.Config{&r.cur, &r.cand}
	var flags, tops [2][]domain.Date
	alerted := [2]map[string]bool{{}, {}}
	var ch AccountChange
	var parts ChangeCounts // which parts differed on some week (0 or 1 each)
	seen := false
	for w := range r.weeks {
		d := r.week(w)
		acc, info, ok := domain.AsOf(a, hist, d)
		if !ok {
			continue
		}
		seen = true
		wk.accountWeeks++
		if info.Baseline {
			wk.baseline++
		}
		var evs [2]domain.Evaluation
		var vs [2]domain.Verdict
		for k, cfg := range cfgs {
			evs[k] = domain.EvaluateWith(&acc, d, *cfg, domain.EvaluateOptions{}) // no text: a diff shows none
			vs[k] = domain.VerdictOf(&evs[k])
			if vs[k].AtRisk() {
				flags[k] = append(flags[k], d)
			}
			if vs[k].Priority == domain.PriorityTop {
				tops[k] = append(tops[k], d)
			}
			if acc.Owner == "" {
				continue
			}
			ow := wk.owner(acc.Owner)
			ow.top[w][k] = offer(ow.top[w][k], domain.RankKeyOf(&evs[k]), cfg.Priority.TopN)
			for _, al := range domain.Alerts(&acc, evs[k].Health, d, alertWindow, *cfg) {
				if !alerted[k][al.ID] {
					alerted[k][al.ID] = true
					ow.alerts[w][k]++
				}
			}
		}
		if vs[0] != vs[1] {
			ch = AccountChange{ID: a.ID, Name: a.Name, Owner: acc.Owner, ARR: a.Money(a.ARR), Date: d,
				Current: verdict(vs[0]), Candidate: verdict(vs[1]), Rule: domain.DiffRule(&evs[0], &evs[1]),
				WeeksDiffering: ch.WeeksDiffering + 1}
			count(&parts, vs)
			if d == r.today {
				count(&wk.changedNow, vs)
			}
		}
	}
	if !seen {
		return
	}
	wk.accounts++
	if ch.WeeksDiffering > 0 {
		wk.largest = keepLargest(wk.largest, ch)
		wk.changedAny.Accounts++
		wk.changedAny.Tier += min(parts.Tier, 1)
		wk.changedAny.Bands += min(parts.Bands, 1)
		wk.changedAny.Priority += min(parts.Priority, 1)
	}
	losses, gains := domain.BacktestEvents(a, r.outcomes[a.ID], r.from, r.today)
	for k := range 2 {
		wk.risk[k].Add(domain.Judge(flags[k], losses))
		wk.expansion[k].Add(domain.Judge(tops[k], gains))
	}
}

// count adds a changed verdict to c.
func count(c *ChangeCounts, vs [2]domain.Verdict) {
	c.Accounts++
	if vs[0].Tier != vs[1].Tier {
		c.Tier++
	}
	if vs[0].BandsDiffer(vs[1]) {
		c.Bands++
	}
	if vs[0].Priority != vs[1].Priority {
		c.Priority++
	}
}

// offer inserts k into a list ranked by RankKey.Before, kept to n.
func offer(list []domain.RankKey, k domain.RankKey, n int) []domain.RankKey {
	if len(list) == n && !k.Before(list[n-1]) {
		return list
	}
	i := sort.Search(len(list), func(i int) bool { return k.Before(list[i]) })
	if len(list) < n {
		list = append(list, domain.RankKey{})
	}
	copy(list[i+1:], list[i:len(list)-1])
	list[i] = k
	return list
}

// keepLargest adds c to the list of the largest changes by ARR, kept to MaxLargest.
func keepLargest(list []AccountChange, c AccountChange) []AccountChange {
	list = append(list, c)
	sort.Slice(list, func(i, j int) bool {
		if list[i].ARR.Minor != list[j].ARR.Minor {
			return list[i].ARR.Minor > list[j].ARR.Minor
		}
		return list[i].ID < list[j].ID
	})
	if len(list) > MaxLargest {
		list = list[:MaxLargest]
	}
	return list
}
