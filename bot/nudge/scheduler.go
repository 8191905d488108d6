// Package nudge sends AccountBot's proactive messages: the daily digest,
// the weekly review, renewal reminders and alerts. It plans what is due
// (plan.go), delivers each nudge once through the platforms (deliver.go),
// records every delivery in a ledger (ledger.go) and reports on them
// (status.go). It depends on the engine's types, never the other way round:
// the engine sees the scheduler only through bot.NudgeStatus.
package nudge

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/time/rate"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// Store is what the scheduler needs from storage.
type Store interface {
	Account(ctx context.Context, id string) (*domain.Account, error)
	ForEach(ctx context.Context, fn func(*domain.Account) error) error
	IDsByOwner(ctx context.Context, owner string) ([]string, error)
	Owners(ctx context.Context) ([]domain.OwnerCount, error)
	ScoreHistory(ctx context.Context, id string, from, to domain.Date) ([]domain.ScoreSnapshot, error)
	Settings(ctx context.Context, user string) (domain.UserSettings, error)
	Snoozes(ctx context.Context, user string) (map[string]domain.Date, error)
	IDsRenewingBetween(ctx context.Context, from, to domain.Date) ([]string, error)
	Ledger
}

// Ledger is the delivery record, one entry per dedupe key.
type Ledger interface {
	LedgerGet(ctx context.Context, key string) (domain.LedgerEntry, bool, error)
	LedgerPut(ctx context.Context, e domain.LedgerEntry) error
	LedgerSince(ctx context.Context, since time.Time) ([]domain.LedgerEntry, error)
}

// Scheduler decides what is due and sends it once.
type Scheduler struct {
	store    Store
	notifier Notifier
	rules    atomic.Pointer[domain.Config] // swapped by SetRules while ticking
	cfg      Config
	set      settings
	log      *slog.Logger
	limiter  *rate.Limiter
	// zones caches the platforms' answer to "which time zone is this
	// person in" for an hour: bounded, and a moved person is noticed.
	zones *expirable.LRU[string, *time.Location]
	// named caches time zones loaded by name (people's own settings):
	// loading reads the zone database, and planning runs every minute.
	named *expirable.LRU[string, *time.Location]

	// Observer, when set, counts what happens to each nudge (metrics).
	Observer Observer
	// Ranks, when set, gives digests the stored ranks (the evaluator).
	Ranks bot.Ranks

	mu         sync.Mutex
	lastAlerts time.Time
	firstTick  time.Time // when waitForRanks began (under mu)
	running    atomic.Bool
	deferring  atomic.Bool // the last tick left digests or reviews for the ranks

	// Alerts from changes (alerts.go).
	changeDriven atomic.Bool
	ticking      atomic.Bool // a tick is planning or delivering
	alerting     atomic.Bool // runAlerts is delivering
	alertMu      sync.Mutex
	alertQueue   map[string]bool // accounts whose evaluation started new alerts
	sweep        map[string]bool // accounts with active alerts, from the daily check
	deferred     map[string]bool // accounts whose alerts wait for quiet hours to end
	inflight     map[string]bool // dedupe keys being delivered
	alertWake    chan struct{}
}

// New checks the configuration (every bad field is named) and builds a
// scheduler that sends through n.
func New(cfg Config, rules domain.Config, store Store, n Notifier, log *slog.Logger) (*Scheduler, error) {
	set, err := cfg.parse()
	if err != nil {
		return nil, err
	}
	if n == nil {
		return nil, fmt.Errorf("nudges need a notifier")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Scheduler{store: store, notifier: n, cfg: cfg, set: set, log: log,
		limiter:    rate.NewLimiter(rate.Limit(cfg.PerSecond), cfg.Burst),
		alertQueue: map[string]bool{}, sweep: map[string]bool{}, deferred: map[string]bool{}, inflight: map[string]bool{}, alertWake: make(chan struct{}, 1),
		zones: expirable.NewLRU[string, *time.Location](10_000, nil, time.Hour),
		named: expirable.NewLRU[string, *time.Location](1_000, nil, 24*time.Hour)}
	s.rules.Store(&rules)
	return s, nil
}

// Rules are the scoring rules nudges are planned with.
func (s *Scheduler) Rules() domain.Config { return *s.rules.Load() }

// SetRules puts a new rules version in force from the next plan on.
func (s *Scheduler) SetRules(rules domain.Config) { s.rules.Store(&rules) }

// Run ticks every Config.Every until ctx ends. When ctx ends, planning
// stops and a send already posting finishes and is recorded (within
// sendLimit) before Run returns.
func (s *Scheduler) Run(ctx context.Context, now func() time.Time) {
	t := time.NewTicker(s.cfg.Every)
	defer t.Stop()
	s.running.Store(true)
	defer s.running.Store(false)
	var alerts sync.WaitGroup
	defer alerts.Wait()
	alerts.Go(func() { s.runAlerts(ctx, now) })
	for {
		rep, err := s.Tick(ctx, now())
		if err != nil && ctx.Err() == nil {
			s.log.Error("nudge tick failed", "err", err)
		} else if rep.Sent+rep.Failed > 0 {
			s.log.Info("nudges", "sent", rep.Sent, "failed", rep.Failed, "skipped", rep.Skipped)
		}
		// Digests and reviews waiting for the ranks go out as soon as
		// the ranks are ready, not at the next tick.
		var soon <-chan time.Time
		if s.deferring.Store(rep.Deferred > 0); rep.Deferred > 0 {
			soon = time.After(ranksPoll)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-soon:
		}
	}
}

// ranksPoll is how often Run looks again when digests or reviews wait
// for the ranks.
const ranksPoll = time.Second

// waitForRanks is how long after the first tick digests and weekly
// reviews wait for the stored ranks (the evaluator's first consistency
// check, which builds them) before they are computed from the accounts.
// Computing them meanwhile evaluated every owner's whole book, twice on
// a Monday, while the check was evaluating it too: on a 100K book that
// doubled the check and kept both cores busy long after it. A check that
// fails does not hold them past their grace window.
const waitForRanks = 15 * time.Minute

// readiness is what a Ranks that can say whether it is ready implements
// (the evaluator).
type readiness interface{ Ready() bool }

// ranksReady reports whether the stored ranks and evaluations are there
// to read (Ranks is set and ready).
func (s *Scheduler) ranksReady() bool {
	r, ok := s.Ranks.(readiness)
	return ok && r.Ready()
}

// ranksPending reports whether digests and reviews should wait for the
// stored ranks at now.
func (s *Scheduler) ranksPending(now time.Time) bool {
	r, ok := s.Ranks.(readiness)
	if !ok || r.Ready() {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.firstTick.IsZero() {
		s.firstTick = now
	}
	return now.Sub(s.firstTick) < waitForRanks
}

// Running reports whether Run is ticking (serve's /readyz).
func (s *Scheduler) Running() bool { return s.running.Load() }

// Busy reports whether the scheduler has work under way or queued: a
// tick planning or delivering, digests or reviews waiting for the ranks,
// or alerts queued or being sent. Between ticks, with nothing queued, it
// is idle (the bench waits for that after a start's catch-up).
func (s *Scheduler) Busy() bool {
	if s.ticking.Load() || s.deferring.Load() || s.alerting.Load() {
		return true
	}
	s.alertMu.Lock()
	defer s.alertMu.Unlock()
	return len(s.alertQueue)+len(s.sweep)+len(s.inflight) > 0
}

// location is a person's time zone: their setting, else the platform's,
// else the default.
func (s *Scheduler) location(ctx context.Context, email string, u domain.UserSettings) *time.Location {
	if u.TimeZone != "" {
		if loc, ok := s.named.Get(u.TimeZone); ok {
			return loc
		}
		if loc, err := time.LoadLocation(u.TimeZone); err == nil {
			s.named.Add(u.TimeZone, loc)
			return loc
		}
	}
	if loc, ok := s.zones.Get(email); ok {
		return loc
	}
	loc := s.set.zone
	if zl, ok := s.notifier.(ZoneLookup); ok {
		if l, err := zl.TimeZone(ctx, email); err == nil && l != nil {
			loc = l
		}
	}
	s.zones.Add(email, loc)
	return loc
}
