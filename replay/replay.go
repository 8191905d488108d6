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
	"slices"
	"sort"

	"github.com/accountbot/accountbot/domain"
)

// Store is what a replay reads.
type Store interface {
	ForEachConcurrent(ctx context.Context, workers int, fn func(worker int, a *domain.Account) error) error
	FieldHistory(ctx context.Context, id string) ([]domain.FieldState, error)
	Outcomes(ctx context.Context, from, to domain.Date) ([]domain.Outcome, error)
}

// historyScanner is a Store that reads each account's field history in
// the same scan as the accounts (the Badger store): cheaper than a
// FieldHistory lookup per account, which the others get.
type historyScanner interface {
	ForEachWithHistory(ctx context.Context, workers int, fn func(worker int, a *domain.Account, hist []domain.FieldState) error) error
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
	return run(ctx, st, cur, cand, o, false)
}

// run is Run; fresh rebuilds every week's account from scratch (tests).
func run(ctx context.Context, st Store, cur, cand domain.Config, o Options, fresh bool) (*Diff, error) {
	if o.Weeks < 1 || o.Weeks > 260 {
		return nil, domain.Errorf(domain.EINVALID, "--weeks must be 1 to 260, got %d", o.Weeks)
	}
	workers := o.Workers
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	r := &replay{cur: cur, cand: cand, today: o.Today, weeks: o.Weeks, from: o.Today.AddDays(-7 * (o.Weeks - 1)), fresh: fresh}
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
	if hs, ok := st.(historyScanner); ok {
		err = hs.ForEachWithHistory(ctx, workers, func(w int, a *domain.Account, hist []domain.FieldState) error {
			r.account(ws[w], a, hist)
			return nil
		})
	} else {
		err = st.ForEachConcurrent(ctx, workers, func(w int, a *domain.Account) error {
			hist, err := st.FieldHistory(ctx, a.ID)
			if err != nil {
				return fmt.Errorf("reading the field history of %s: %w", a.ID, err)
			}
			r.account(ws[w], a, hist)
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("replaying the book: %w", err)
	}
	return r.merge(ws), nil
}

// replay is one replay's fixed inputs, shared read-only by the workers.
type replay struct {
	cur, cand   domain.Config
	today, from domain.Date
	weeks       int
	outcomes    map[string][]domain.Outcome
	// fresh rebuilds each week's account with domain.AsOf instead of
	// walking a timeline: slower, and the same answer (tests).
	fresh bool
}

func (r *replay) week(w int) domain.Date { return r.from.AddDays(7 * w) }

// ownerWeeks is one CSM's digests (the top N, ranked) and alert counts per
// week, under [current, candidate].
type ownerWeeks struct {
	top    [][2][]entry
	alerts [][2]int
}

// entry is one account in a digest: its rank key, and its name to show.
type entry struct {
	key  domain.RankKey
	name string
}

// worker is one goroutine's running totals (merge adds them up) and the
// buffers it reuses from account to account.
type worker struct {
	accounts, accountWeeks, baseline int
	changedNow, changedAny           ChangeCounts
	largest                          []AccountChange
	owners                           map[string]*ownerWeeks
	risk, expansion                  [2]domain.Tally
	weeks                            int

	timeline domain.Timeline
	acc      domain.Account // the account as of the week being evaluated
	alerted  [2][]string    // the alert ids one account has raised, per rule set
	flags    [2][]domain.Date
	tops     [2][]domain.Date
}

func newWorker(weeks int) *worker {
	return &worker{owners: map[string]*ownerWeeks{}, weeks: weeks}
}

func (wk *worker) owner(email string) *ownerWeeks {
	ow := wk.owners[email]
	if ow == nil {
		ow = &ownerWeeks{top: make([][2][]entry, wk.weeks), alerts: make([][2]int, wk.weeks)}
		wk.owners[email] = ow
	}
	return ow
}

// account replays one account on every week under both rule sets. It
// walks the account's history forward once (domain.Timeline): each week's
// account shares the lists of the one read from the store.
func (r *replay) account(wk *worker, a *domain.Account, hist []domain.FieldState) {
	a.Normalize() // once, for every week: the weeks' accounts share its sorted lists
	wk.timeline.Reset(a, hist)
	cfgs := [2]*domain.Config{&r.cur, &r.cand}
	for k := range 2 {
		wk.flags[k], wk.tops[k], wk.alerted[k] = wk.flags[k][:0], wk.tops[k][:0], wk.alerted[k][:0]
	}
	var ch AccountChange
	var differ [2]domain.Evaluation // at the latest week the verdicts differ
	var parts ChangeCounts          // which parts differed on some week (0 or 1 each)
	seen := false
	for w := range r.weeks {
		d := r.week(w)
		acc := &wk.acc
		info, ok := r.asOf(wk, a, hist, d)
		if !ok {
			continue
		}
		seen = true
		wk.accountWeeks++
		if info.Baseline {
			wk.baseline++
		}
		var ow *ownerWeeks
		if acc.Owner != "" {
			ow = wk.owner(acc.Owner)
		}
		var evs [2]domain.Evaluation
		var vs [2]domain.Verdict
		for k, cfg := range cfgs {
			evs[k] = domain.EvaluateWith(acc, d, *cfg, domain.EvaluateOptions{}) // no text: a diff shows none
			vs[k] = domain.VerdictOf(&evs[k])
			if vs[k].AtRisk() {
				wk.flags[k] = append(wk.flags[k], d)
			}
			if vs[k].Priority == domain.PriorityTop {
				wk.tops[k] = append(wk.tops[k], d)
			}
			if ow == nil {
				continue
			}
			ow.top[w][k] = offer(ow.top[w][k], entry{domain.RankKeyOf(&evs[k]), a.Name}, cfg.Priority.TopN)
			for _, al := range domain.Alerts(acc, evs[k].Health, d, alertWindow, *cfg) {
				if !slices.Contains(wk.alerted[k], al.ID) {
					wk.alerted[k] = append(wk.alerted[k], al.ID)
					ow.alerts[w][k]++
				}
			}
		}
		if vs[0] != vs[1] {
			ch = AccountChange{ID: a.ID, Name: a.Name, Owner: acc.Owner, ARR: a.Money(a.ARR), Date: d,
				Current: verdict(vs[0]), Candidate: verdict(vs[1]), WeeksDiffering: ch.WeeksDiffering + 1}
			differ = evs
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
		ch.Rule = domain.DiffRule(&differ[0], &differ[1]) // of the latest week only: the one shown
		wk.largest = keepLargest(wk.largest, ch)
		wk.changedAny.Accounts++
		wk.changedAny.Tier += min(parts.Tier, 1)
		wk.changedAny.Bands += min(parts.Bands, 1)
		wk.changedAny.Priority += min(parts.Priority, 1)
	}
	losses, gains := domain.BacktestEvents(a, r.outcomes[a.ID], r.from, r.today)
	for k := range 2 {
		wk.risk[k].Add(domain.Judge(wk.flags[k], losses))
		wk.expansion[k].Add(domain.Judge(wk.tops[k], gains))
	}
}

// asOf sets wk.acc to a as it was on d: from the worker's timeline, or,
// for the tests that hold the timeline to it, from a fresh domain.AsOf.
func (r *replay) asOf(wk *worker, a *domain.Account, hist []domain.FieldState, d domain.Date) (domain.AsOfInfo, bool) {
	if !r.fresh {
		return wk.timeline.At(d, &wk.acc)
	}
	acc, info, ok := domain.AsOf(a, hist, d)
	wk.acc = acc
	return info, ok
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

// offer inserts e into a list ranked by RankKey.Before, kept to n.
func offer(list []entry, e entry, n int) []entry {
	if len(list) == n && !e.key.Before(list[n-1].key) {
		return list
	}
	i := sort.Search(len(list), func(i int) bool { return e.key.Before(list[i].key) })
	if len(list) < n {
		list = append(list, entry{})
	}
	copy(list[i+1:], list[i:len(list)-1])
	list[i] = e
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
