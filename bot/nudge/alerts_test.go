package nudge_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/evaluator"
)

// TestAlertsFromChanges: with alerts from changes, the tick no longer scans
// the book; AlertAccounts' accounts are alerted at once (snoozes and the
// ledger apply), quiet hours hold an alert until they end, a failed alert
// is retried by the tick, and nothing is sent twice.
func TestAlertsFromChanges(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	day := domain.DateOf(start)
	db := simBook(t, start)
	db.SetSettings(ctx, "cy@example.com", domain.UserSettings{QuietFrom: "09:00", QuietTo: "12:00"})
	db.SetSnooze(ctx, "bo@example.com", "a10", day.AddDays(7))
	for _, id := range []string{"a00", "a10", "a20", "a30"} {
		db.Apply(ctx, []domain.Patch{{ID: id, Signals: []domain.Signal{{Date: day, Kind: domain.SignalCompetitor, Note: "Globex pitch"}}}})
	}
	n := &fakeNotifier{failFor: "dee@example.com"}
	s := newScheduler(t, db, n, func(c *nudge.Config) { c.MaxAttempts = 3 })
	s.AlertsFromChanges()
	run(t, s, start, start.Add(15*time.Minute)) // a tick: digests, but no whole-book alert scan
	if got := n.keys("alert|"); len(got) != 0 {
		t.Fatalf("the tick scanned for alerts: %v", got)
	}
	simNow = start
	if _, err := s.DeliverAlerts(ctx, start, []string{"a00", "a10", "a20", "a30", "gone"}); err != nil {
		t.Fatal(err)
	}
	want := func(when string, keys ...string) {
		t.Helper()
		got := n.keys("alert|")
		if len(got) != len(keys) {
			t.Errorf("%s: alerts %v, want %v", when, got, keys)
		}
		for _, k := range keys {
			if got["alert|"+k+"|competitor|2026-11-23|globexpitch|"+owner(k)] != 1 {
				t.Errorf("%s: %s not sent exactly once: %v", when, k, got)
			}
		}
	}
	want("at once", "a00") // a10 snoozed, a20 quiet, a30 failing, "gone" unknown
	if _, err := s.DeliverAlerts(ctx, start, []string{"a00"}); err != nil {
		t.Fatal(err)
	}
	want("again", "a00")
	n.failFor = ""
	run(t, s, start.Add(15*time.Minute), start.Add(3*time.Hour)) // quiet hours end at 12:00; the failure backs off
	want("after quiet hours and a retry", "a00", "a20", "a30")
}

func owner(id string) string {
	return map[byte]string{'0': "ana", '1': "bo", '2': "cy", '3': "dee"}[id[1]] + "@example.com"
}

// TestDigestFromStoredRanks: a digest read from stored ranks lists what
// the scan lists, leaving snoozed accounts out.
func TestDigestFromStoredRanks(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	digests := func(ranked bool) map[string]string {
		db := simBook(t, start)
		db.SetSnooze(ctx, "bo@example.com", "a10", domain.DateOf(start).AddDays(7))
		n := &fakeNotifier{}
		s := newScheduler(t, db, n)
		if ranked {
			ev := evaluator.New(db, evaluator.Options{Rules: domain.DefaultConfig(), Now: func() time.Time { return start }})
			if _, err := ev.Check(ctx, start); err != nil {
				t.Fatal(err)
			}
			s.Ranks = ev
		}
		run(t, s, start, start.Add(time.Hour))
		out := map[string]string{}
		for _, d := range n.sent {
			if strings.HasPrefix(d.key, "digest|") {
				out[d.key] = bot.RenderText(d.msg)
			}
		}
		return out
	}
	scanned, ranked := digests(false), digests(true)
	if len(scanned) != 4 {
		t.Fatalf("digests = %d, want 4", len(scanned))
	}
	for k, text := range scanned {
		if ranked[k] != text {
			t.Errorf("%s from stored ranks:\n%s\nwant\n%s", k, ranked[k], text)
		}
	}
	if strings.Contains(ranked["digest|2026-11-23|bo@example.com"], "Account 1-0") {
		t.Error("snoozed account in bo's digest")
	}
}
