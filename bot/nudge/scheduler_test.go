package nudge_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/domain"
)

// fakeNotifier records deliveries; it can fail for one recipient, answer
// delivery checks from what it saw, and give time zones.
type fakeNotifier struct {
	mu        sync.Mutex
	sent      []delivery
	failFor   string
	zones     map[string]string
	checkable bool
}

type delivery struct {
	to  bot.Recipient
	key string
	msg *bot.Message
	at  time.Time
}

var simNow time.Time // the simulated clock, read by the notifier

func (f *fakeNotifier) Notify(ctx context.Context, to bot.Recipient, m *bot.Message, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if to.Email != "" && to.Email == f.failFor {
		return errors.New("channel_not_found")
	}
	if err := bot.BeforeSend(ctx, "fake", 1); err != nil {
		return err
	}
	f.sent = append(f.sent, delivery{to, key, m, simNow})
	return nil
}

func (f *fakeNotifier) TimeZone(ctx context.Context, email string) (*time.Location, error) {
	if z, ok := f.zones[email]; ok {
		return time.LoadLocation(z)
	}
	return nil, errors.New("unknown")
}

type checkingNotifier struct{ *fakeNotifier }

func (f checkingNotifier) Delivered(ctx context.Context, to bot.Recipient, key string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.sent {
		if d.key == key {
			return true, nil
		}
	}
	return false, nil
}

func (f *fakeNotifier) keys(prefix string) map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, d := range f.sent {
		if strings.HasPrefix(d.key, prefix) {
			out[d.key]++
		}
	}
	return out
}

func simBook(t *testing.T, start time.Time) *badger.DB {
	t.Helper()
	db, err := badger.Open(context.Background(), "", badger.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d0 := domain.DateOf(start)
	var ps []domain.Patch
	for i, owner := range []string{"ana@example.com", "bo@example.com", "cy@example.com", "dee@example.com"} {
		for j := range 3 {
			id := fmt.Sprintf("a%d%d", i, j)
			arr := []int64{150_000, 250_000, 50_000}[j] // tiers 1, 1, 2
			a := &domain.Account{ID: id, Name: fmt.Sprintf("Account %d-%d", i, j), Owner: owner, ARR: arr * 100, Currency: "USD",
				FeaturesAvailable: 10, FeaturesAdopted: 5 + j,
				// Tier-1 renewal 180 days after day 3; others later.
				RenewalDate: d0.AddDays(3 + 180 + 40*j)}
			ps = append(ps, domain.Patch{ID: id, Core: a})
		}
	}
	if _, err := db.Apply(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	return db
}

func newScheduler(t *testing.T, store nudge.Store, n nudge.Notifier, edit ...func(*nudge.Config)) *nudge.Scheduler {
	t.Helper()
	cfg := nudge.DefaultConfig()
	cfg.QuietFrom, cfg.QuietTo = "", ""
	cfg.PerSecond, cfg.Burst = 1e6, 1000
	for _, f := range edit {
		f(&cfg)
	}
	s, err := nudge.New(cfg, domain.DefaultConfig(), store, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run ticks every 15 minutes from start to end, skipping [downFrom, downTo).
func run(t *testing.T, s *nudge.Scheduler, start, end time.Time, down ...time.Time) {
	t.Helper()
	for now := start; now.Before(end); now = now.Add(15 * time.Minute) {
		if len(down) == 2 && !now.Before(down[0]) && now.Before(down[1]) {
			continue
		}
		simNow = now
		if _, err := s.Tick(context.Background(), now); err != nil {
			t.Fatalf("tick at %s: %v", now, err)
		}
	}
}

func TestDigestsAtLocalTimeAcrossDST(t *testing.T) {
	// 2026-10-19 (Mon) to 2026-11-07: Europe leaves summer time on Oct 25, the US on Nov 1.
	start := time.Date(2026, 10, 19, 0, 0, 0, 0, time.UTC)
	end := time.Date(2026, 11, 7, 0, 0, 0, 0, time.UTC)
	db := simBook(t, start)
	ctx := context.Background()
	db.SetSettings(ctx, "ana@example.com", domain.UserSettings{TimeZone: "America/New_York"})
	db.SetSettings(ctx, "dee@example.com", domain.UserSettings{DigestOff: true})
	n := &fakeNotifier{zones: map[string]string{"bo@example.com": "Europe/London"}}
	// Digests and reviews only: the whole-book alert scan once a day keeps
	// the 19 simulated days quick.
	run(t, newScheduler(t, db, n, func(c *nudge.Config) { c.AlertEvery = 24 * time.Hour }), start, end)

	zones := map[string]string{"ana@example.com": "America/New_York", "bo@example.com": "Europe/London", "cy@example.com": "UTC"}
	for owner, zone := range zones {
		loc, _ := time.LoadLocation(zone)
		days := 0
		for d := domain.DateOf(start); d < domain.DateOf(end); d = d.AddDays(1) {
			if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
				continue
			}
			key := fmt.Sprintf("digest|%s|%s", d, owner)
			var got []delivery
			for _, s := range n.sent {
				if s.key == key {
					got = append(got, s)
				}
			}
			want := time.Date(d.Time().Year(), d.Time().Month(), d.Time().Day(), 8, 30, 0, 0, loc)
			if !want.Before(end) {
				continue
			}
			days++
			if len(got) != 1 {
				t.Errorf("%s: %d digests", key, len(got))
				continue
			}
			if got[0].at.Before(want) || got[0].at.Sub(want) >= 15*time.Minute {
				t.Errorf("%s sent at %s, want %s local", key, got[0].at.In(loc), want)
			}
			if !strings.HasPrefix(got[0].msg.Title, "Your top 3 accounts for") {
				t.Errorf("%s title %q", key, got[0].msg.Title)
			}
		}
		if days < 13 {
			t.Errorf("%s: only %d working days checked", owner, days)
		}
	}
	for key := range n.keys("digest|") {
		if strings.Contains(key, "dee@") {
			t.Errorf("digest sent to dee, who turned it off: %s", key)
		}
	}
	// Weekly reviews: one per owner per Monday (Oct 19, 26, Nov 2); turning
	// the daily digest off does not turn off the weekly review.
	if w := n.keys("weekly|"); len(w) != 12 {
		t.Errorf("weekly reviews = %v", w)
	}
}

func TestMilestonesOnceWithRestartAndDowntime(t *testing.T) {
	start := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	db := simBook(t, start)
	n := &fakeNotifier{}
	// The 180-day milestone of the a?0 accounts falls on day 3 at 09:00 UTC.
	milestone := start.Add(3*24*time.Hour + 9*time.Hour)
	run(t, newScheduler(t, db, n), start, start.Add(36*time.Hour))
	// Restart mid-day: a new scheduler on the same store.
	run(t, newScheduler(t, db, n), start.Add(36*time.Hour), start.Add(50*time.Hour))
	// Down from before the milestone to 30 hours after it; then catch up.
	s := newScheduler(t, db, n)
	run(t, s, start.Add(50*time.Hour), start.Add(7*24*time.Hour), milestone.Add(-2*time.Hour), milestone.Add(30*time.Hour))
	rem := n.keys("renewal|")
	if len(rem) != 4 {
		t.Fatalf("renewal reminders = %v", rem)
	}
	for k, c := range rem {
		if c != 1 || !strings.Contains(k, "|180|") || !strings.HasSuffix(k, "|#renewals") {
			t.Errorf("%s sent %d times", k, c)
		}
	}
	for _, d := range n.sent {
		if strings.HasPrefix(d.key, "renewal|") && !d.at.Equal(milestone.Add(30*time.Hour)) {
			t.Errorf("caught up at %s, want right after the downtime", d.at)
		}
	}
	for k, c := range n.keys("digest|") {
		if c != 1 {
			t.Errorf("%s sent %d times", k, c)
		}
	}
}

// crashingStore stops the process (fails the ledger write) right after the
// first digest was sent and before it was recorded as sent.
type crashingStore struct {
	*badger.DB
	crashed string
}

func (c *crashingStore) LedgerPut(ctx context.Context, e domain.LedgerEntry) error {
	if c.crashed == "" && e.State == domain.LedgerSent && strings.HasPrefix(e.Key, "digest|") {
		c.crashed = e.Key
		return errors.New("simulated crash")
	}
	return c.DB.LedgerPut(ctx, e)
}

func TestCrashBetweenSendAndRecord(t *testing.T) {
	for _, checkable := range []bool{true, false} {
		t.Run(fmt.Sprintf("checkable=%v", checkable), func(t *testing.T) {
			start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // a Monday
			db := simBook(t, start)
			fn := &fakeNotifier{}
			var n nudge.Notifier = fn
			if checkable {
				n = checkingNotifier{fn}
			}
			cs := &crashingStore{DB: db}
			simNow = start.Add(30 * time.Minute)
			if _, err := newScheduler(t, cs, n).Tick(context.Background(), simNow); err == nil {
				t.Fatal("the simulated crash did not happen")
			}
			crashed := cs.crashed
			e, _, _ := db.LedgerGet(context.Background(), crashed)
			if e.State != domain.LedgerSending {
				t.Fatalf("ledger after crash = %+v", e)
			}
			// Restart: a new scheduler on the same store.
			run(t, newScheduler(t, db, n), start.Add(45*time.Minute), start.Add(3*time.Hour))
			if c := fn.keys(crashed)[crashed]; c != 1 {
				t.Errorf("%s delivered %d times", crashed, c)
			}
			e, _, _ = db.LedgerGet(context.Background(), crashed)
			if checkable && e.State != domain.LedgerSent || !checkable && e.State != domain.LedgerFailed {
				t.Errorf("ledger after restart = %+v", e)
			}
			// Everyone else still got theirs.
			if len(fn.keys("digest|")) != 4 {
				t.Errorf("digests = %v", fn.keys("digest|"))
			}
		})
	}
}

func TestFailureForOneRecipientDoesNotBlockOthers(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	db := simBook(t, start)
	n := &fakeNotifier{failFor: "bo@example.com"}
	s := newScheduler(t, db, n)
	run(t, s, start, start.Add(2*time.Hour))
	if got := n.keys("digest|"); len(got) != 3 {
		t.Errorf("digests = %v", got)
	}
	e, _, _ := db.LedgerGet(context.Background(), "digest|2026-11-23|bo@example.com")
	if e.State != domain.LedgerFailed || e.Attempts < 2 || e.Attempts > 4 || !strings.Contains(e.Error, "channel_not_found") {
		t.Errorf("failed entry = %+v (retried with backoff)", e)
	}
	// Once the recipient works again, the retry delivers it.
	n.failFor = ""
	run(t, s, start.Add(2*time.Hour), start.Add(4*time.Hour))
	if c := n.keys("digest|2026-11-23|bo@")["digest|2026-11-23|bo@example.com"]; c != 1 {
		t.Errorf("bo's digest delivered %d times", c)
	}
}

func TestAlertsAndSnooze(t *testing.T) {
	start := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	db := simBook(t, start)
	ctx := context.Background()
	db.Apply(ctx, []domain.Patch{{ID: "a00", Signals: []domain.Signal{{Date: domain.DateOf(start), Kind: domain.SignalCompetitor, Note: "Globex pitch"}}}})
	db.Apply(ctx, []domain.Patch{{ID: "a10", Signals: []domain.Signal{{Date: domain.DateOf(start), Kind: domain.SignalCompetitor, Note: "Initrode"}}}})
	db.SetSnooze(ctx, "bo@example.com", "a10", domain.DateOf(start).AddDays(7))
	n := &fakeNotifier{}
	run(t, newScheduler(t, db, n), start, start.Add(48*time.Hour))
	al := n.keys("alert|")
	if len(al) != 1 {
		t.Fatalf("alerts = %v", al)
	}
	for k, c := range al {
		if c != 1 || !strings.HasPrefix(k, "alert|a00|competitor|") {
			t.Errorf("%s × %d", k, c)
		}
	}
	// bo's digests leave out the snoozed account.
	for _, d := range n.sent {
		if d.to.Email == "bo@example.com" && strings.HasPrefix(d.key, "digest|") && strings.Contains(bot.RenderText(d.msg), "Account 1-0") {
			t.Error("snoozed account in bo's digest")
		}
	}
}

func TestPortfolioNudgesShowsSentAndFailed(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	db := simBook(t, start)
	n := &fakeNotifier{failFor: "bo@example.com"}
	s := newScheduler(t, db, n)
	run(t, s, start, start.Add(time.Hour))
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	e.Nudges = s
	at := start.Add(time.Hour)
	m := e.Handle(context.Background(), bot.Request{Text: "portfolio nudges", Now: at, User: bot.User{Email: "ana@example.com"}})
	text := bot.RenderText(m)
	if m.Error || !strings.Contains(text, "digest to ana@example.com") || !strings.Contains(text, "Daily digest") {
		t.Errorf("ana's view:\n%s", text)
	}
	m = e.Handle(context.Background(), bot.Request{Text: "portfolio nudges", Now: at, User: bot.User{Operator: true}}) // the console: admin
	text = bot.RenderText(m)
	st, ok := m.Data.(*bot.NudgeStatusResult)
	if !ok || st.Failed != 2 || len(st.Failures) != 2 || st.Failures[0].Recipient != "bo@example.com" || st.Sent != 6 || len(st.RecentSent) != 6 {
		t.Errorf("typed status = %+v", m.Data)
	}
	if !strings.Contains(text, "Failed") || !strings.Contains(text, "bo@example.com") || !strings.Contains(text, "channel_not_found") {
		t.Errorf("everyone's view:\n%s", text)
	}
}

func botUser(email string) bot.User { return bot.User{Email: email, Platform: "console"} }

// TestStopWhilePacedLeavesNothingSending: a stop during the send-rate wait
// leaves no entry marked "sending" (which a restart could only treat as
// interrupted mid-send), so the next run sends it normally.
func TestStopWhilePacedLeavesNothingSending(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	db := simBook(t, start)
	cfg := nudge.DefaultConfig()
	cfg.QuietFrom, cfg.QuietTo = "", ""
	cfg.PerSecond, cfg.Burst = 0.001, 1 // one send, then a long wait
	n := &fakeNotifier{}
	s, err := nudge.New(cfg, domain.DefaultConfig(), db, n, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	simNow = start.Add(30 * time.Minute)
	if _, err := s.Tick(ctx, simNow); err == nil {
		t.Fatal("the tick should have been stopped while waiting")
	}
	entries, err := db.LedgerSince(context.Background(), start)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.State == domain.LedgerSending {
			t.Errorf("%s left sending", e.Key)
		}
	}
	run(t, newScheduler(t, db, n), start.Add(45*time.Minute), start.Add(2*time.Hour))
	for k, c := range n.keys("digest|") {
		if c != 1 {
			t.Errorf("%s delivered %d times", k, c)
		}
	}
	if len(n.keys("digest|")) != 4 {
		t.Errorf("digests = %v", n.keys("digest|"))
	}
}

// flakyChecker cannot read the conversation for its first few checks (a
// Slack outage, a history call refused under load).
type flakyChecker struct {
	checkingNotifier
	fails *int
}

func (f flakyChecker) Delivered(ctx context.Context, to bot.Recipient, key string) (bool, error) {
	if *f.fails > 0 {
		*f.fails--
		return false, errors.New("conversations.history: internal_error")
	}
	return f.checkingNotifier.Delivered(ctx, to, key)
}

// A nudge interrupted between its POST and its record, whose delivery check
// fails for a while after the restart, is checked again and delivered once:
// a failed check once counted as "cannot be checked" and gave it up, lost.
func TestInterruptedNudgeSurvivesAFailingCheck(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC) // a Monday
	db := simBook(t, start)
	fn := &fakeNotifier{}
	fails := 2
	ns := nudge.Notifiers{flakyChecker{checkingNotifier{fn}, &fails}}
	cs := &crashingStore{DB: db}
	simNow = start.Add(30 * time.Minute)
	if _, err := newScheduler(t, cs, ns).Tick(context.Background(), simNow); err == nil {
		t.Fatal("the simulated crash did not happen")
	}
	crashed := cs.crashed
	run(t, newScheduler(t, db, ns), start.Add(45*time.Minute), start.Add(3*time.Hour))
	if c := fn.keys(crashed)[crashed]; c != 1 {
		t.Errorf("%s delivered %d times, want once", crashed, c)
	}
	if e, _, _ := db.LedgerGet(context.Background(), crashed); e.State != domain.LedgerSent {
		t.Errorf("ledger after restart = %+v, want sent", e)
	}
	if fails != 0 {
		t.Errorf("the check was not asked again (%d failures left)", fails)
	}
}

// The weekly review's "what changed" compares the scores recorded on both
// days (the evaluator records each account's snapshot of the day with
// every evaluation), as its top 5 comes from the stored ranks: a review
// that recomputed today's scores could contradict the cards next to it,
// and recomputing both days for every account made Monday's reviews a
// double whole-book evaluation. Unrecorded days are still recomputed.
func TestWeeklyReviewComparesRecordedScores(t *testing.T) {
	start := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC) // a Monday
	db := simBook(t, start)
	ctx := context.Background()
	today, last := domain.DateOf(start), domain.DateOf(start).AddDays(-7)
	snap := func(id string, d domain.Date, tier int) domain.Scored {
		a, err := db.Account(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ev := domain.Evaluate(a, d, domain.DefaultConfig())
		s := ev.Snapshot()
		if tier > 0 {
			s.Tier = tier
		}
		return domain.Scored{ID: id, Snapshot: s}
	}
	// a00 is tier 1 by its ARR: recorded as tier 2 today (the evaluator's
	// record wins); a01 has a recorded last week as tier 2 and no record
	// today (recomputed: tier 1); a02 has neither (no change).
	if err := db.PutScores(ctx, []domain.Scored{snap("a00", last, 0), snap("a00", today, 2), snap("a01", last, 2)}); err != nil {
		t.Fatal(err)
	}
	n := &fakeNotifier{}
	run(t, newScheduler(t, db, n), start, start.Add(24*time.Hour))
	var got *nudge.WeeklyData
	for _, d := range n.sent {
		if d.key == "weekly|2026-11-23|ana@example.com" {
			w := d.msg.Data.(nudge.WeeklyData)
			got = &w
		}
	}
	if got == nil {
		t.Fatalf("no weekly review for ana: %v", n.keys(""))
	}
	changed := map[string]string{}
	for _, c := range got.Changes {
		for _, ch := range c.Changes {
			changed[c.ID] += ch.Text + ";"
		}
	}
	if !strings.Contains(changed["a00"], "Tier 1 → Tier 2") || !strings.Contains(changed["a01"], "Tier 2 → Tier 1") || changed["a02"] != "" || len(changed) != 2 {
		t.Errorf("changes = %q", changed)
	}
}
