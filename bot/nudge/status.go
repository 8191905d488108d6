package nudge

import (
	"context"
	"fmt"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
)

// Status describes the asker's schedule, what is due now, and what was
// sent or failed in the last 7 days (everyone's when the asker is unknown).
// It implements bot.NudgeStatus.
func (s *Scheduler) Status(ctx context.Context, u bot.User, now time.Time) (bot.NudgeStatusResult, error) {
	r := bot.NudgeStatusResult{Due: []bot.NudgeDue{}, RecentSent: []bot.NudgeEntry{}, Failures: []bot.NudgeEntry{}}
	if u.Email != "" {
		set, err := s.store.Settings(ctx, u.Email)
		if err != nil {
			return r, fmt.Errorf("reading %s's settings: %w", u.Email, err)
		}
		loc := s.location(ctx, u.Email, set)
		sch := s.set.schedule(loc, set)
		r.TimeZone, r.Digest = loc.String(), "off"
		if !sch.DigestOff {
			r.Digest = sch.DigestAt.String() + " on working days"
		}
		r.Weekly = fmt.Sprintf("%s %s", sch.WeeklyDay, sch.WeeklyAt)
		r.QuietHours = fmt.Sprintf("%s–%s", sch.QuietFrom, sch.QuietTo)
	}
	plan, err := s.Plan(ctx, now)
	if err != nil {
		return r, err
	}
	for _, p := range plan {
		if u.Email == "" || p.To.Email == u.Email {
			r.Due = append(r.Due, p.NudgeDue)
		}
	}
	entries, err := s.store.LedgerSince(ctx, now.Add(-7*24*time.Hour))
	if err != nil {
		return r, fmt.Errorf("reading the nudge ledger: %w", err)
	}
	for _, e := range entries {
		if u.Email != "" && e.Recipient != u.Email {
			continue
		}
		entry := bot.NudgeEntry{Kind: e.Kind, Key: e.Key, Recipient: e.Recipient, Attempts: e.Attempts, Error: e.Error, At: e.UpdatedAt}
		switch e.State {
		case domain.LedgerSent:
			r.AddSent(entry)
		case domain.LedgerFailed, domain.LedgerSending:
			r.AddFailed(entry)
		}
	}
	return r, nil
}
