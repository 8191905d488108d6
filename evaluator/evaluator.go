// Package evaluator keeps every account's stored evaluation current: when
// an account's data changes it is re-evaluated at once and its record and
// rank index entries are rewritten (storage's ev/, eo/, eb/ keys), and the
// accounts whose evaluation started a new alert are handed to the nudge
// scheduler. Date-driven rules (renewal windows, staleness, days since
// contact) are refreshed once a day per time zone, when the owner's local
// date rolls over; a daily consistency check compares every stored record
// with a fresh evaluation and repairs any drift. The rules themselves stay
// in domain; this package only orchestrates.
package evaluator

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// Store is what the evaluator reads and writes.
type Store interface {
	Account(ctx context.Context, id string) (*domain.Account, error)
	ForEach(ctx context.Context, fn func(*domain.Account) error) error
	Evaluation(ctx context.Context, id string) (domain.EvalRecord, bool, error)
	PutEvaluations(ctx context.Context, recs []domain.EvalRecord) error
	DeleteEvaluation(ctx context.Context, id string) error
	ForEachEvaluation(ctx context.Context, fn func(domain.EvalRecord) error) error
	Ranked(ctx context.Context, owner string, book bool, fn func(id string) bool) error
	EvaluationOwners(ctx context.Context) ([]domain.OwnerCount, error)
	PutScores(ctx context.Context, scores []domain.Scored) error
}

// Watcher, when the store implements it, reports every write to an
// account's data, whoever made it (API, Segment, sync, chat, import).
// ready, when given, is called once every later write is reported.
type Watcher interface {
	WatchAccounts(ctx context.Context, fn func(ids []string), ready func()) error
}

// Alerter takes the accounts whose evaluation started a new alert, and
// the check's accounts with active alerts, which wait behind them (the
// nudge scheduler: it plans, dedupes through its ledger and delivers).
type Alerter interface {
	AlertAccounts(ctx context.Context, ids []string)
	SweepAlerts(ctx context.Context, ids []string)
}

// Options configures an Evaluator.
type Options struct {
	Rules        domain.Config
	RulesVersion int // the version in force (0: before versions), stored on every record and score
	AlertWindow  int // days an alert event stays active (nudges.alert_window_days)
	// Zone is an owner's time zone ("" for unowned accounts); nil: UTC.
	Zone    func(ctx context.Context, owner string) *time.Location
	Alerter Alerter // nil: no alerts
	Now     func() time.Time
	Log     *slog.Logger
	// RefreshEvery is how often owners' local dates are checked for a
	// rollover (default a minute); CheckEvery is the consistency check's
	// period (default a day).
	RefreshEvery, CheckEvery time.Duration
	// Coalesce is how long Run lets changes gather after the first one
	// before evaluating them (default 10 ms; well inside the 100 ms from a
	// POST to its score): a burst of events for one account is evaluated
	// once, and a burst for many is written in shared transactions.
	Coalesce time.Duration
	// BulkShare is the share of one core Run takes while a bulk load
	// arrives (more than BulkBatch changed accounts in a batch, and again
	// as many queued while it ran; default 0.5 of a core, BulkBatch 256):
	// after such a batch it waits as
	// long as the batch took, times (1−share)/share, so ingestion and
	// answers keep the rest of the machine. The queue holds one entry per
	// account whatever the load, the changes that pile up meanwhile are
	// evaluated once each, and Run catches up at full speed when the load
	// ends. Single events (small batches) are never held back.
	BulkShare float64
	BulkBatch int
}

// Evaluator keeps stored evaluations current. Run does all the writing on
// one goroutine, so a change, a refresh and a check never race.
type Evaluator struct {
	store Store
	opt   Options

	mu      sync.Mutex
	pending map[string]bool
	wake    chan struct{}
	owned   owned // records per owner (owners.go)

	ready     atomic.Bool
	rules     atomic.Pointer[ruleSet] // in force; SetRules switches it
	newRules  chan struct{}           // SetRules asks Run for a whole-book pass
	refreshed map[string]domain.Date  // owner → local date last refreshed (Run's goroutine only)
	stats     struct{ evaluated, written, repaired, alerted atomic.Int64 }
}

// New builds an Evaluator over store.
func New(store Store, opt Options) *Evaluator {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Zone == nil {
		opt.Zone = func(context.Context, string) *time.Location { return time.UTC }
	}
	if opt.RefreshEvery <= 0 {
		opt.RefreshEvery = time.Minute
	}
	if opt.CheckEvery <= 0 {
		opt.CheckEvery = 24 * time.Hour
	}
	if opt.Coalesce <= 0 {
		opt.Coalesce = 10 * time.Millisecond
	}
	if opt.BulkShare <= 0 || opt.BulkShare > 1 {
		opt.BulkShare = 0.5
	}
	if opt.BulkBatch <= 0 {
		opt.BulkBatch = 256
	}
	if opt.AlertWindow <= 0 {
		opt.AlertWindow = 7
	}
	e := &Evaluator{store: store, opt: opt, pending: map[string]bool{}, wake: make(chan struct{}, 1), newRules: make(chan struct{}, 1),
		owned: owned{counts: map[string]int{}}, refreshed: map[string]domain.Date{}}
	e.rules.Store(&ruleSet{cfg: opt.Rules, version: opt.RulesVersion})
	return e
}

// ruleSet is one rules version: the rules and their number.
type ruleSet struct {
	cfg     domain.Config
	version int
}

// SetRules puts a new rules version in force (`rules apply` while serving):
// changes are evaluated with it at once, and Run re-evaluates the whole book
// with it through the consistency check, which rewrites every record the
// new rules score differently.
func (e *Evaluator) SetRules(cfg domain.Config, version int) {
	e.rules.Store(&ruleSet{cfg: cfg, version: version})
	select {
	case e.newRules <- struct{}{}:
	default:
	}
}

// Changed queues accounts for re-evaluation; Run picks them up at once,
// coalescing a burst of changes to the same account.
func (e *Evaluator) Changed(_ context.Context, ids []string) {
	e.mu.Lock()
	for _, id := range ids {
		e.pending[id] = true
	}
	e.mu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

func (e *Evaluator) hasPending() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.pending) > 0
}

func (e *Evaluator) pendingLen() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.pending)
}

func (e *Evaluator) takePending() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, 0, len(e.pending))
	for id := range e.pending {
		ids = append(ids, id)
	}
	e.pending = map[string]bool{}
	return ids
}

// Ready reports whether the stored ranks are complete: the first
// consistency check, at start, has run.
func (e *Evaluator) Ready() bool { return e.ready.Load() }

// Stats counts what the evaluator did since it started.
type Stats struct {
	Evaluated int64 `json:"evaluated"`
	Written   int64 `json:"written"`
	Repaired  int64 `json:"repaired"` // drift the consistency check found and fixed
	Alerted   int64 `json:"alerted"`  // accounts handed to the scheduler with new alerts
}

// Stats returns the counts so far.
func (e *Evaluator) Stats() Stats {
	return Stats{Evaluated: e.stats.evaluated.Load(), Written: e.stats.written.Load(),
		Repaired: e.stats.repaired.Load(), Alerted: e.stats.alerted.Load()}
}

// Run watches the store (when it is a Watcher), runs the consistency check
// at once and then every CheckEvery, refreshes rolled-over dates every
// RefreshEvery, and re-evaluates changed accounts as they come, until ctx
// ends.
func (e *Evaluator) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	if w, ok := e.store.(Watcher); ok {
		// The first check reads the book after the watch is live, so a
		// write is either in what it reads or reported after it.
		live := make(chan struct{})
		var once sync.Once
		wg.Go(func() {
			err := w.WatchAccounts(ctx, func(ids []string) { e.Changed(ctx, ids) }, func() { once.Do(func() { close(live) }) })
			if err != nil && ctx.Err() == nil {
				e.opt.Log.Error("watching account changes; evaluations now follow only the ingest API and the daily check", "err", err)
			}
			once.Do(func() { close(live) })
		})
		select {
		case <-live:
		case <-ctx.Done():
			return
		}
	}
	e.check(ctx) // sets ready when it succeeds
	refresh := time.NewTicker(e.opt.RefreshEvery)
	defer refresh.Stop()
	check := time.NewTicker(e.opt.CheckEvery)
	defer check.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
			if !e.gather(ctx) {
				return
			}
			ids, start := e.takePending(), time.Now()
			if _, err := e.Process(ctx, e.opt.Now(), ids); err != nil && ctx.Err() == nil {
				e.opt.Log.Error("evaluating changed accounts", "err", err)
			}
			if !e.pace(ctx, bulkWait(e.opt, len(ids), e.pendingLen(), time.Since(start))) {
				return
			}
		case <-refresh.C:
			if _, err := e.Refresh(ctx, e.opt.Now()); err != nil && ctx.Err() == nil {
				e.opt.Log.Error("refreshing evaluations for the new day", "err", err)
			}
		case <-check.C:
			e.check(ctx)
		case <-e.newRules:
			e.check(ctx)
		}
	}
}

// gather waits Coalesce for more changes to join the queued ones; false
// when ctx ended meanwhile.
func (e *Evaluator) gather(ctx context.Context) bool { return e.pace(ctx, e.opt.Coalesce) }

// bulkWait is how long Run rests after evaluating a batch of n accounts
// in took, with queued more waiting: nothing unless a bulk load is
// arriving (both over BulkBatch), else what holds Run to BulkShare.
func bulkWait(opt Options, n, queued int, took time.Duration) time.Duration {
	if n <= opt.BulkBatch || queued <= opt.BulkBatch {
		return 0
	}
	return time.Duration(float64(took) * (1 - opt.BulkShare) / opt.BulkShare)
}

// pace waits d; false when ctx ended meanwhile.
func (e *Evaluator) pace(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func (e *Evaluator) check(ctx context.Context) {
	start := time.Now()
	rep, err := e.Check(ctx, e.opt.Now())
	if err != nil {
		if ctx.Err() == nil {
			e.opt.Log.Error("checking stored evaluations", "err", err)
		}
		return
	}
	level := slog.LevelInfo
	if rep.Repaired > 0 {
		level = slog.LevelWarn
	}
	e.opt.Log.Log(ctx, level, "stored evaluations checked", "accounts", rep.Accounts, "repaired", rep.Repaired,
		"missing", rep.Missing, "orphans", rep.Orphans, "took", time.Since(start).Round(time.Millisecond))
}
