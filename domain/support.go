package domain

import (
	"fmt"
	"sort"
	"strings"
)

// SupportHealth holds the rule keys of the ticket feed. It is embedded
// (inline) in HealthConfig, so its keys sit under health: in the YAML.
type SupportHealth struct {
	// UrgentTicketsPoints is deducted from retention risk while the account
	// has an urgent or high-priority ticket open. 0 (the default) turns the
	// rule off: the seed does not score it, and a team opts in.
	UrgentTicketsPoints int `yaml:"urgent_tickets_points" json:"urgent_tickets_points"`
}

// Ticket priorities and statuses as ticketing systems (Zendesk) name them.
const (
	TicketUrgent = "urgent"
	TicketHigh   = "high"
)

// Ticket is one support ticket as the feed last saw it.
type Ticket struct {
	ID       string `json:"id"`
	Opened   Date   `json:"opened"`
	Priority string `json:"priority,omitempty"` // low, normal, high, urgent (or empty)
	Status   string `json:"status"`             // new, open, pending, hold, solved, closed
	Subject  string `json:"subject,omitempty"`
}

// IsOpen reports whether the ticket still waits on the support team or the
// customer (solved and closed tickets are done).
func (t Ticket) IsOpen() bool {
	switch t.Status {
	case "solved", "closed", "deleted":
		return false
	}
	return true
}

// Support is what a ticketing feed knows about an account: its tickets by
// id, so a ticket exported twice (it changed twice) counts once. When an
// account has it, ticket counts come from here instead of the tickets
// column of usage snapshots (the feed is the better source).
type Support struct {
	Source  string   `json:"source"`
	Tickets []Ticket `json:"tickets"` // sorted by opened date, then id
}

// SupportKeepDays bounds what an account record keeps: closed tickets
// opened longer ago than this are dropped (the rules look back at most
// four ticket windows); open tickets are always kept.
const SupportKeepDays = 400

// Upsert stores t (replacing the ticket of the same id) and reports whether
// anything changed. A ticket with status "deleted" is removed.
func (s *Support) Upsert(t Ticket) bool {
	i := slicesIndex(s.Tickets, t.ID)
	if t.Status == "deleted" {
		if i < 0 {
			return false
		}
		s.Tickets = append(s.Tickets[:i], s.Tickets[i+1:]...)
		return true
	}
	if i >= 0 {
		if s.Tickets[i] == t {
			return false
		}
		s.Tickets[i] = t
	} else {
		s.Tickets = append(s.Tickets, t)
	}
	sort.SliceStable(s.Tickets, func(a, b int) bool {
		if s.Tickets[a].Opened != s.Tickets[b].Opened {
			return s.Tickets[a].Opened < s.Tickets[b].Opened
		}
		return s.Tickets[a].ID < s.Tickets[b].ID
	})
	return true
}

// Remove drops the ticket of id (it moved to another organization).
func (s *Support) Remove(id string) bool {
	i := slicesIndex(s.Tickets, id)
	if i < 0 {
		return false
	}
	s.Tickets = append(s.Tickets[:i], s.Tickets[i+1:]...)
	return true
}

func slicesIndex(ts []Ticket, id string) int {
	for i := range ts {
		if ts[i].ID == id {
			return i
		}
	}
	return -1
}

// Prune drops closed tickets opened more than SupportKeepDays before today.
func (s *Support) Prune(today Date) {
	cut := today.AddDays(-SupportKeepDays)
	out := s.Tickets[:0]
	for _, t := range s.Tickets {
		if t.IsOpen() || t.Opened >= cut {
			out = append(out, t)
		}
	}
	s.Tickets = out
}

// OpenedIn counts the tickets opened in (from, to].
func (s *Support) OpenedIn(from, to Date) int {
	n := 0
	for _, t := range s.Tickets {
		if t.Opened > from && t.Opened <= to {
			n++
		}
	}
	return n
}

// UrgentOpen returns the open urgent and high-priority tickets opened on or
// before today, urgent first, oldest first within a priority.
func (s *Support) UrgentOpen(today Date) []Ticket {
	if s == nil {
		return nil
	}
	var out []Ticket
	for _, p := range []string{TicketUrgent, TicketHigh} {
		for _, t := range s.Tickets {
			if t.Priority == p && t.IsOpen() && t.Opened <= today {
				out = append(out, t)
			}
		}
	}
	return out
}

// describeTickets renders up to three tickets for evidence.
func describeTickets(ts []Ticket, today Date) string {
	parts := make([]string, 0, 3)
	for i, t := range ts {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ts)-3))
			break
		}
		parts = append(parts, fmt.Sprintf("#%s %s, open %d days", t.ID, t.Priority, t.Opened.DaysUntil(today)))
	}
	return strings.Join(parts, "; ")
}

// urgentTickets is the retention-risk rule on open urgent/high tickets.
func urgentTickets(a *Account, today Date) (bool, string) {
	if a.Support == nil {
		return false, "no ticket feed connected"
	}
	open := a.Support.UrgentOpen(today)
	if len(open) == 0 {
		return false, "no urgent or high-priority ticket open"
	}
	return true, fmt.Sprintf("%d urgent or high-priority ticket(s) open: %s", len(open), describeTickets(open, today))
}

// supportIndicator refines the support-ticket readiness indicator with the
// open urgent and high-priority tickets of the feed: an urgent ticket open
// makes it red, a high one at least yellow.
func supportIndicator(a *Account, today Date, ind Indicator) Indicator {
	open := a.Support.UrgentOpen(today)
	if len(open) == 0 {
		return ind
	}
	ev := describeTickets(open, today)
	if ind.Evidence != "" {
		ev = ind.Evidence + "; " + ev
	}
	switch {
	case open[0].Priority == TicketUrgent:
		ind.Status = Red
	case ind.Status == Green:
		ind.Status = Yellow
	}
	ind.Evidence = ev
	return ind
}

// Trend is the ticket trend from the feed: windows end today (the feed is
// current), each ticket counted on the day it was opened, and the prior
// windows are fully covered (the feed backfills; tickets opened before it
// was connected are as known as the export's reach).
func (s *Support) Trend(today Date, cfg HealthConfig) TicketTrend {
	w := cfg.TicketsWindow
	t := TicketTrend{End: today, RecentDays: w, PriorDays: 3 * w}
	t.Recent = s.OpenedIn(today.AddDays(-w), today)
	t.Prior = s.OpenedIn(today.AddDays(-4*w), today.AddDays(-w))
	t.EnoughHistory = t.PriorDays >= cfg.TicketsMinHistoryDays
	t.RecentPerWeek = float64(t.Recent) * 7 / float64(w)
	t.PriorPerWeek = float64(t.Prior) * 7 / float64(t.PriorDays)
	t.RecentInWindowCount = t.Recent
	return t
}
