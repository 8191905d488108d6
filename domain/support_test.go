package domain

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestSupportUpsertCountsATicketOnce(t *testing.T) {
	s := &Support{Source: "zendesk"}
	t1 := Ticket{ID: "1", Opened: today.AddDays(-3), Priority: "normal", Status: "new"}
	if !s.Upsert(t1) {
		t.Fatal("first upsert changed nothing")
	}
	if s.Upsert(t1) {
		t.Error("the same ticket again changed something")
	}
	t1.Status = "open" // updated twice: still one ticket
	if !s.Upsert(t1) || len(s.Tickets) != 1 || s.OpenedIn(today.AddDays(-30), today) != 1 {
		t.Errorf("update: %+v", s.Tickets)
	}
	s.Upsert(Ticket{ID: "2", Opened: today.AddDays(-40), Status: "solved"})
	if got := s.OpenedIn(today.AddDays(-30), today); got != 1 {
		t.Errorf("opened in last 30 days = %d, want 1 (ticket 2 is older)", got)
	}
	if !s.Upsert(Ticket{ID: "1", Status: "deleted"}) || len(s.Tickets) != 1 {
		t.Errorf("deleted ticket kept: %+v", s.Tickets)
	}
	s.Upsert(Ticket{ID: "3", Opened: today.AddDays(-500), Status: "closed"})
	s.Upsert(Ticket{ID: "4", Opened: today.AddDays(-500), Status: "open"})
	s.Prune(today)
	if len(s.Tickets) != 2 || s.Tickets[0].ID != "4" {
		t.Errorf("prune kept %+v, want the old open ticket 4 and ticket 2", s.Tickets)
	}
}

func TestFeedTicketsReplaceSnapshotTickets(t *testing.T) {
	a := baseAccount()
	a.Usage = weekly(today, 20, 10, 10, 100, 100, 9) // 9 a week from the snapshots: high
	cfg := DefaultConfig().Health
	if !reasonOf(t, ScoreHealth(a, today, cfg), "high_tickets").Met {
		t.Fatal("snapshot tickets should be high")
	}
	a.Support = &Support{Source: "zendesk"} // the feed says none
	r := reasonOf(t, ScoreHealth(a, today, cfg), "high_tickets")
	if r.Met || !strings.Contains(r.Evidence, "0 tickets") {
		t.Errorf("with the feed: %+v", r)
	}
	for i := range 25 {
		a.Support.Upsert(Ticket{ID: string(rune('a' + i)), Opened: today.AddDays(-i), Status: "open"})
	}
	if r := reasonOf(t, ScoreHealth(a, today, cfg), "high_tickets"); !r.Met {
		t.Errorf("25 feed tickets in 30 days not high: %+v", r)
	}
}

func TestUrgentTicketsRule(t *testing.T) {
	urgent := Ticket{ID: "7", Opened: today.AddDays(-4), Priority: TicketUrgent, Status: "open"}
	high := Ticket{ID: "8", Opened: today.AddDays(-2), Priority: TicketHigh, Status: "pending"}
	tests := []struct {
		name    string
		points  int
		tickets []Ticket
		fired   bool // the rule is listed and met
		listed  bool
		risk    int
		support Readiness
	}{
		{"default off: not listed, no points", 0, []Ticket{urgent}, false, false, 0, Red},
		{"on, urgent open", 8, []Ticket{urgent}, true, true, -8, Red},
		{"on, high open: yellow", 8, []Ticket{high}, true, true, -8, Yellow},
		// A ticket this month over none before reads "rising" (the existing volume rule).
		{"on, urgent solved", 8, []Ticket{{ID: "7", Opened: today.AddDays(-4), Priority: TicketUrgent, Status: "solved"}}, false, true, 0, Yellow},
		{"on, normal open", 8, []Ticket{{ID: "9", Opened: today, Priority: "normal", Status: "open"}}, false, true, 0, Yellow},
		{"on, an old normal ticket only", 8, []Ticket{{ID: "9", Opened: today.AddDays(-200), Priority: "normal", Status: "open"}}, false, true, 0, Green},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := baseAccount()
			a.Support = &Support{Source: "zendesk"}
			for _, tk := range tt.tickets {
				a.Support.Upsert(tk)
			}
			cfg := DefaultConfig()
			cfg.Health.UrgentTicketsPoints = tt.points
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			h := ScoreHealth(a, today, cfg.Health)
			listed := false
			for _, r := range h.Reasons {
				if r.Rule == "urgent_tickets" {
					listed = true
					if r.Met != tt.fired || r.Points != tt.risk {
						t.Errorf("reason %+v, want met %v points %d", r, tt.fired, tt.risk)
					}
				}
			}
			if listed != tt.listed {
				t.Errorf("listed %v, want %v", listed, tt.listed)
			}
			r := AssessRenewal(a, h, 1, today, cfg)
			if r.Indicators[1].Status != tt.support {
				t.Errorf("support indicator %+v, want %s", r.Indicators[1], tt.support)
			}
		})
	}
}

func TestFeedConfigKeys(t *testing.T) {
	cfg := DefaultConfig()
	if err := yaml.Unmarshal([]byte("health:\n  urgent_tickets_points: 6\n  cancelling_points: 30\nbilling:\n  arr_source: billing\n"), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Health.UrgentTicketsPoints != 6 || cfg.Health.CancellingPoints != 30 || cfg.Health.PaymentFailedPoints != 10 || cfg.Billing.ARRSource != ARRFromBilling {
		t.Errorf("decoded %+v %+v", cfg.Health.SupportHealth, cfg.Billing)
	}
	for _, bad := range []func(*Config){
		func(c *Config) { c.Billing.ARRSource = "erp" },
		func(c *Config) { c.Health.UrgentTicketsPoints = -1 },
		func(c *Config) { c.Health.PaymentFailedPoints = 101 },
	} {
		c := DefaultConfig()
		bad(&c)
		if err := c.Validate(); err == nil || ErrorCode(err) != EINVALID {
			t.Errorf("accepted %+v %+v: %v", c.Health.BillingHealth, c.Billing, err)
		}
	}
}
