package domain

import (
	"testing"
	"time"
	_ "time/tzdata"
)

func mustLoc(t *testing.T, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("no tzdata for %s: %v", name, err)
	}
	return loc
}

func weekdays() [7]bool { return [7]bool{false, true, true, true, true, true, false} }

func TestParseClock(t *testing.T) {
	for in, ok := range map[string]bool{"08:30": true, "23:59": true, "24:00": false, "8:30": false, "ab:cd": false, "08:60": false} {
		if _, err := ParseClock(in); (err == nil) != ok {
			t.Errorf("ParseClock(%q) err = %v", in, err)
		}
	}
}

func TestDigestSlotsAcrossZonesAndDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	s := Schedule{Location: ny, DigestAt: 8*60 + 30, Workdays: weekdays()}
	// 2026-11-02 is the Monday after the US DST change (Nov 1): 08:30 EST is 13:30 UTC.
	at := time.Date(2026, 11, 2, 13, 30, 0, 0, time.UTC)
	if got := s.DueSlots(at.Add(-time.Minute), time.Hour, false); len(got) != 0 {
		t.Errorf("a minute early: %v", got)
	}
	got := s.DueSlots(at, time.Hour, false)
	if len(got) != 1 || got[0].Date != MustDate("2026-11-02") || !got[0].DueAt.Equal(at) {
		t.Fatalf("at 08:30 EST: %v", got)
	}
	// The Friday before, 08:30 EDT was 12:30 UTC.
	fri := time.Date(2026, 10, 30, 12, 30, 0, 0, time.UTC)
	if got := s.DueSlots(fri, time.Hour, false); len(got) != 1 || got[0].Date != MustDate("2026-10-30") {
		t.Errorf("08:30 EDT: %v", got)
	}
	// Saturday: no digest.
	if got := s.DueSlots(time.Date(2026, 10, 31, 12, 30, 0, 0, time.UTC), time.Hour, false); len(got) != 0 {
		t.Errorf("weekend: %v", got)
	}
	// Outside the grace window the slot is gone.
	if got := s.DueSlots(at.Add(time.Hour), time.Hour, false); len(got) != 0 {
		t.Errorf("after grace: %v", got)
	}
	s.DigestOff = true
	if got := s.DueSlots(at, time.Hour, false); len(got) != 0 {
		t.Errorf("off: %v", got)
	}
}

func TestQuietHoursDelay(t *testing.T) {
	s := Schedule{Location: time.UTC, DigestAt: 6 * 60, Workdays: weekdays(), QuietFrom: 20 * 60, QuietTo: 7 * 60}
	mon := MustDate("2026-11-23")
	if got := s.DueSlots(time.Date(2026, 11, 23, 6, 30, 0, 0, time.UTC), 12*time.Hour, false); len(got) != 0 {
		t.Errorf("in quiet hours: %v", got)
	}
	got := s.DueSlots(time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC), 12*time.Hour, false)
	if len(got) != 1 || got[0].Date != mon || got[0].DueAt.Hour() != 7 {
		t.Errorf("after quiet hours: %v", got)
	}
	q, end := s.Quiet(time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC))
	if !q || !end.Equal(time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("evening quiet: %v %v", q, end)
	}
}

func TestWeeklySlot(t *testing.T) {
	s := Schedule{Location: time.UTC, WeeklyDay: time.Monday, WeeklyAt: 9 * 60}
	if got := s.DueSlots(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), time.Hour, true); len(got) != 1 {
		t.Errorf("monday: %v", got)
	}
	if got := s.DueSlots(time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC), time.Hour, true); len(got) != 0 {
		t.Errorf("tuesday: %v", got)
	}
}

func TestRenewalRemindersOncePerMilestone(t *testing.T) {
	cfg := DefaultConfig()
	a := &Account{RenewalDate: MustDate("2027-05-22")} // 180 days after 2026-11-23
	at := ClockTime(9 * 60)
	grace := 48 * time.Hour
	due := func(ts time.Time) []int {
		var out []int
		for _, r := range DueRenewalReminders(a, 1, ts, at, time.UTC, grace, cfg) {
			out = append(out, r.Milestone.Days)
		}
		return out
	}
	if got := due(time.Date(2026, 11, 23, 8, 59, 0, 0, time.UTC)); len(got) != 0 {
		t.Errorf("before 09:00: %v", got)
	}
	if got := due(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)); len(got) != 1 || got[0] != 180 {
		t.Errorf("on the day: %v", got)
	}
	if got := due(time.Date(2026, 11, 25, 8, 59, 0, 0, time.UTC)); len(got) != 1 {
		t.Errorf("within grace: %v", got)
	}
	if got := due(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)); len(got) != 0 {
		t.Errorf("after grace: %v", got)
	}
	// Tier 3 starts at 60 days.
	if got := DueRenewalReminders(a, 3, time.Date(2027, 3, 23, 9, 0, 0, 0, time.UTC), at, time.UTC, grace, cfg); len(got) != 1 || got[0].Milestone.Days != 60 {
		t.Errorf("tier 3: %v", got)
	}
}

func TestAlertsAreKeyedByEvent(t *testing.T) {
	cfg := DefaultConfig()
	a := baseAccount()
	a.Stakeholders = []Stakeholder{{Name: "Dana", Champion: true, Left: today.AddDays(-2)}, {Name: "Old", Champion: true, Left: today.AddDays(-30)}}
	a.Signals = []Signal{{Date: today, Kind: SignalCompetitor, Note: "Globex"}}
	// Usage steady for 14 weeks, then down to 5,000 this week: the decline
	// passed 20% within the week.
	a.Usage = weekly(today, 15, 100, 100, 8500, 8500, 0)
	a.Usage[14].Usage = 5000
	a.Normalize()
	h := ScoreHealth(a, today, cfg.Health)
	ev := Alerts(a, h, today, 7, cfg)
	rules := map[string]int{}
	for _, e := range ev {
		rules[e.Rule]++
	}
	if rules["champion_left"] != 1 || rules["competitor"] != 1 || rules["usage_decline"] != 1 || len(ev) != 3 {
		t.Errorf("alerts = %+v", ev)
	}
	// A limit crosses 80% as usage grows: 85% now, about 70% a week ago.
	c := baseAccount()
	c.Limits = []PlanLimit{{"API calls", 100, 85}, {"Seats", 100, 10}}
	c.Usage = weekly(today, 15, 100, 100, 7000, 7000, 0)
	c.Usage[14].Usage = 8500
	c.Normalize()
	if got := Alerts(c, ScoreHealth(c, today, cfg.Health), today, 7, cfg); len(got) != 1 || got[0].Rule != "limit_80" {
		t.Errorf("limit crossing = %+v", got)
	}
	// A decline and a limit that were already there a week ago do not alert.
	b := baseAccount()
	b.Limits = []PlanLimit{{"API calls", 100, 95}}
	b.Usage = weekly(today, 15, 100, 100, 10000, 5000, 0)
	b.Normalize()
	if got := Alerts(b, ScoreHealth(b, today, cfg.Health), today, 7, cfg); len(got) != 0 {
		t.Errorf("old conditions alerted: %+v", got)
	}
	// The same events on the next day have the same ids: one event, one alert.
	next := Alerts(a, h, today.AddDays(1), 7, cfg)
	ids := map[string]bool{}
	for _, e := range ev {
		ids[e.ID] = true
	}
	for _, e := range next {
		if !ids[e.ID] {
			t.Errorf("new id the next day: %s", e.ID)
		}
	}
}
