package nudge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// Notifier delivers messages; each platform implements it. The dedupe key
// travels with the message where the platform allows (Slack metadata).
type Notifier interface {
	Notify(ctx context.Context, to bot.Recipient, m *bot.Message, dedupeKey string) error
}

// DeliveryChecker, when a notifier also implements it, tells whether a
// message with a dedupe key already reached its recipient: that resolves a
// crash between "sent" and "recorded" without posting twice.
type DeliveryChecker interface {
	Delivered(ctx context.Context, to bot.Recipient, dedupeKey string) (bool, error)
}

// ZoneLookup, when a notifier also implements it, gives a person's time
// zone from the platform.
type ZoneLookup interface {
	TimeZone(ctx context.Context, email string) (*time.Location, error)
}

// Notifiers tries each platform in turn: the first that knows the
// recipient delivers (Slack and Teams side by side).
type Notifiers []Notifier

// Notify implements Notifier.
func (ns Notifiers) Notify(ctx context.Context, to bot.Recipient, m *bot.Message, key string) error {
	err := fmt.Errorf("%w: %s", bot.ErrUnknownRecipient, to)
	for _, n := range ns {
		if err = n.Notify(ctx, to, m, key); !errors.Is(err, bot.ErrUnknownRecipient) {
			return err
		}
	}
	return err
}

// ErrCannotCheck means no notifier can tell whether a message arrived.
var ErrCannotCheck = errors.New("delivery cannot be checked")

// Delivered asks every notifier that can check (DeliveryChecker); "not
// delivered" needs one of them to have answered for this recipient. A
// checker that knows the recipient but could not answer (Slack down, a
// history call refused) is an error to ask again about later, not
// ErrCannotCheck: taking it for "cannot be checked" gave the nudge up as
// unknown and lost it.
func (ns Notifiers) Delivered(ctx context.Context, to bot.Recipient, key string) (bool, error) {
	answered := false
	var failed error
	for _, n := range ns {
		dc, ok := n.(DeliveryChecker)
		if !ok {
			continue
		}
		done, err := dc.Delivered(ctx, to, key)
		switch {
		case err == nil && done:
			return true, nil
		case err == nil:
			answered = true
		case !errors.Is(err, bot.ErrUnknownRecipient) && failed == nil:
			failed = err
		}
	}
	switch {
	case answered:
		return false, nil
	case failed != nil:
		return false, failed
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
	return nil, bot.ErrUnknownRecipient
}

// Tick sends every due nudge once. A failure for one recipient is recorded
// and retried later; it never stops the others.
func (s *Scheduler) Tick(ctx context.Context, now time.Time) (Report, error) {
	s.ticking.Store(true)
	defer s.ticking.Store(false)
	var rep Report
	plan, err := s.plan(ctx, now, s.alertsDue(now))
	if err != nil {
		return rep, err
	}
	for _, p := range plan {
		s.observe(p.Kind, "", OutcomePlanned)
	}
	for _, p := range plan {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		if err := s.deliver(ctx, now, p, &rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// sendLimit bounds a send once it has begun: a stop lets the POST under
// way finish (and be recorded) within it, which is below serve's shutdown
// limit, instead of cutting it off with its fate unknown.
const sendLimit = 8 * time.Second

// errStopping aborts a send before its POST because the scheduler stops.
var errStopping = errors.New("stopping: not sent")

// deliver sends one planned nudge and records the outcome. Only a ledger
// or context failure is returned: a send failure is recorded for a retry.
// When ctx ends before the POST, nothing is sent and nothing recorded (the
// nudge is planned again at the next start).
func (s *Scheduler) deliver(ctx context.Context, now time.Time, p Planned, rep *Report) error {
	if (p.Kind == domain.NudgeDigest || p.Kind == domain.NudgeWeekly) && s.ranksPending(now) {
		rep.Deferred++
		return nil // planned again at the next tick, which comes soon (Run)
	}
	if !s.claim(p.Key) {
		return nil // the change-driven alerts are sending this one right now
	}
	defer s.release(p.Key)
	led := ledger{store: s.store, rep: rep, now: now}
	prev, _, err := s.store.LedgerGet(ctx, p.Key)
	if err != nil {
		return fmt.Errorf("reading the ledger for %s: %w", p.Key, err)
	}
	if prev.State == domain.LedgerSent || prev.State == domain.LedgerSkipped {
		return nil // done since it was planned (by the other delivery path)
	}
	if prev.State == domain.LedgerSending {
		if settled, err := s.resolveInterrupted(ctx, led, p, prev); settled || err != nil {
			return err
		}
	}
	entry := domain.LedgerEntry{Key: p.Key, Kind: p.Kind, Recipient: p.To.String(), AccountID: p.AccountID,
		Attempts: prev.Attempts + 1, DueAt: p.DueAt}
	msg, err := p.build(ctx)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		s.log.Error("building nudge", "key", p.Key, "err", err)
		s.observe(p.Kind, "", OutcomeFailed)
		return led.record(ctx, entry, domain.LedgerFailed, err.Error())
	case msg == nil:
		return led.record(ctx, entry, domain.LedgerSkipped, "")
	}
	// Pace first: a stop during the wait sends and records nothing.
	if err := s.limiter.Wait(ctx); err != nil {
		return err
	}
	return s.send(ctx, led, p, msg, entry)
}

// send posts msg. "sending" is recorded by the platform's call of the
// Before hook, after its own rate-limit waits and immediately before the
// POST; each posted part's id is recorded as it comes back.
func (s *Scheduler) send(stop context.Context, led ledger, p Planned, msg *bot.Message, entry domain.LedgerEntry) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(stop), sendLimit)
	defer cancel()
	var marked bool
	var markErr error
	hooks := bot.SendHooks{
		Before: func(platform string, parts int) error {
			if marked { // a retry of the same POST, or the next part: finish it
				return markErr
			}
			if stop.Err() != nil {
				return errStopping
			}
			entry.Platform, entry.Parts, marked = platform, parts, true
			markErr = led.record(ctx, entry, domain.LedgerSending, "")
			return markErr
		},
		Posted: func(platform, id string) {
			entry.MessageIDs = append(entry.MessageIDs, id)
			if err := led.record(ctx, entry, domain.LedgerSending, ""); err != nil {
				s.log.Error("recording a posted nudge's id", "key", p.Key, "err", err)
			}
		},
	}
	err := s.notifier.Notify(bot.WithSendHooks(ctx, hooks), p.To, msg, p.Key)
	switch {
	case markErr != nil:
		return markErr
	case !marked && errors.Is(err, errStopping):
		s.observe(p.Kind, "", OutcomeAbandoned)
		return stop.Err()
	case err != nil:
		s.log.Warn("nudge not delivered; will retry", "key", p.Key, "attempt", entry.Attempts, "err", err)
		s.observe(p.Kind, entry.Platform, OutcomeFailed)
		return led.record(ctx, entry, domain.LedgerFailed, err.Error())
	}
	s.observe(p.Kind, entry.Platform, OutcomeSent)
	return led.record(ctx, entry, domain.LedgerSent, "")
}

// resolveInterrupted settles an entry left "sending": the process stopped
// between the POST and recording its outcome. Every part's id recorded
// means it arrived. Otherwise Slack is asked (the key is in the message's
// metadata); Teams cannot be asked, so the nudge is sent again (a double
// beats a lost renewal reminder) unless nudges.teams_at_most_once is set.
// Elsewhere, without a way to ask, it does not risk a duplicate. It
// reports whether the entry is settled; when it is not, it is sent again.
func (s *Scheduler) resolveInterrupted(ctx context.Context, led ledger, p Planned, prev domain.LedgerEntry) (bool, error) {
	if prev.Parts > 0 && len(prev.MessageIDs) >= prev.Parts {
		s.observe(p.Kind, prev.Platform, OutcomeDoubleAvoided)
		return true, led.confirm(ctx, prev)
	}
	if prev.Platform == PlatformTeams {
		if s.cfg.TeamsAtMostOnce {
			prev.Attempts = s.cfg.MaxAttempts
			return true, led.record(ctx, prev, domain.LedgerFailed, "interrupted while posting to Teams; delivery unknown, not resent (teams_at_most_once)")
		}
		s.log.Warn("resending a nudge interrupted while posting to Teams; it may arrive twice", "key", p.Key)
		s.observe(p.Kind, prev.Platform, OutcomeResentUnverified)
		return false, nil
	}
	dc, canCheck := s.notifier.(DeliveryChecker)
	var done bool
	var err error
	if canCheck {
		done, err = dc.Delivered(ctx, p.To, p.Key)
		canCheck = !errors.Is(err, ErrCannotCheck)
	}
	switch {
	case !canCheck:
		prev.Attempts = s.cfg.MaxAttempts
		return true, led.record(ctx, prev, domain.LedgerFailed, "interrupted after sending; delivery unknown, not resent")
	case err != nil:
		s.log.Warn("could not check an interrupted nudge; will ask again", "key", p.Key, "err", err)
		return true, nil
	case done:
		s.observe(p.Kind, prev.Platform, OutcomeDoubleAvoided)
		return true, led.confirm(ctx, prev)
	}
	return false, nil
}
