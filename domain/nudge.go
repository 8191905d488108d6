package domain

import (
	"fmt"
	"strings"
	"time"
)

// NudgeKind names a proactive message.
type NudgeKind string

const (
	NudgeDigest  NudgeKind = "digest"  // the daily top-5 DM
	NudgeWeekly  NudgeKind = "weekly"  // the weekly health score review
	NudgeRenewal NudgeKind = "renewal" // a renewal milestone reminder in a channel
	NudgeAlert   NudgeKind = "alert"   // a risk or opportunity alert to the owner
)

// ClockTime is a time of day, minutes after midnight.
type ClockTime int

// ParseClock reads "08:30".
func ParseClock(s string) (ClockTime, error) {
	var h, m int
	if _, err := fmt.Sscanf(strings.TrimSpace(s), "%d:%d", &h, &m); err != nil || h < 0 || h > 23 || m < 0 || m > 59 || len(strings.TrimSpace(s)) != 5 {
		return 0, Errorf(EINVALID, "%q is not a time of day like 08:30", s)
	}
	return ClockTime(h*60 + m), nil
}

func (c ClockTime) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// MarshalText writes "08:30" (YAML and JSON).
func (c ClockTime) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads "08:30".
func (c *ClockTime) UnmarshalText(b []byte) error {
	v, err := ParseClock(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// At returns the instant of this time of day on a civil date in loc. A time
// that does not exist that day (a spring-forward gap) moves forward with
// the clock change, as time.Date does.
func (c ClockTime) At(d Date, loc *time.Location) time.Time {
	y, mo, day := d.Time().Date()
	return time.Date(y, mo, day, int(c)/60, int(c)%60, 0, 0, loc)
}

// Schedule is one person's nudge preferences.
type Schedule struct {
	Location  *time.Location
	DigestAt  ClockTime
	DigestOff bool
	Workdays  [7]bool // by time.Weekday
	WeeklyDay time.Weekday
	WeeklyAt  ClockTime
	QuietFrom ClockTime // quiet hours; equal bounds mean none
	QuietTo   ClockTime
}

// Quiet reports whether t falls in the schedule's quiet hours, and when
// they end.
func (s Schedule) Quiet(t time.Time) (bool, time.Time) {
	if s.QuietFrom == s.QuietTo {
		return false, t
	}
	lt := t.In(s.Location)
	now := ClockTime(lt.Hour()*60 + lt.Minute())
	today := DateOf(lt)
	switch {
	case s.QuietFrom < s.QuietTo && now >= s.QuietFrom && now < s.QuietTo:
		return true, s.QuietTo.At(today, s.Location)
	case s.QuietFrom > s.QuietTo && now >= s.QuietFrom: // e.g. 20:00–07:00, evening part
		return true, s.QuietTo.At(today.AddDays(1), s.Location)
	case s.QuietFrom > s.QuietTo && now < s.QuietTo: // early-morning part
		return true, s.QuietTo.At(today, s.Location)
	}
	return false, t
}

// deliverAt moves a due time out of quiet hours.
func (s Schedule) deliverAt(t time.Time) time.Time {
	if q, end := s.Quiet(t); q {
		return end
	}
	return t
}

// Slot is one occurrence of a recurring nudge: the local date it belongs
// to and the instant it is due.
type Slot struct {
	Date  Date
	DueAt time.Time
}

// DueSlots returns the occurrences of a daily (weekly when weekly is set)
// nudge that are due at now: due at or before now, and not more than
// grace ago, so a restart or downtime catches up once and a long outage
// does not flood. Each slot is keyed by its local date.
func (s Schedule) DueSlots(now time.Time, grace time.Duration, weekly bool) []Slot {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	today := DateOf(now.In(loc))
	var out []Slot
	for back := int(grace/(24*time.Hour)) + 1; back >= 0; back-- {
		d := today.AddDays(-back)
		var at time.Time
		switch {
		case weekly:
			if d.Weekday() != s.WeeklyDay {
				continue
			}
			at = s.WeeklyAt.At(d, loc)
		default:
			if s.DigestOff || !s.Workdays[d.Weekday()] {
				continue
			}
			at = s.DigestAt.At(d, loc)
		}
		at = s.deliverAt(at)
		if !at.After(now) && now.Sub(at) < grace {
			out = append(out, Slot{Date: d, DueAt: at})
		}
	}
	return out
}

// RenewalReminder is a milestone reminder that is due.
type RenewalReminder struct {
	Milestone Milestone
	DueAt     time.Time
}

// DueRenewalReminders returns the milestones of an account whose reminder
// (posted at `at` o'clock in loc on the milestone's date) is due at now
// within grace.
func DueRenewalReminders(a *Account, tier int, now time.Time, at ClockTime, loc *time.Location, grace time.Duration, cfg Config) []RenewalReminder {
	if a.RenewalDate.IsZero() {
		return nil
	}
	var out []RenewalReminder
	for _, days := range TierMilestones(cfg, tier) {
		on := a.RenewalDate.AddDays(-days)
		dueAt := at.At(on, loc)
		if dueAt.After(now) || now.Sub(dueAt) >= grace {
			continue
		}
		st := StageForDays(days)
		out = append(out, RenewalReminder{DueAt: dueAt, Milestone: Milestone{Days: days, Stage: st, Title: StageTitle(st),
			Checklist: StageChecklist(st), DueOn: on, Reached: true}})
	}
	return out
}

// AlertEvent is a risk or opportunity worth telling the owner about at once.
type AlertEvent struct {
	Rule string // champion_left, usage_decline, limit_80, competitor
	ID   string // identifies the event, so one event gives one alert
	Date Date
	Text string
}

// Alerts lists the alert-worthy events of an account on today: a champion
// who left, usage down 20%+, a plan limit crossing 80%, a competitor
// mention. Dated events count within `window` days. Conditions count when
// they began within the last week, and are keyed by month (usage) or
// contract term (a limit), so each alerts once.
func Alerts(a *Account, h Health, today Date, window int, cfg Config) []AlertEvent {
	var out []AlertEvent
	recent := func(d Date) bool { return !d.IsZero() && d <= today && d > today.AddDays(-window) }
	for _, s := range a.Stakeholders {
		if s.Champion && recent(s.Left) {
			out = append(out, AlertEvent{Rule: "champion_left", ID: "champion_left|" + NormalizeName(s.Name) + "|" + s.Left.String(), Date: s.Left,
				Text: fmt.Sprintf("Champion %s left on %s", s.Name, s.Left)})
		}
	}
	for _, s := range a.Signals {
		switch {
		case s.Kind == SignalChampionLeft && recent(s.Date):
			out = append(out, AlertEvent{Rule: "champion_left", ID: "champion_left|" + s.Date.String() + "|" + NormalizeName(s.Note), Date: s.Date,
				Text: "Champion departure reported" + noteSuffix(s.Note)})
		case s.Kind == SignalCompetitor && recent(s.Date):
			out = append(out, AlertEvent{Rule: "competitor", ID: "competitor|" + s.Date.String() + "|" + NormalizeName(s.Note), Date: s.Date,
				Text: "Competitor mentioned" + noteSuffix(s.Note)})
		}
	}
	// Conditions alert when they begin, judged from the account's own
	// history a week back, so a book imported with many accounts already
	// in decline does not raise thousands of alerts at once.
	weekAgo := today.AddDays(-7)
	for _, r := range h.Reasons {
		if r.Rule != "usage_decline" || !r.Met {
			continue
		}
		if _, known := a.SnapshotAt(weekAgo.AddDays(-cfg.Health.UsageDeclineWindow)); !known {
			continue // no reading old enough to tell whether the decline is new
		}
		before, _ := trend(a, weekAgo, cfg.Health.UsageDeclineWindow, "usage", func(s Snapshot) int64 { return s.Usage },
			func(p float64) bool { return p <= -cfg.Health.UsageDeclineMinPct })
		if !before {
			// Once a month at most; formatted here, as few evaluations raise it (a replay makes millions).
			month := today.Time().Format("2006-01")
			out = append(out, AlertEvent{Rule: "usage_decline", ID: "usage_decline|" + month, Date: today, Text: "Usage is down: " + r.Evidence})
		}
	}
	now, ok1 := a.SnapshotAt(today)
	then, ok2 := a.SnapshotAt(weekAgo)
	for _, l := range a.Limits {
		if l.Limit <= 0 || float64(l.Used)*100 < cfg.Triggers.LimitWarnPct*float64(l.Limit) {
			continue
		}
		// Estimate last week's use of the limit from the usage trend.
		if !ok1 || !ok2 || now.Usage <= 0 || then.Date == now.Date {
			continue
		}
		usedThen := float64(l.Used) * float64(then.Usage) / float64(now.Usage)
		if usedThen*100 >= cfg.Triggers.LimitWarnPct*float64(l.Limit) {
			continue // already past 80% a week ago
		}
		out = append(out, AlertEvent{Rule: "limit_80", ID: "limit|" + NormalizeName(l.Name) + "|" + a.RenewalDate.String(), Date: today,
			Text: fmt.Sprintf("%s crossed %s of the plan limit (%s of %s): an opportunity", l.Name, pct(cfg.Triggers.LimitWarnPct), groupThousands(l.Used), groupThousands(l.Limit))})
	}
	return out
}

// LedgerState is where a nudge is in its delivery.
type LedgerState string

const (
	LedgerSending LedgerState = "sending" // recorded before the send
	LedgerSent    LedgerState = "sent"
	LedgerFailed  LedgerState = "failed"
	LedgerSkipped LedgerState = "skipped" // nothing to send (e.g. everything snoozed)
)

// LedgerEntry records one nudge by its dedupe key, before and after sending.
type LedgerEntry struct {
	Key       string      `json:"key"`
	Kind      NudgeKind   `json:"kind"`
	Recipient string      `json:"recipient"`
	AccountID string      `json:"account_id,omitempty"`
	State     LedgerState `json:"state"`
	Attempts  int         `json:"attempts"`
	DueAt     time.Time   `json:"due_at"`
	UpdatedAt time.Time   `json:"updated_at"`
	Error     string      `json:"error,omitempty"`
	// Where and how it went out, written at the POST: the platform, how
	// many posts the message takes, and the ids the platform gave those
	// that were posted (a restart settles an interrupted send with them).
	Platform   string   `json:"platform,omitempty"`
	Parts      int      `json:"parts,omitempty"`
	MessageIDs []string `json:"message_ids,omitempty"`
}

// UserSettings are a person's nudge preferences, set from chat.
type UserSettings struct {
	DigestAt  string `json:"digest_at,omitempty"` // "08:30"; "" = the default
	DigestOff bool   `json:"digest_off,omitempty"`
	TimeZone  string `json:"time_zone,omitempty"` // IANA name; "" = from the platform, else the default
	QuietFrom string `json:"quiet_from,omitempty"`
	QuietTo   string `json:"quiet_to,omitempty"`
}
