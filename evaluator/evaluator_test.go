package evaluator_test

import (
	"context"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/evaluator"
)

// now is every test's clock: Monday 23 Nov 2026, 10:00 UTC.
var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

var today = domain.DateOf(now)

type alerts struct {
	mu    sync.Mutex
	calls [][]string
}

func (a *alerts) AlertAccounts(_ context.Context, ids []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.calls = append(a.calls, slices.Clone(ids))
}

func (a *alerts) SweepAlerts(context.Context, []string) {}

func (a *alerts) all() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, c := range a.calls {
		out = append(out, c...)
	}
	return out
}

func openDB(t *testing.T) *badger.DB {
	t.Helper()
	db, err := badger.Open(context.Background(), "", badger.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newEvaluator(db *badger.DB, al *alerts) *evaluator.Evaluator {
	return evaluator.New(db, evaluator.Options{Rules: domain.DefaultConfig(), RulesVersion: 1, Alerter: al,
		Now: func() time.Time { return now }})
}

// weekly is n weekly usage snapshots of a steady usage ending a week ago.
func weekly(n int, usage int64) []domain.Snapshot {
	var out []domain.Snapshot
	for i := n; i >= 1; i-- {
		out = append(out, domain.Snapshot{Date: today.AddDays(-7 * i), ActiveUsers: 40, Usage: usage})
	}
	return out
}

func account(id, owner string, arr int64, renewIn int) domain.Patch {
	return domain.Patch{ID: id, Core: &domain.Account{ID: id, Name: "Account " + id, Owner: owner, ARR: arr * 100, Currency: "USD",
		FeaturesAvailable: 10, FeaturesAdopted: 5, RenewalDate: today.AddDays(renewIn)}, Usage: weekly(20, 1000)}
}

// randomOwners own the random books' accounts in turn ("": unowned).
var randomOwners = []string{"ana@example.com", "bo@example.com", "", "cy@example.com"}

// evaluatedRandomBook stores n accounts a00… with random ARR and seats
// (from rng) and evaluates them with a fresh evaluator, which has first
// checked the empty book (ready, no owners); it returns that evaluator.
func evaluatedRandomBook(t *testing.T, db *badger.DB, rng *rand.Rand, n int) *evaluator.Evaluator {
	t.Helper()
	ctx := context.Background()
	var ps []domain.Patch
	for i := range n {
		o := randomOwners[i%len(randomOwners)]
		ps = append(ps, account(fmt.Sprintf("a%02d", i), o, int64(20_000+rng.IntN(300_000)), 10+rng.IntN(400)))
	}
	ev := newEvaluator(db, &alerts{})
	if _, err := ev.Check(ctx, now); err != nil {
		t.Fatal(err)
	}
	if _, err := ev.Process(ctx, now, apply(t, db, ps...)); err != nil {
		t.Fatal(err)
	}
	return ev
}

func apply(t *testing.T, db *badger.DB, ps ...domain.Patch) []string {
	t.Helper()
	if _, err := db.Apply(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

func ranked(t *testing.T, db *badger.DB, owner string, book bool) []string {
	t.Helper()
	var ids []string
	if err := db.Ranked(context.Background(), owner, book, func(id string) bool { ids = append(ids, id); return true }); err != nil {
		t.Fatal(err)
	}
	return ids
}

// ranksAsFromScratch checks that each owner's stored ranks, and the
// book's, are what evaluating every account gives.
func ranksAsFromScratch(t *testing.T, db *badger.DB, owners []string) {
	t.Helper()
	for _, o := range owners {
		if got, want := ranked(t, db, o, false), fromScratch(t, db, o, false); !slices.Equal(got, want) {
			t.Errorf("owner %q: stored ranks %v, from scratch %v", o, got, want)
		}
	}
	if got, want := ranked(t, db, "", true), fromScratch(t, db, "", true); !slices.Equal(got, want) {
		t.Errorf("book: stored ranks %v, from scratch %v", got, want)
	}
}

// fromScratch ranks the book (or one owner's accounts) by evaluating every account.
func fromScratch(t *testing.T, db *badger.DB, owner string, book bool) []string {
	t.Helper()
	var evs []domain.Evaluation
	err := db.ForEach(context.Background(), func(a *domain.Account) error {
		if book || a.Owner == owner {
			evs = append(evs, domain.Evaluate(a, today, domain.DefaultConfig()))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	domain.Rank(evs)
	ids := []string{}
	for _, e := range evs {
		ids = append(ids, e.AccountID)
	}
	return ids
}

func TestStoredRanksEqualRankingFromScratchAfterRandomChanges(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	rng := rand.New(rand.NewPCG(16, 5))
	ev := evaluatedRandomBook(t, db, rng, 60)
	owners := randomOwners
	for round := range 200 {
		id := fmt.Sprintf("a%02d", rng.IntN(70)) // some ids are new accounts
		var p domain.Patch
		switch rng.IntN(5) {
		case 0: // usage moves
			p = domain.Patch{ID: id, Usage: []domain.Snapshot{{Date: today, ActiveUsers: rng.IntN(60), Usage: int64(rng.IntN(2000))}}}
		case 1: // a competitor or a departed champion
			kind := []domain.SignalKind{domain.SignalCompetitor, domain.SignalChampionLeft}[rng.IntN(2)]
			p = domain.Patch{ID: id, Signals: []domain.Signal{{Date: today.AddDays(-rng.IntN(10)), Kind: kind, Note: fmt.Sprint("r", round)}}}
		default: // the core record: ARR, renewal, owner
			p = account(id, owners[rng.IntN(len(owners))], int64(10_000+rng.IntN(500_000)), rng.IntN(500)-30)
		}
		if _, err := db.Apply(ctx, []domain.Patch{p}); err != nil {
			continue // a usage or signal patch for an account not created yet
		}
		if _, err := ev.Process(ctx, now, []string{id}); err != nil {
			t.Fatal(err)
		}
	}
	ranksAsFromScratch(t, db, owners)
	counted, _, _ := ev.Owners(ctx) // kept as records were written
	rep, err := ev.Check(ctx, now)
	if err != nil || rep.Repaired != 0 || rep.Missing != 0 {
		t.Errorf("check after changes processed = %+v, %v; want no drift", rep, err)
	}
	want, _ := db.Owners(ctx)
	unowned := len(fromScratch(t, db, "", false))
	want = append([]domain.OwnerCount{{Owner: "", Accounts: unowned}}, want...)
	if !slices.Equal(counted, want) {
		t.Errorf("owners counted = %v, want %v", counted, want)
	}
}

func TestUsageDropAlertsOnceAndRestartDoesNotAlertAgain(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	al := &alerts{}
	ev := newEvaluator(db, al)
	if _, err := ev.Check(ctx, now); err != nil { // an empty book
		t.Fatal(err)
	}
	ids := apply(t, db, account("acme", "ana@example.com", 120_000, 200), account("globex", "ana@example.com", 80_000, 200))
	if _, err := ev.Process(ctx, now, ids); err != nil {
		t.Fatal(err)
	}
	if got := al.all(); len(got) != 0 {
		t.Fatalf("steady accounts alerted: %v", got)
	}
	// Usage today 25% below 90 days ago, and steady a week ago: a new decline.
	drop := domain.Patch{ID: "acme", Usage: []domain.Snapshot{{Date: today, ActiveUsers: 40, Usage: 750}}}
	got, err := ev.Process(ctx, now, apply(t, db, drop))
	if err != nil || !slices.Equal(got, []string{"acme"}) {
		t.Fatalf("after the drop alerted %v, %v; want [acme]", got, err)
	}
	rec, _, _ := db.Evaluation(ctx, "acme")
	if len(rec.Alerts) != 1 || rec.Alerts[0] != "usage_decline|2026-11" || rec.RulesVersion != "v1" {
		t.Errorf("stored record = %+v", rec)
	}
	// The same change again, and another change to the account: no new alert.
	for _, p := range []domain.Patch{drop, {ID: "acme", Usage: []domain.Snapshot{{Date: today, ActiveUsers: 41, Usage: 740}}}} {
		if got, _ := ev.Process(ctx, now, apply(t, db, p)); len(got) != 0 {
			t.Errorf("%+v alerted again: %v", p.Usage, got)
		}
	}
	// A restart: a new evaluator over the same store re-evaluates nothing
	// into a new alert; its check hands the still-active alert to the
	// scheduler, whose ledger knows it was sent (tested in cmd/accountbot).
	al2 := &alerts{}
	ev2 := newEvaluator(db, al2)
	rep, err := ev2.Check(ctx, now)
	if err != nil || rep.Repaired != 0 || rep.Missing != 0 {
		t.Errorf("check after restart = %+v, %v", rep, err)
	}
	if got, _ := ev2.Process(ctx, now, []string{"acme", "globex"}); len(got) != 0 {
		t.Errorf("restart alerted %v", got)
	}
}

func TestCheckRepairsPlantedDrift(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	ev := newEvaluator(db, &alerts{})
	apply(t, db, account("a1", "ana@example.com", 100_000, 60), account("a2", "ana@example.com", 300_000, 300),
		account("a3", "bo@example.com", 50_000, 100))
	if rep, err := ev.Check(ctx, now); err != nil || rep.Missing != 3 || rep.Repaired != 0 {
		t.Fatalf("first check = %+v, %v; want 3 missing records built", rep, err)
	}
	want := ranked(t, db, "ana@example.com", false)
	// Drift: a record claiming a huge impact (the index follows it), a
	// record of an account that does not exist, and a change the evaluator
	// never heard of.
	a2, _, _ := db.Evaluation(ctx, "a2")
	bad := a2
	bad.ID, bad.Impact, bad.Override = "a1", 1<<40, true
	ghost := a2
	ghost.ID = "ghost"
	if err := db.PutEvaluations(ctx, []domain.EvalRecord{bad, ghost}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "a3", Signals: []domain.Signal{{Date: today, Kind: domain.SignalCompetitor, Note: "Initech"}}}}); err != nil {
		t.Fatal(err)
	}
	rep, err := ev.Check(ctx, now)
	if err != nil || rep.Repaired != 3 || rep.Orphans != 1 || rep.Accounts != 3 {
		t.Fatalf("check = %+v, %v; want 3 repaired (1 orphan)", rep, err)
	}
	if got := ranked(t, db, "ana@example.com", false); !slices.Equal(got, want) {
		t.Errorf("ana's ranks after repair = %v, want %v", got, want)
	}
	if got, want := ranked(t, db, "", true), fromScratch(t, db, "", true); !slices.Equal(got, want) {
		t.Errorf("book ranks after repair = %v, want %v", got, want)
	}
	if st := ev.Stats(); st.Repaired != 3 {
		t.Errorf("stats = %+v, want 3 repaired", st)
	}
	if rep, _ := ev.Check(ctx, now); rep.Repaired != 0 {
		t.Errorf("second check repaired %d", rep.Repaired)
	}
}

func TestRefreshOncePerDayInTheOwnersTimeZone(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	zones := map[string]string{"ana@example.com": "Pacific/Auckland", "bo@example.com": "America/Los_Angeles"}
	ev := evaluator.New(db, evaluator.Options{Rules: domain.DefaultConfig(), Zone: func(_ context.Context, owner string) *time.Location {
		loc, err := time.LoadLocation(zones[owner])
		if err != nil || zones[owner] == "" {
			return time.UTC
		}
		return loc
	}})
	apply(t, db, account("nz", "ana@example.com", 100_000, 30), account("us", "bo@example.com", 100_000, 30), account("none", "", 100_000, 30))
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // Auckland: 22:00 on the 23rd; LA: 01:00 on the 23rd
	if _, err := ev.Check(ctx, at); err != nil {
		t.Fatal(err)
	}
	date := func(id string) domain.Date { r, _, _ := db.Evaluation(ctx, id); return r.Date }
	if date("nz") != today || date("us") != today || date("none") != today {
		t.Fatalf("dates after check: %s %s %s", date("nz"), date("us"), date("none"))
	}
	tests := []struct {
		at         time.Time
		n          int
		nz, us, no domain.Date
	}{
		{at.Add(30 * time.Minute), 0, today, today, today},           // nobody's day rolled over
		{at.Add(2 * time.Hour), 1, today + 1, today, today},          // 11:00 UTC: the 24th in Auckland
		{at.Add(3 * time.Hour), 0, today + 1, today, today},          // once a day
		{at.Add(15 * time.Hour), 1, today + 1, today, today + 1},     // 00:00 UTC on the 24th: unowned (UTC)
		{at.Add(24 * time.Hour), 1, today + 1, today + 1, today + 1}, // 09:00 UTC on the 24th: LA's 24th
		{at.Add(26 * time.Hour), 1, today + 2, today + 1, today + 1}, // Auckland's 25th
		{at.Add(26*time.Hour + time.Minute), 0, today + 2, today + 1, today + 1},
	}
	for _, tc := range tests {
		n, err := ev.Refresh(ctx, tc.at)
		if err != nil || n != tc.n {
			t.Errorf("refresh at %s = %d, %v; want %d", tc.at, n, err, tc.n)
		}
		if date("nz") != tc.nz || date("us") != tc.us || date("none") != tc.no {
			t.Errorf("at %s dates = %s %s %s, want %s %s %s", tc.at, date("nz"), date("us"), date("none"), tc.nz, tc.us, tc.no)
		}
	}
}

func TestRunFollowsWritesToTheStore(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db := openDB(t)
	al := &alerts{}
	ev := newEvaluator(db, al)
	done := make(chan struct{})
	go func() { ev.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	apply(t, db, account("acme", "ana@example.com", 120_000, 200))
	waitFor(t, func() bool { _, found, _ := db.Evaluation(ctx, "acme"); return found && ev.Ready() })
	// A write by anyone (here straight to the store) is seen without being told.
	apply(t, db, domain.Patch{ID: "acme", Signals: []domain.Signal{{Date: today, Kind: domain.SignalCompetitor, Note: "Globex"}}})
	waitFor(t, func() bool { return slices.Contains(al.all(), "acme") })
	ok, err := ev.Ranked(ctx, "ana@example.com", false, func(string) bool { return true })
	if !ok || err != nil {
		t.Errorf("Ranked once ready = %v, %v", ok, err)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("not within a second")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCheckProcessesChangesAsItGoes: a change queued while the check runs
// is processed within it (not after the whole book), and the check does
// not judge that account from its older snapshot.
func TestCheckProcessesChangesAsItGoes(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	al := &alerts{}
	ev := newEvaluator(db, al)
	var ps []domain.Patch
	for i := range 200 {
		ps = append(ps, account(fmt.Sprintf("a%03d", i), "ana@example.com", 100_000, 100))
	}
	apply(t, db, ps...)
	if _, err := ev.Check(ctx, now); err != nil {
		t.Fatal(err)
	}
	// A change the evaluator is told about, not yet processed when the check starts.
	apply(t, db, domain.Patch{ID: "a150", Signals: []domain.Signal{{Date: today, Kind: domain.SignalCompetitor, Note: "Globex"}}})
	ev.Changed(ctx, []string{"a150"})
	rep, err := ev.Check(ctx, now)
	if err != nil || rep.Repaired != 0 {
		t.Errorf("check = %+v, %v; want the queued change processed, not repaired", rep, err)
	}
	if got := al.all(); !slices.Equal(got, []string{"a150"}) { // by the change, within the check
		t.Errorf("alerted %v", got)
	}
}

// A new rules version put in force while running (`rules apply` on a
// running serve) re-evaluates the stored book with it: every record then
// names the new version and holds what the new rules score.
func TestSetRulesReevaluatesTheBook(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db := openDB(t)
	ev := newEvaluator(db, &alerts{})
	done := make(chan struct{})
	go func() { ev.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	apply(t, db, account("acme", "ana@example.com", 120_000, 200), account("globex", "bo@example.com", 80_000, 200))
	waitFor(t, func() bool {
		r, found, _ := db.Evaluation(ctx, "globex")
		return found && ev.Ready() && r.RulesVersion == "v1"
	})
	before, _, _ := db.Evaluation(ctx, "acme")
	rules := domain.DefaultConfig()
	rules.Tiers.Tier1MinARR = 100 // every paying account is tier 1 now
	ev.SetRules(rules, 2)
	for _, id := range []string{"acme", "globex"} {
		waitFor(t, func() bool { r, _, _ := db.Evaluation(ctx, id); return r.RulesVersion == "v2" })
		if r, _, _ := db.Evaluation(ctx, id); r.Tier != 1 {
			t.Errorf("%s under v2: tier %d, want 1", id, r.Tier)
		}
	}
	if before.RulesVersion != "v1" {
		t.Errorf("before: %+v", before)
	}
}

// A burst of changes to one account within the coalescing window is one
// evaluation, not one per event.
func TestRunCoalescesABurstOfChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	db := openDB(t)
	apply(t, db, account("acme", "ana@example.com", 120_000, 200), account("globex", "bo@example.com", 90_000, 100))
	ev := evaluator.New(db, evaluator.Options{Rules: domain.DefaultConfig(), RulesVersion: 1, Alerter: &alerts{},
		Now: func() time.Time { return now }, Coalesce: 200 * time.Millisecond})
	done := make(chan struct{})
	go func() { ev.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor(t, ev.Ready)
	base := ev.Stats().Evaluated
	for i := range 20 {
		apply(t, db, domain.Patch{ID: "acme", Usage: []domain.Snapshot{{Date: today, ActiveUsers: 30 + i, Usage: int64(900 + i)}}})
	}
	waitFor(t, func() bool { return ev.Stats().Evaluated > base })
	time.Sleep(300 * time.Millisecond) // a second evaluation, had there been one, would be done
	if got := ev.Stats().Evaluated - base; got != 1 {
		t.Errorf("20 changes to one account in the window were evaluated %d times, want 1", got)
	}
	// The one evaluation saw the last change: a fresh check finds no drift.
	rep, err := newEvaluator(db, &alerts{}).Check(ctx, now)
	if err != nil || rep.Repaired != 0 || rep.Missing != 0 {
		t.Errorf("check after the burst = %+v, %v; want nothing to repair", rep, err)
	}
}

// Changes processed many at a time (the batch path: one snapshot, shared
// write transactions, index entries replaced from the records read) leave
// the same ranks as evaluating the book from scratch, with no index entry
// left behind, even when a batch names an account twice or one that does
// not exist.
func TestBatchesOfChangesKeepRanksAndIndexes(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	rng := rand.New(rand.NewPCG(7, 19))
	ev := evaluatedRandomBook(t, db, rng, 40)
	owners := randomOwners
	for round := range 30 {
		var ids []string
		for range 12 {
			id := fmt.Sprintf("a%02d", rng.IntN(40))
			var p domain.Patch
			switch rng.IntN(3) {
			case 0:
				p = domain.Patch{ID: id, Usage: []domain.Snapshot{{Date: today.AddDays(-rng.IntN(7)), ActiveUsers: rng.IntN(60), Usage: int64(rng.IntN(2000))}}}
			case 1:
				p = domain.Patch{ID: id, Signals: []domain.Signal{{Date: today.AddDays(-rng.IntN(10)), Kind: domain.SignalCompetitor, Note: fmt.Sprint("r", round)}}}
			default:
				p = account(id, owners[rng.IntN(len(owners))], int64(10_000+rng.IntN(500_000)), rng.IntN(500)-30)
			}
			if _, err := db.Apply(ctx, []domain.Patch{p}); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id, id) // named twice
		}
		ids = append(ids, "no-such-account")
		if _, err := ev.Process(ctx, now, ids); err != nil {
			t.Fatal(err)
		}
	}
	ranksAsFromScratch(t, db, owners)
	if rep, err := ev.Check(ctx, now); err != nil || rep.Repaired != 0 || rep.Missing != 0 || rep.Orphans != 0 {
		t.Errorf("check after batches = %+v, %v; want no drift", rep, err)
	}
}

// A bulk load is evaluated at BulkShare of a core; single events, and the
// catch-up once the load ends, are never held back.
func TestBulkWait(t *testing.T) {
	opt := evaluator.Options{BulkShare: 0.5, BulkBatch: 256}
	third := evaluator.Options{BulkShare: 0.25, BulkBatch: 256}
	tests := []struct {
		name      string
		opt       evaluator.Options
		n, queued int
		took      time.Duration
		want      time.Duration
	}{
		{"one event", opt, 1, 0, time.Millisecond, 0},
		{"a small burst while a load arrives", opt, 200, 5000, 40 * time.Millisecond, 0},
		{"the load's last batch: nothing queued behind it", opt, 5000, 10, time.Second, 0},
		{"a bulk load at half a core", opt, 5000, 4000, time.Second, time.Second},
		{"a bulk load at a quarter of a core", third, 5000, 4000, time.Second, 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := evaluator.BulkWait(tt.opt, tt.n, tt.queued, tt.took); got != tt.want {
				t.Errorf("BulkWait(%d, %d, %s) = %s, want %s", tt.n, tt.queued, tt.took, got, tt.want)
			}
		})
	}
}
