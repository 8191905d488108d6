package nudge_test

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/evaluator"
	"github.com/accountbot/accountbot/storage/badger"
)

// countingStore counts the full account reads the scheduler makes.
type countingStore struct {
	*badger.DB
	mu    sync.Mutex
	reads map[string]int
}

func (c *countingStore) Account(ctx context.Context, id string) (*domain.Account, error) {
	c.mu.Lock()
	c.reads[id]++
	c.mu.Unlock()
	return c.DB.Account(ctx, id)
}

func (c *countingStore) read() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.reads
	c.reads = map[string]int{}
	return out
}

func checkedEvaluator(t *testing.T, db *badger.DB, now time.Time) *evaluator.Evaluator {
	t.Helper()
	ev := evaluator.New(db, evaluator.Options{Rules: domain.DefaultConfig(), Now: func() time.Time { return now }})
	if _, err := ev.Check(context.Background(), now); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestDigestsWaitForStoredRanks: at a start, while the evaluator builds
// the ranks, digests and reviews are left for a later tick instead of
// being computed from every owner's accounts (which doubled the build's
// work on a big book); once the ranks are ready they go out, and a build
// that never finishes does not hold them past waitForRanks.
func TestDigestsWaitForStoredRanks(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // a Monday: digests and reviews due
	tick := func(s *nudge.Scheduler, at time.Time) nudge.Report {
		t.Helper()
		simNow = at
		rep, err := s.Tick(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	db := simBook(t, start)
	n := &fakeNotifier{}
	s := newScheduler(t, db, n)
	ev := evaluator.New(db, evaluator.Options{Rules: domain.DefaultConfig(), Now: func() time.Time { return start }})
	s.Ranks = ev // not ready: its first check has not run
	if rep := tick(s, start); rep.Deferred != 8 || len(n.keys("digest|"))+len(n.keys("weekly|")) != 0 {
		t.Fatalf("before the ranks: deferred %d, sent %v", rep.Deferred, n.keys(""))
	}
	if _, err := ev.Check(ctx, start); err != nil {
		t.Fatal(err)
	}
	if rep := tick(s, start.Add(time.Second)); rep.Deferred != 0 || len(n.keys("digest|")) != 4 || len(n.keys("weekly|")) != 4 {
		t.Fatalf("with the ranks: deferred %d, sent %v", rep.Deferred, n.keys(""))
	}

	// Ranks that never become ready: computed from the accounts after the wait.
	db2 := simBook(t, start)
	n2 := &fakeNotifier{}
	s2 := newScheduler(t, db2, n2)
	s2.Ranks = evaluator.New(db2, evaluator.Options{Rules: domain.DefaultConfig(), Now: func() time.Time { return start }})
	tick(s2, start)
	tick(s2, start.Add(14*time.Minute))
	if got := n2.keys("digest|"); len(got) != 0 {
		t.Fatalf("digests before the wait ended: %v", got)
	}
	if rep := tick(s2, start.Add(15*time.Minute)); rep.Deferred != 0 || len(n2.keys("digest|")) != 4 || len(n2.keys("weekly|")) != 4 {
		t.Fatalf("after the wait: deferred %d, sent %v", rep.Deferred, n2.keys(""))
	}
}

// TestTickReadsOnlyWhatItSends: with the ranks ready and every account's
// scores recorded on both days, a Monday tick reads in full only the
// accounts it writes about (a renewal reminder, a review's change): the
// renewal plan takes tiers from the stored evaluations and the review's
// "what changed" compares recorded scores. Reading every candidate and
// every owner's whole book made each tick a large read on a 100K book.
// The renewals planned are those computed from the accounts.
func TestTickReadsOnlyWhatItSends(t *testing.T) {
	ctx := context.Background()
	monday := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	db := simBook(t, monday.Add(-3*24*time.Hour)) // tier-1 renewals 180 days after today
	store := &countingStore{DB: db, reads: map[string]int{}}
	last := domain.DateOf(monday).AddDays(-7)
	var scores []domain.Scored
	for _, id := range []string{"a00", "a01", "a02", "a10", "a11", "a12", "a20", "a21", "a22", "a30", "a31", "a32"} {
		a, err := db.Account(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		ev := domain.Evaluate(a, last, domain.DefaultConfig())
		snap := ev.Snapshot()
		if id == "a00" {
			snap.Tier = 2 // a change to report: Tier 2 → Tier 1
		}
		scores = append(scores, domain.Scored{ID: id, Snapshot: snap})
	}
	if err := db.PutScores(ctx, scores); err != nil {
		t.Fatal(err)
	}

	computed := newScheduler(t, store, &fakeNotifier{})
	want := plannedKeys(t, computed, monday, "renewal|")
	if len(want) == 0 {
		t.Fatal("no renewal reminder due: the test proves nothing")
	}
	if len(store.read()) == 0 {
		t.Fatal("the plan without ranks read no account")
	}

	n := &fakeNotifier{}
	s := newScheduler(t, store, n)
	s.Ranks = checkedEvaluator(t, db, monday)
	if got := plannedKeys(t, s, monday, "renewal|"); !slices.Equal(got, want) {
		t.Errorf("renewals from stored tiers = %v, want %v", got, want)
	}
	if r := store.read(); len(r) != 0 {
		t.Errorf("planning with stored tiers read accounts %v", r)
	}
	simNow = monday
	if _, err := s.Tick(ctx, monday); err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{"a00": true}
	for k := range n.keys("renewal|") {
		allowed[strings.Split(k, "|")[1]] = true
	}
	for id := range store.read() {
		if !allowed[id] {
			t.Errorf("the tick read account %s, which it sends nothing about", id)
		}
	}
	var review *nudge.WeeklyData
	for _, d := range n.sent {
		if d.key == "weekly|2026-11-23|ana@example.com" {
			w := d.msg.Data.(nudge.WeeklyData)
			review = &w
		}
	}
	if review == nil || len(review.Changes) != 1 || review.Changes[0].ID != "a00" || !strings.Contains(review.Changes[0].Changes[0].Text, "Tier 2 → Tier 1") {
		t.Errorf("ana's review changes = %+v", review)
	}
}

func plannedKeys(t *testing.T, s *nudge.Scheduler, now time.Time, prefix string) []string {
	t.Helper()
	plan, err := s.Plan(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, p := range plan {
		if strings.HasPrefix(p.Key, prefix) {
			keys = append(keys, p.Key)
		}
	}
	sort.Strings(keys)
	return keys
}
