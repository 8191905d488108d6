package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/accountbot/accountbot/domain"
)

// Recipient is whom a nudge goes to: a person (by e-mail) or a channel.
type Recipient struct {
	Email   string `json:"email,omitempty"`
	Channel string `json:"channel,omitempty"`
}

func (r Recipient) String() string {
	if r.Email != "" {
		return r.Email
	}
	return r.Channel
}

// ErrUnknownRecipient means a notifier cannot reach this recipient at all
// (no conversation with them on that platform); another may.
var ErrUnknownRecipient = errors.New("unknown recipient")

// Notifiers tries each platform in turn: the first that knows the
// recipient delivers (Slack and Teams side by side).
type Notifiers []Notifier

// Notify implements Notifier.
func (ns Notifiers) Notify(ctx context.Context, to Recipient, m *Message, key string) error {
	err := fmt.Errorf("%w: %s", ErrUnknownRecipient, to)
	for _, n := range ns {
		if err = n.Notify(ctx, to, m, key); !errors.Is(err, ErrUnknownRecipient) {
			return err
		}
	}
	return err
}

// ErrCannotCheck means no notifier can tell whether a message arrived.
var ErrCannotCheck = errors.New("delivery cannot be checked")

// Delivered asks every notifier that can check (DeliveryChecker); "not
// delivered" needs one of them to have answered for this recipient.
func (ns Notifiers) Delivered(ctx context.Context, to Recipient, key string) (bool, error) {
	answered := false
	for _, n := range ns {
		if dc, ok := n.(DeliveryChecker); ok {
			done, err := dc.Delivered(ctx, to, key)
			if err == nil {
				if done {
					return true, nil
				}
				answered = true
			}
		}
	}
	if answered {
		return false, nil
	}
	return false, ErrCannotCheck
}

// TimeZone asks each notifier that knows time zones (ZoneLookup).
func (ns Notifiers) TimeZone(ctx context.Context, email string) (*time.Location, error) {
	for _, n := range ns {
		if zl, ok := n.(ZoneLookup); ok {
			if loc, err := zl.TimeZone(ctx, email); err == nil && loc != nil {
				return loc, nil
			}
		}
	}
	return nil, ErrUnknownRecipient
}

// Notifier delivers messages; each platform implements it. The dedupe key
// travels with the message where the platform allows (Slack metadata).
type Notifier interface {
	Notify(ctx context.Context, to Recipient, m *Message, dedupeKey string) error
}

// DeliveryChecker, when a notifier also implements it, tells whether a
// message with a dedupe key already reached its recipient: that resolves a
// crash between "sent" and "recorded" without posting twice.
type DeliveryChecker interface {
	Delivered(ctx context.Context, to Recipient, dedupeKey string) (bool, error)
}

// ZoneLookup, when a notifier also implements it, gives a person's time
// zone from the platform.
type ZoneLookup interface {
	TimeZone(ctx context.Context, email string) (*time.Location, error)
}

// NudgeStore is what the scheduler needs from storage.
type NudgeStore interface {
	Store
	Snoozes(ctx context.Context, user string) (map[string]domain.Date, error)
	LedgerGet(ctx context.Context, key string) (domain.LedgerEntry, bool, error)
	LedgerPut(ctx context.Context, e domain.LedgerEntry) error
	LedgerSince(ctx context.Context, since time.Time) ([]domain.LedgerEntry, error)
	IDsRenewingBetween(ctx context.Context, from, to domain.Date) ([]string, error)
	Settings(ctx context.Context, user string) (domain.UserSettings, error)
}

// Planned is a nudge that is due and not yet delivered.
type Planned struct {
	Kind      domain.NudgeKind `json:"kind"`
	Key       string           `json:"dedupe_key"`
	To        Recipient        `json:"recipient"`
	AccountID string           `json:"account_id,omitempty"`
	DueAt     time.Time        `json:"due_at"`
	Date      domain.Date      `json:"date"` // the local date it belongs to
	build     func(ctx context.Context) (*Message, error)
}

// Scheduler decides what is due and sends it once.
type Scheduler struct {
	Engine   *Engine
	Store    NudgeStore
	Notifier Notifier
	Config   NudgeConfig
	Log      *slog.Logger
	// AfterSend is a test hook run between a successful send and its
	// ledger record; returning true simulates a crash there.
	AfterSend func(key string) bool

	once       sync.Once
	limiter    *rate.Limiter
	mu         sync.Mutex
	zones      map[string]*time.Location
	lastAlerts time.Time
}

func (s *Scheduler) init() {
	s.once.Do(func() {
		s.limiter = rate.NewLimiter(rate.Limit(s.Config.PerSecond), s.Config.Burst)
		s.zones = map[string]*time.Location{}
		if s.Log == nil {
			s.Log = slog.New(slog.DiscardHandler)
		}
	})
}

// location is a person's time zone: their setting, else the platform's,
// else the default.
func (s *Scheduler) location(ctx context.Context, email string, u domain.UserSettings) *time.Location {
	if u.TimeZone != "" {
		if loc, err := time.LoadLocation(u.TimeZone); err == nil {
			return loc
		}
	}
	s.mu.Lock()
	loc, ok := s.zones[email]
	s.mu.Unlock()
	if ok {
		return loc
	}
	loc, _ = time.LoadLocation(s.Config.TimeZone)
	if zl, ok := s.Notifier.(ZoneLookup); ok {
		if l, err := zl.TimeZone(ctx, email); err == nil && l != nil {
			loc = l
		}
	}
	s.mu.Lock()
	s.zones[email] = loc
	s.mu.Unlock()
	return loc
}

// Plan lists every nudge due at now that the ledger does not show as done.
func (s *Scheduler) Plan(ctx context.Context, now time.Time) ([]Planned, error) {
	return s.plan(ctx, now, true)
}

// alertsDue reports whether the whole-book alert scan should run at now:
// at most every AlertEvery, since it reads every account.
func (s *Scheduler) alertsDue(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.lastAlerts.IsZero() && now.Sub(s.lastAlerts) < s.Config.AlertEvery && !now.Before(s.lastAlerts) {
		return false
	}
	s.lastAlerts = now
	return true
}

func (s *Scheduler) plan(ctx context.Context, now time.Time, withAlerts bool) ([]Planned, error) {
	s.init()
	var all []Planned
	owners, err := s.Store.Owners(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing owners: %w", err)
	}
	schedules := map[string]domain.Schedule{}
	for _, o := range owners {
		u, err := s.Store.Settings(ctx, o.Owner)
		if err != nil {
			return nil, err
		}
		sch := s.Config.schedule(s.location(ctx, o.Owner, u), u)
		schedules[o.Owner] = sch
		for _, slot := range sch.DueSlots(now, s.Config.Grace, false) {
			all = append(all, s.digest(o.Owner, slot))
		}
		for _, slot := range sch.DueSlots(now, s.Config.Grace, true) {
			all = append(all, s.weekly(o.Owner, slot))
		}
	}
	renewLoc, _ := time.LoadLocation(s.Config.RenewalZone)
	postAt, _ := domain.ParseClock(s.Config.RenewalPostAt)
	today := domain.DateOf(now.In(renewLoc))
	cfg := s.Engine.Config
	snoozes := map[string]map[string]domain.Date{}
	// Renewal reminders: only accounts whose renewal date puts a milestone
	// inside the grace window today, found through the renewal-date index
	// rather than by scanning the book every minute.
	graceDays := int(s.Config.RenewalGrace/(24*time.Hour)) + 1
	seen := map[string]bool{}
	for _, m := range allMilestones(cfg) {
		ids, err := s.Store.IDsRenewingBetween(ctx, today.AddDays(m-graceDays), today.AddDays(m+1))
		if err != nil {
			return nil, fmt.Errorf("finding renewals: %w", err)
		}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			a, err := s.Store.Account(ctx, id)
			if err != nil {
				return nil, err
			}
			h := domain.ScoreHealth(a, today, cfg.Health)
			tier := domain.AssignTier(a, h, cfg.Tiers).Tier
			for _, r := range domain.DueRenewalReminders(a, tier, now, postAt, renewLoc, s.Config.RenewalGrace, cfg) {
				ch := s.Config.Channels.channelFor(tier, a.Owner)
				key := fmt.Sprintf("renewal|%s|%d|%s|%s", a.ID, r.Milestone.Days, a.RenewalDate, ch)
				all = append(all, s.renewal(a.ID, r, key, Recipient{Channel: ch}))
			}
		}
	}
	if !withAlerts {
		return s.filter(ctx, now, all)
	}
	err = s.Store.ForEach(ctx, func(a *domain.Account) error {
		if a.Owner == "" {
			return nil
		}
		sch, ok := schedules[a.Owner]
		if !ok {
			return nil
		}
		if q, _ := sch.Quiet(now); q {
			return nil // alerts wait for the owner's quiet hours to end
		}
		sn, ok := snoozes[a.Owner]
		if !ok {
			if sn, err = s.Store.Snoozes(ctx, a.Owner); err != nil {
				return err
			}
			snoozes[a.Owner] = sn
		}
		local := domain.DateOf(now.In(sch.Location))
		if until, ok := sn[a.ID]; ok && until >= local {
			return nil
		}
		h := domain.ScoreHealth(a, local, cfg.Health)
		for _, ev := range domain.Alerts(a, h, local, s.Config.AlertWindow, cfg) {
			key := fmt.Sprintf("alert|%s|%s|%s", a.ID, ev.ID, a.Owner)
			p := s.alert(a.ID, a.Owner, ev, key)
			p.DueAt = now
			all = append(all, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("planning nudges: %w", err)
	}
	return s.filter(ctx, now, all)
}

// allMilestones lists every milestone offset any tier uses.
func allMilestones(cfg domain.Config) []int {
	set := map[int]bool{}
	var out []int
	for tier := 1; tier <= 3; tier++ {
		for _, m := range domain.TierMilestones(cfg, tier) {
			if !set[m] {
				set[m] = true
				out = append(out, m)
			}
		}
	}
	return out
}

// filter drops what the ledger shows as done or backing off.
func (s *Scheduler) filter(ctx context.Context, now time.Time, all []Planned) ([]Planned, error) {
	var out []Planned
	for _, p := range all {
		e, found, err := s.Store.LedgerGet(ctx, p.Key)
		if err != nil {
			return nil, err
		}
		if found {
			switch {
			case e.State == domain.LedgerSent || e.State == domain.LedgerSkipped:
				continue
			case e.Attempts >= s.Config.MaxAttempts:
				continue // gave up; shown as failed in `portfolio nudges`
			case e.State == domain.LedgerFailed && now.Before(e.UpdatedAt.Add(retryDelay(e.Attempts))):
				continue // backing off
			}
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].DueAt.Before(out[j].DueAt) })
	return out, nil
}

// retryDelay backs off failed sends: 5, 10, 20, 40… minutes, at most 2
// hours, so the attempts spread over the grace window instead of being
// spent in the first minutes of an outage.
func retryDelay(attempts int) time.Duration {
	return min(5*time.Minute<<min(max(attempts-1, 0), 6), 2*time.Hour)
}

// Report is what one tick did.
type Report struct {
	Sent, Failed, Skipped, Confirmed int
}

// Tick sends every due nudge once. A failure for one recipient is recorded
// and retried later; it never stops the others.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) (Report, error) {
	var rep Report
	plan, err := s.plan(ctx, now, s.alertsDue(now))
	if err != nil {
		return rep, err
	}
	for _, p := range plan {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		prev, _, err := s.Store.LedgerGet(ctx, p.Key)
		if err != nil {
			return rep, err
		}
		if prev.State == domain.LedgerSending {
			// The process stopped between sending and recording. Ask the
			// platform; without a way to ask, do not risk a duplicate.
			dc, canCheck := s.Notifier.(DeliveryChecker)
			var done bool
			var err error
			if canCheck {
				done, err = dc.Delivered(ctx, p.To, p.Key)
				canCheck = !errors.Is(err, ErrCannotCheck)
			}
			if canCheck {
				if err == nil && done {
					prev.State, prev.UpdatedAt = domain.LedgerSent, now
					if err := s.Store.LedgerPut(ctx, prev); err != nil {
						return rep, err
					}
					rep.Confirmed++
					continue
				} else if err != nil {
					s.Log.Warn("could not check an interrupted nudge; will ask again", "key", p.Key, "err", err)
					continue
				}
			} else {
				prev.State, prev.UpdatedAt, prev.Error = domain.LedgerFailed, now, "interrupted after sending; delivery unknown, not resent"
				prev.Attempts = s.Config.MaxAttempts
				if err := s.Store.LedgerPut(ctx, prev); err != nil {
					return rep, err
				}
				rep.Failed++
				continue
			}
		}
		msg, err := p.build(ctx)
		entry := domain.LedgerEntry{Key: p.Key, Kind: p.Kind, Recipient: p.To.String(), AccountID: p.AccountID,
			Attempts: prev.Attempts + 1, DueAt: p.DueAt, UpdatedAt: now}
		if err != nil {
			entry.State, entry.Error = domain.LedgerFailed, err.Error()
			s.Log.Error("building nudge", "key", p.Key, "err", err)
			if err := s.Store.LedgerPut(ctx, entry); err != nil {
				return rep, err
			}
			rep.Failed++
			continue
		}
		if msg == nil {
			entry.State = domain.LedgerSkipped
			if err := s.Store.LedgerPut(ctx, entry); err != nil {
				return rep, err
			}
			rep.Skipped++
			continue
		}
		entry.State = domain.LedgerSending
		if err := s.Store.LedgerPut(ctx, entry); err != nil {
			return rep, err
		}
		if err := s.limiter.Wait(ctx); err != nil {
			return rep, err
		}
		sendErr := s.Notifier.Notify(ctx, p.To, msg, p.Key)
		if sendErr == nil && s.AfterSend != nil && s.AfterSend(p.Key) {
			return rep, fmt.Errorf("simulated crash after sending %s", p.Key)
		}
		entry.UpdatedAt = now
		if sendErr != nil {
			entry.State, entry.Error = domain.LedgerFailed, sendErr.Error()
			s.Log.Warn("nudge not delivered; will retry", "key", p.Key, "attempt", entry.Attempts, "err", sendErr)
			rep.Failed++
		} else {
			entry.State = domain.LedgerSent
			rep.Sent++
		}
		if err := s.Store.LedgerPut(ctx, entry); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// Run ticks every Config.Every until ctx ends.
func (s *Scheduler) Run(ctx context.Context, now func() time.Time) {
	s.init()
	t := time.NewTicker(s.Config.Every)
	defer t.Stop()
	for {
		if rep, err := s.Tick(ctx, now()); err != nil && ctx.Err() == nil {
			s.Log.Error("nudge tick failed", "err", err)
		} else if rep.Sent+rep.Failed > 0 {
			s.Log.Info("nudges", "sent", rep.Sent, "failed", rep.Failed, "skipped", rep.Skipped)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Status describes the asker's schedule, what is due now, and what was
// sent or failed in the last 7 days (everyone's when the asker is unknown).
func (s *Scheduler) Status(ctx context.Context, u User, now time.Time) (*Message, error) {
	s.init()
	m := &Message{Title: "Nudges"}
	data := map[string]any{}
	if u.Email != "" {
		set, err := s.Store.Settings(ctx, u.Email)
		if err != nil {
			return nil, err
		}
		loc := s.location(ctx, u.Email, set)
		sch := s.Config.schedule(loc, set)
		digest := "off"
		if !sch.DigestOff {
			digest = sch.DigestAt.String() + " on working days"
		}
		m.Blocks = append(m.Blocks, Section{Fields: []Field{
			{Label: "Time zone", Value: loc.String()},
			{Label: "Daily digest", Value: digest},
			{Label: "Weekly review", Value: fmt.Sprintf("%s %s", sch.WeeklyDay, sch.WeeklyAt)},
			{Label: "Quiet hours", Value: fmt.Sprintf("%s–%s", sch.QuietFrom, sch.QuietTo)},
		}})
		data["time_zone"], data["digest"] = loc.String(), digest
	}
	plan, err := s.Plan(ctx, now)
	if err != nil {
		return nil, err
	}
	due := List{Title: "Due now"}
	var dueData []Planned
	for _, p := range plan {
		if u.Email != "" && p.To.Email != u.Email {
			continue
		}
		due.Items = append(due.Items, Item{Text: fmt.Sprintf("%s to %s", p.Kind, p.To), Detail: p.Key})
		dueData = append(dueData, p)
	}
	if len(due.Items) == 0 {
		due.Items = []Item{{Text: "Nothing due right now."}}
	}
	entries, err := s.Store.LedgerSince(ctx, now.Add(-7*24*time.Hour))
	if err != nil {
		return nil, err
	}
	sent, failed := List{Title: "Sent in the last 7 days"}, List{Title: "Failed"}
	nSent, nFailed := 0, 0
	for _, e := range entries {
		if u.Email != "" && e.Recipient != u.Email {
			continue
		}
		switch e.State {
		case domain.LedgerSent:
			nSent++
			if len(sent.Items) < 15 {
				sent.Items = append(sent.Items, Item{Text: fmt.Sprintf("%s to %s", e.Kind, e.Recipient), Detail: e.UpdatedAt.UTC().Format("2006-01-02 15:04 UTC") + " · " + e.Key})
			}
		case domain.LedgerFailed, domain.LedgerSending:
			nFailed++
			failed.Items = append(failed.Items, Item{Text: fmt.Sprintf("%s to %s (attempt %d)", e.Kind, e.Recipient, e.Attempts), Detail: e.Error, Tone: ToneBad})
		}
	}
	if nSent > len(sent.Items) {
		sent.More = nSent - len(sent.Items)
	}
	if nSent == 0 {
		sent.Items = []Item{{Text: "Nothing yet."}}
	}
	m.Blocks = append(m.Blocks, due, sent)
	if nFailed > 0 {
		m.Blocks = append(m.Blocks, failed)
	}
	if dueData == nil {
		dueData = []Planned{}
	}
	data["due"], data["sent"], data["failed"] = dueData, nSent, nFailed
	m.Data = data
	return m, nil
}
