package nudge

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// Planned is a nudge that is due and not yet delivered, with the way to
// build its message when it is sent.
type Planned struct {
	bot.NudgeDue
	build func(ctx context.Context) (*bot.Message, error)
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
	if !s.lastAlerts.IsZero() && now.Sub(s.lastAlerts) < s.cfg.AlertEvery && !now.Before(s.lastAlerts) {
		return false
	}
	s.lastAlerts = now
	return true
}

func (s *Scheduler) plan(ctx context.Context, now time.Time, withAlerts bool) ([]Planned, error) {
	all, schedules, err := s.planPersonal(ctx, now)
	if err != nil {
		return nil, err
	}
	renewals, err := s.planRenewals(ctx, now)
	if err != nil {
		return nil, err
	}
	all = append(all, renewals...)
	if s.changeDriven.Load() {
		retries, err := s.planAlertRetries(ctx, now)
		if err != nil {
			return nil, fmt.Errorf("planning alert retries: %w", err)
		}
		all = append(all, retries...)
	} else if withAlerts {
		alerts, err := s.planAlerts(ctx, now, schedules)
		if err != nil {
			return nil, fmt.Errorf("planning alerts: %w", err)
		}
		all = append(all, alerts...)
	}
	return s.filter(ctx, now, all)
}

// planPersonal lists each owner's due digests and weekly reviews, and
// returns every owner's schedule for the alert scan.
func (s *Scheduler) planPersonal(ctx context.Context, now time.Time) ([]Planned, map[string]domain.Schedule, error) {
	owners, err := s.store.Owners(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("listing owners: %w", err)
	}
	var all []Planned
	schedules := map[string]domain.Schedule{}
	for _, o := range owners {
		u, err := s.store.Settings(ctx, o.Owner)
		if err != nil {
			return nil, nil, fmt.Errorf("reading %s's settings: %w", o.Owner, err)
		}
		sch := s.set.schedule(s.location(ctx, o.Owner, u), u)
		schedules[o.Owner] = sch
		for _, slot := range sch.DueSlots(now, s.cfg.Grace, false) {
			all = append(all, s.digest(o.Owner, slot))
		}
		for _, slot := range sch.DueSlots(now, s.cfg.Grace, true) {
			all = append(all, s.weekly(o.Owner, slot))
		}
	}
	return all, schedules, nil
}

// planRenewals finds renewal reminders: only accounts whose renewal date
// puts a milestone inside the grace window today, found through the
// renewal-date index rather than by scanning the book every minute.
// An account's tier (which milestones it has, and where they go) comes
// from its stored evaluation once the ranks are ready: the evaluator
// keeps it current as the data change, and recomputing it from every
// candidate account in full, every minute, was the tick's whole cost.
func (s *Scheduler) planRenewals(ctx context.Context, now time.Time) ([]Planned, error) {
	loc := s.set.renewalZone
	today := domain.DateOf(now.In(loc))
	graceDays := int(s.cfg.RenewalGrace/(24*time.Hour)) + 1
	seen := map[string]bool{}
	var all []Planned
	for _, m := range allMilestones(s.Rules()) {
		cands, err := s.renewing(ctx, today.AddDays(m-graceDays), today.AddDays(m+1))
		if err != nil {
			return nil, fmt.Errorf("finding renewals: %w", err)
		}
		for _, c := range cands {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			a, tier := &domain.Account{ID: c.ID, Owner: c.Owner, RenewalDate: c.RenewalDate}, c.Tier
			if tier == 0 {
				if a, err = s.store.Account(ctx, c.ID); err != nil {
					return nil, fmt.Errorf("reading account %s: %w", c.ID, err)
				}
				h := domain.ScoreHealth(a, today, s.Rules().Health)
				tier = domain.AssignTier(a, h, s.Rules().Tiers).Tier
			}
			for _, r := range domain.DueRenewalReminders(a, tier, now, s.set.renewalPostAt, loc, s.cfg.RenewalGrace, s.Rules()) {
				ch := s.cfg.Channels.channelFor(tier, a.Owner)
				key := fmt.Sprintf("renewal|%s|%d|%s|%s", a.ID, r.Milestone.Days, a.RenewalDate, ch)
				all = append(all, s.renewal(a.ID, tier, r, key, bot.Recipient{Channel: ch}))
			}
		}
	}
	return all, nil
}

// renewingTiers is what a store that keeps evaluations implements: the
// accounts renewing in [from, to] with their stored tiers (the Badger
// store).
type renewingTiers interface {
	RenewingTiers(ctx context.Context, from, to domain.Date) ([]domain.RenewingTier, error)
}

// renewing lists the accounts renewing in [from, to], by date, with
// their stored tiers when the ranks are ready; Tier 0 means it is to be
// computed from the account.
func (s *Scheduler) renewing(ctx context.Context, from, to domain.Date) ([]domain.RenewingTier, error) {
	if st, ok := s.store.(renewingTiers); ok && s.ranksReady() {
		return st.RenewingTiers(ctx, from, to)
	}
	ids, err := s.store.IDsRenewingBetween(ctx, from, to)
	out := make([]domain.RenewingTier, len(ids))
	for i, id := range ids {
		out[i].ID = id
	}
	return out, err
}

// planAlerts scans the book for risk and opportunity alerts to owners
// outside their quiet hours, leaving out snoozed accounts. With alerts
// from changes (AlertsFromChanges) it only runs for `accountbot nudges`.
func (s *Scheduler) planAlerts(ctx context.Context, now time.Time, schedules map[string]domain.Schedule) ([]Planned, error) {
	var all []Planned
	snoozes := map[string]map[string]domain.Date{}
	err := s.store.ForEach(ctx, func(a *domain.Account) error {
		sch, ok := schedules[a.Owner]
		if a.Owner == "" || !ok {
			return nil
		}
		p, _, err := s.alertsOf(ctx, now, a, sch, snoozes)
		all = append(all, p...)
		return err
	})
	return all, err
}

// alertsOf lists a's alerts due at now. quiet reports that they wait for
// the owner's quiet hours to end; snoozes caches each owner's snoozes.
func (s *Scheduler) alertsOf(ctx context.Context, now time.Time, a *domain.Account, sch domain.Schedule, snoozes map[string]map[string]domain.Date) (all []Planned, quiet bool, err error) {
	if q, _ := sch.Quiet(now); q {
		return nil, true, nil
	}
	sn, ok := snoozes[a.Owner]
	if !ok {
		if sn, err = s.store.Snoozes(ctx, a.Owner); err != nil {
			return nil, false, fmt.Errorf("reading %s's snoozes: %w", a.Owner, err)
		}
		snoozes[a.Owner] = sn
	}
	local := domain.DateOf(now.In(sch.Location))
	if until, ok := sn[a.ID]; ok && until >= local {
		return nil, false, nil
	}
	h := domain.ScoreHealth(a, local, s.Rules().Health)
	for _, ev := range domain.Alerts(a, h, local, s.cfg.AlertWindow, s.Rules()) {
		key := fmt.Sprintf("alert|%s|%s|%s", a.ID, ev.ID, a.Owner)
		p := s.alert(a.ID, a.Owner, ev, key)
		p.DueAt = now
		all = append(all, p)
	}
	return all, false, nil
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
		e, found, err := s.store.LedgerGet(ctx, p.Key)
		if err != nil {
			return nil, fmt.Errorf("reading the ledger for %s: %w", p.Key, err)
		}
		if found {
			switch {
			case e.State == domain.LedgerSent || e.State == domain.LedgerSkipped:
				continue
			case e.Attempts >= s.cfg.MaxAttempts:
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
