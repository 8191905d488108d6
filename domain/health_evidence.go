package domain

// Evidence helpers for ScoreHealth: each rule's test over an account's
// snapshots and signals, returning whether it fired and why.

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// trend compares a metric now with its value `window` days ago. It reports
// whether cond holds for the percentage change, with the evidence.
func trend(a *Account, today Date, window int, what string, metric func(Snapshot) int64, cond func(float64) bool) (bool, string) {
	return trendOf(a, today, window, what, metric, cond, true)
}

// trendOf is trend; without explain the evidence is left empty.
func trendOf(a *Account, today Date, window int, what string, metric func(Snapshot) int64, cond func(float64) bool, explain bool) (bool, string) {
	now, ok := a.SnapshotAt(today)
	if !ok {
		return false, "no usage data"
	}
	then, ok := a.SnapshotAt(today.AddDays(-window))
	if !ok {
		return false, sayer(explain)("not enough history: no %s reading %d days back", what, window)
	}
	v0, v1 := metric(then), metric(now)
	var p float64
	if v0 != 0 {
		p = float64(v1-v0) / float64(v0) * 100
	}
	met := cond(p)
	if v0 == 0 {
		met = v1 > 0 && cond(100) // up from nothing counts as +100%
	}
	if !explain {
		return met, ""
	}
	if v0 == 0 {
		if v1 > 0 {
			return met, fmt.Sprintf("%s up from 0 to %s since %s", what, groupThousands(v1), then.Date)
		}
		return met, fmt.Sprintf("%s at 0", what)
	}
	dir := "above"
	if p < 0 {
		dir = "below"
	}
	ev := fmt.Sprintf("%s %s %s %d days ago (%s vs %s)", what, pct(abs(p)), dir, window, groupThousands(v1), groupThousands(v0))
	if p == 0 {
		ev = fmt.Sprintf("%s flat over %d days (%s)", what, window, groupThousands(v1))
	}
	return met, ev
}

// TicketsIn sums the tickets of snapshots dated in (from, to].
func (a *Account) TicketsIn(from, to Date) (sum int, n int) {
	for _, s := range a.Usage {
		if s.Date > from && s.Date <= to {
			sum += s.Tickets
			n++
		}
	}
	return sum, n
}

// TicketSpan sums the tickets of the snapshots dated in (from, to] and the
// days they cover. A snapshot's tickets were opened since the snapshot
// before it, so each covers the interval back to its predecessor; the first
// snapshot's interval is unknown and is left out. Comparing tickets per day
// of covered time keeps a flat weekly count flat, whichever weekday a
// window starts on.
func (a *Account) TicketSpan(from, to Date) (tickets, days int) {
	for i := 1; i < len(a.Usage); i++ {
		s := a.Usage[i]
		if s.Date > from && s.Date <= to {
			tickets += s.Tickets
			days += a.Usage[i-1].Date.DaysUntil(s.Date)
		}
	}
	return tickets, days
}

// TicketTrend compares the latest window of support tickets with the up to
// three windows before it, aligned on the latest snapshot (not on today).
type TicketTrend struct {
	End                 Date // the latest snapshot on or before today
	Recent, RecentDays  int
	Prior, PriorDays    int
	EnoughHistory       bool // the prior windows cover at least tickets_min_history_days
	RecentPerWeek       float64
	PriorPerWeek        float64
	RecentInWindowCount int // the recent rate scaled to one window, for the absolute threshold
}

// Ratio is the recent weekly rate over the prior one (0 when there is no prior rate).
func (t TicketTrend) Ratio() float64 {
	if t.PriorPerWeek <= 0 {
		return 0
	}
	return t.RecentPerWeek / t.PriorPerWeek
}

// Tickets computes the ticket trend of a on today.
func Tickets(a *Account, today Date, cfg HealthConfig) (TicketTrend, bool) {
	if a.Support != nil { // a ticket feed knows better than snapshots (support.go)
		return a.Support.Trend(today, cfg), true
	}
	last, ok := a.SnapshotAt(today)
	w := cfg.TicketsWindow
	if !ok || last.Date <= today.AddDays(-w) {
		return TicketTrend{}, false
	}
	t := TicketTrend{End: last.Date}
	t.Recent, t.RecentDays = a.TicketSpan(last.Date.AddDays(-w), last.Date)
	if t.RecentDays == 0 {
		return t, false
	}
	t.Prior, t.PriorDays = a.TicketSpan(last.Date.AddDays(-4*w), last.Date.AddDays(-w))
	t.EnoughHistory = t.PriorDays >= cfg.TicketsMinHistoryDays
	t.RecentPerWeek = float64(t.Recent) * 7 / float64(t.RecentDays)
	t.RecentInWindowCount = int(math.Round(float64(t.Recent) * float64(w) / float64(t.RecentDays)))
	if t.PriorDays > 0 {
		t.PriorPerWeek = float64(t.Prior) * 7 / float64(t.PriorDays)
	}
	return t, true
}

// Rising reports whether tickets are rising: enough history, and the recent
// weekly rate at least tickets_rising_ratio × the prior one (or any tickets
// after none).
func (t TicketTrend) Rising(cfg HealthConfig) bool {
	if !t.EnoughHistory || t.Recent == 0 {
		return false
	}
	return t.PriorPerWeek == 0 || t.RecentPerWeek >= cfg.TicketsRisingRatio*t.PriorPerWeek
}

func highTickets(a *Account, today Date, cfg HealthConfig, explain bool) (bool, string) {
	w := cfg.TicketsWindow
	t, ok := Tickets(a, today, cfg)
	high := ok && t.RecentInWindowCount >= cfg.TicketsHighCount
	spike := ok && !high && t.EnoughHistory && t.Recent >= cfg.TicketsSpikeMinCount && t.PriorPerWeek > 0 && t.Ratio() >= cfg.TicketsSpikeRatio
	switch {
	case !explain:
		return high || spike, ""
	case !ok:
		return false, fmt.Sprintf("no support data in the last %d days", w)
	case high:
		return true, fmt.Sprintf("%d tickets in the %d days to %s (%s a week; high from %d per %d days)",
			t.Recent, t.RecentDays, t.End, oneDecimal(t.RecentPerWeek), cfg.TicketsHighCount, w)
	case !t.EnoughHistory:
		return false, fmt.Sprintf("%d tickets in the %d days to %s; not enough history for a trend (%d of %d days before)",
			t.Recent, t.RecentDays, t.End, t.PriorDays, cfg.TicketsMinHistoryDays)
	case spike:
		return true, fmt.Sprintf("%d tickets in the %d days to %s, %s a week: %s× the %s a week of the %d days before",
			t.Recent, t.RecentDays, t.End, oneDecimal(t.RecentPerWeek), oneDecimal(t.Ratio()), oneDecimal(t.PriorPerWeek), t.PriorDays)
	}
	return false, fmt.Sprintf("%d tickets in the %d days to %s (%s a week; %s a week before)",
		t.Recent, t.RecentDays, t.End, oneDecimal(t.RecentPerWeek), oneDecimal(t.PriorPerWeek))
}

// sayer formats evidence only when explaining: a replay skips the text.
func sayer(explain bool) func(format string, args ...any) string {
	return func(format string, args ...any) string {
		if !explain {
			return ""
		}
		return fmt.Sprintf(format, args...)
	}
}

func oneDecimal(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

func championLeft(a *Account, today Date, recency int, explain bool) (bool, string) {
	say := sayer(explain)
	var left *Stakeholder
	activeChampion := ""
	for i := range a.Stakeholders {
		s := &a.Stakeholders[i]
		if !s.Champion {
			continue
		}
		if s.Active(today) {
			activeChampion = s.Name
		} else if left == nil || s.Left > left.Left {
			left = s
		}
	}
	if left != nil {
		if today.AddDays(-recency) < left.Left {
			return true, say("%s (%s) left on %s", left.Name, orDash(left.Role), left.Left)
		}
		if activeChampion == "" {
			return true, say("%s left on %s and no new champion is named", left.Name, left.Left)
		}
	}
	if sig, ok := latestSignal(a, SignalChampionLeft, today, recency); ok {
		return true, say("champion departure reported on %s%s", sig.Date, noteSuffix(sig.Note))
	}
	if activeChampion != "" {
		return false, say("champion in place: %s", activeChampion)
	}
	return false, "no champion recorded"
}

func companyGrowing(a *Account, today Date, days int, explain bool) (bool, string) {
	if a.CompanyGrowing {
		return true, "company marked as growing"
	}
	if sig, ok := latestSignal(a, SignalHiring, today, days); ok {
		return true, sayer(explain)("hiring reported on %s%s", sig.Date, noteSuffix(sig.Note))
	}
	return false, "no growth signal"
}

func executiveEngaged(a *Account, today Date, days int, explain bool) (bool, string) {
	say := sayer(explain)
	var best *Stakeholder
	for i := range a.Stakeholders {
		s := &a.Stakeholders[i]
		if s.Executive && s.Active(today) && (best == nil || s.LastContact > best.LastContact) {
			best = s
		}
	}
	switch {
	case best == nil:
		return false, "no executive stakeholder on the account map"
	case best.LastContact.IsZero():
		return false, say("%s (%s): never contacted", best.Name, orDash(best.Role))
	case today.AddDays(-days) <= best.LastContact:
		return true, say("%s (%s) last contacted %s", best.Name, orDash(best.Role), best.LastContact)
	}
	return false, say("%s (%s) last contacted %s, over %d days ago", best.Name, orDash(best.Role), best.LastContact, days)
}

// latestSignal returns the newest signal of kind dated within the last
// `days` days up to today.
func latestSignal(a *Account, kind SignalKind, today Date, days int) (Signal, bool) {
	for i := len(a.Signals) - 1; i >= 0; i-- {
		s := a.Signals[i]
		if s.Date > today || s.Kind != kind {
			continue
		}
		if s.Date <= today.AddDays(-days) {
			return Signal{}, false
		}
		return s, true
	}
	return Signal{}, false
}

// recentSignals returns the signals of kind within the last `days` days, newest first.
func recentSignals(a *Account, kind SignalKind, today Date, days int) []Signal {
	var out []Signal
	for i := len(a.Signals) - 1; i >= 0; i-- {
		s := a.Signals[i]
		if s.Date > today || s.Kind != kind {
			continue
		}
		if s.Date <= today.AddDays(-days) {
			break
		}
		out = append(out, s)
	}
	return out
}

func pct(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64) // not fmt: this runs for every account of a digest
	return strings.TrimSuffix(s, ".0") + "%"
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func orDash(s string) string {
	if s == "" {
		return "role unknown"
	}
	return s
}

func noteSuffix(n string) string {
	if n == "" {
		return ""
	}
	return ": " + n
}
