package nudge

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// Alerts from changes: the evaluator re-evaluates an account when its data
// changes and hands over the accounts whose evaluation started a new alert
// (AlertAccounts); they are planned and delivered at once, through the same
// ledger and dedupe keys as every nudge, so an alert is never doubled. The
// tick then only retries failed alerts and those held by quiet hours; the
// evaluator's daily consistency check hands over every account with an
// active alert (SweepAlerts), which covers what a restart forgot.

// AlertsFromChanges switches alert planning from the whole-book scan every
// AlertEvery to the evaluator's changes. Call it before Run.
func (s *Scheduler) AlertsFromChanges() { s.changeDriven.Store(true) }

// AlertAccounts queues accounts whose evaluation started new alerts; Run
// delivers their alerts at once.
func (s *Scheduler) AlertAccounts(_ context.Context, ids []string) {
	s.alertMu.Lock()
	for _, id := range ids {
		s.alertQueue[id] = true
	}
	s.alertMu.Unlock()
	select {
	case s.alertWake <- struct{}{}:
	default:
	}
}

// Zone is a person's time zone as the scheduler sees it: their setting,
// else the platform's, else the configured default.
func (s *Scheduler) Zone(ctx context.Context, email string) *time.Location {
	if email == "" { // unowned accounts: nobody to ask
		return s.set.zone
	}
	u, err := s.store.Settings(ctx, email)
	if err != nil {
		return s.set.zone
	}
	return s.location(ctx, email, u)
}

// SweepAlerts queues accounts with active alerts (the evaluator's daily
// check): their alerts go out after the changes' (AlertAccounts), a few at
// a time, so a sweep of the book never holds up a fresh alert.
func (s *Scheduler) SweepAlerts(_ context.Context, ids []string) {
	s.alertMu.Lock()
	for _, id := range ids {
		s.sweep[id] = true
	}
	s.alertMu.Unlock()
	select {
	case s.alertWake <- struct{}{}:
	default:
	}
}

// sweepChunk is how many swept accounts are delivered between looks at
// the changes' queue: one, so a fresh alert waits for at most one
// account's alerts (the bench measured 0.2 s at p50 behind chunks of 16).
const sweepChunk = 1

// runAlerts delivers queued alerts, the changes' first, until ctx ends.
func (s *Scheduler) runAlerts(ctx context.Context, now func() time.Time) {
	defer s.alerting.Store(false)
	for {
		s.alerting.Store(true) // before take: an id taken is never unaccounted for (Busy)
		ids, requeue := s.take(&s.alertQueue, 0), s.AlertAccounts
		wait := (<-chan time.Time)(nil)
		if len(ids) == 0 && s.ticking.Load() {
			// The sweep yields to a tick's digests and reminders, as the
			// old scan's alerts came after them.
			wait = time.After(100 * time.Millisecond)
		} else if len(ids) == 0 {
			ids, requeue = s.take(&s.sweep, sweepChunk), s.SweepAlerts
		}
		if len(ids) == 0 {
			s.alerting.Store(false)
			select {
			case <-ctx.Done():
				return
			case <-s.alertWake:
			case <-wait:
			}
			continue
		}
		rep, err := s.DeliverAlerts(ctx, now(), ids)
		if err != nil && ctx.Err() == nil {
			s.log.Error("delivering alerts", "err", err)
			requeue(ctx, ids) // again once the store answers
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		} else if rep.Sent+rep.Failed > 0 {
			s.log.Info("alerts", "sent", rep.Sent, "failed", rep.Failed)
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// take removes up to n ids (0: all) from one of the alert sets, in order.
func (s *Scheduler) take(set *map[string]bool, n int) []string {
	s.alertMu.Lock()
	defer s.alertMu.Unlock()
	ids := make([]string, 0, len(*set))
	for id := range *set {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if n > 0 && len(ids) > n {
		ids = ids[:n]
	}
	for _, id := range ids {
		delete(*set, id)
	}
	return ids
}

// DeliverAlerts plans the alerts of the given accounts at now and sends
// those the ledger does not show as done.
func (s *Scheduler) DeliverAlerts(ctx context.Context, now time.Time, ids []string) (Report, error) {
	var rep Report
	plan, err := s.planAlertsFor(ctx, now, ids)
	if err != nil {
		return rep, err
	}
	if plan, err = s.filter(ctx, now, plan); err != nil {
		return rep, err
	}
	for _, p := range plan {
		s.observe(p.Kind, "", OutcomePlanned)
		if err := s.deliver(ctx, now, p, &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// planAlertsFor lists the alerts of the given accounts due at now; those
// held by their owner's quiet hours are kept for the next ticks.
func (s *Scheduler) planAlertsFor(ctx context.Context, now time.Time, ids []string) ([]Planned, error) {
	var all []Planned
	schedules := map[string]domain.Schedule{}
	snoozes := map[string]map[string]domain.Date{}
	for _, id := range ids {
		a, err := s.store.Account(ctx, id)
		if domain.ErrorCode(err) == domain.ENOTFOUND || (err == nil && a.Owner == "") {
			continue // deleted since, or nobody to alert
		} else if err != nil {
			return nil, fmt.Errorf("reading account %s: %w", id, err)
		}
		sch, ok := schedules[a.Owner]
		if !ok {
			u, err := s.store.Settings(ctx, a.Owner)
			if err != nil {
				return nil, fmt.Errorf("reading %s's settings: %w", a.Owner, err)
			}
			sch = s.set.schedule(s.location(ctx, a.Owner, u), u)
			schedules[a.Owner] = sch
		}
		p, quiet, err := s.alertsOf(ctx, now, a, sch, snoozes)
		if err != nil {
			return nil, err
		}
		if quiet {
			s.alertMu.Lock()
			s.deferred[id] = true
			s.alertMu.Unlock()
		}
		all = append(all, p...)
	}
	return all, nil
}

// planAlertRetries plans again the alerts held by quiet hours and those
// that failed in the last two days (filter applies the back-off).
func (s *Scheduler) planAlertRetries(ctx context.Context, now time.Time) ([]Planned, error) {
	ids := s.take(&s.deferred, 0)
	recent, err := s.store.LedgerSince(ctx, now.Add(-48*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("reading the ledger: %w", err)
	}
	for _, e := range recent {
		if e.Kind == domain.NudgeAlert && e.State == domain.LedgerFailed && e.Attempts < s.cfg.MaxAttempts && e.AccountID != "" {
			ids = append(ids, e.AccountID)
		}
	}
	slices.Sort(ids)
	return s.planAlertsFor(ctx, now, slices.Compact(ids))
}

// claim marks a dedupe key as being delivered; false: it already is.
func (s *Scheduler) claim(key string) bool {
	s.alertMu.Lock()
	defer s.alertMu.Unlock()
	if s.inflight[key] {
		return false
	}
	s.inflight[key] = true
	return true
}

func (s *Scheduler) release(key string) {
	s.alertMu.Lock()
	delete(s.inflight, key)
	s.alertMu.Unlock()
}

// topFromRanks is the owner's top N on date from the stored ranks (when
// Ranks is set and ready), leaving out snoozed accounts: the index is read
// in rank order until N unsnoozed accounts are found.
func (s *Scheduler) topFromRanks(ctx context.Context, owner string, date domain.Date, snoozed map[string]domain.Date) ([]domain.Evaluation, bool, error) {
	if s.Ranks == nil {
		return nil, false, nil
	}
	return bot.Cards(ctx, s.Ranks, owner, false, s.Rules().Priority.TopN, func(id string) bool {
		until, ok := snoozed[id]
		return ok && until >= date
	})
}
