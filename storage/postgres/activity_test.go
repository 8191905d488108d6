package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/postgres"
	"github.com/accountbot/accountbot/storage/postgres/pgtest"
)

// activityState is what an activity-only write can change of an account,
// one line, for comparison across backends.
func activityState(t *testing.T, s store, id string) string {
	t.Helper()
	a, err := s.Account(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	hist, err := s.FieldHistory(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s stamp=%s/%s name=%s usage=%v signals=%v history=%d",
		id, a.DataChangedAt.Format(time.RFC3339), a.DataSource, a.Name, a.Usage, a.Signals, len(hist))
}

// Usage and signals alone (the ingest API's patches) take a path of
// their own on PostgreSQL that does not read the records: it must give
// Badger's answers, refuse a missing account with nothing stored, and
// leave the record but for its data stamp as it was.
func TestApplyActivityOnly(t *testing.T) {
	ctx := context.Background()
	later := now.Add(90 * time.Minute)
	var answers []string
	onBothBackends(t, func(t *testing.T, s store) {
		var got []string
		say := func(format string, args ...any) { got = append(got, fmt.Sprintf(format, args...)) }
		seed := []domain.Patch{
			{At: now, Source: "crm", ID: "acme", Core: acct("acme", "Acme Corp", "ana@example.com"),
				Usage: []domain.Snapshot{{Date: day, ActiveUsers: 1, Usage: 10}}},
			{At: now, Source: "crm", ID: "bolt", Core: acct("bolt", "Bolt Inc", "bo@example.com")},
		}
		if _, err := s.Apply(ctx, seed); err != nil {
			t.Fatal(err)
		}
		// A missing account anywhere in the batch: ENOTFOUND, nothing stored.
		_, err := s.Apply(ctx, []domain.Patch{
			{At: later, Source: "api", ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 9, Usage: 99}}},
			{At: later, Source: "api", ID: "ghost", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 1}}},
		})
		if domain.ErrorCode(err) != domain.ENOTFOUND || !strings.Contains(err.Error(), `"ghost"`) {
			t.Fatalf("activity for a missing account: %v, want %s naming ghost", err, domain.ENOTFOUND)
		}
		say("after refusal: %s", activityState(t, s, "acme"))
		// Two patches of one account and date (the last wins), an
		// unchanged snapshot, a new day and a signal given twice.
		sig := domain.Signal{Date: day, Kind: domain.SignalChampionLeft, Note: "Ana left"}
		batch := []domain.Patch{
			{At: later, Source: "api", ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 1, Usage: 10}}},
			{At: later, Source: "api", ID: "bolt", Usage: []domain.Snapshot{{Date: day.AddDays(-1), ActiveUsers: 3, Usage: 30}}, Signals: []domain.Signal{sig}},
			{At: later, Source: "api", ID: "bolt", Usage: []domain.Snapshot{{Date: day.AddDays(-1), ActiveUsers: 4, Usage: 40}}, Signals: []domain.Signal{sig}},
			{At: later, Source: "api", ID: "acme", Usage: []domain.Snapshot{{Date: day.AddDays(-2), ActiveUsers: 2, Usage: 20}}},
		}
		st, err := s.Apply(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		say("first: %+v", st)
		say("%s", activityState(t, s, "acme"))
		say("%s", activityState(t, s, "bolt"))
		// The same again changes nothing, not even the stamp.
		for i := range batch {
			batch[i].At, batch[i].Source = later.Add(time.Hour), "again"
		}
		if st, err = s.Apply(ctx, batch); err != nil {
			t.Fatal(err)
		}
		say("again: %+v", st)
		say("%s", activityState(t, s, "acme"))
		say("%s", activityState(t, s, "bolt"))
		// A later change restamps.
		if _, err := s.Apply(ctx, []domain.Patch{{At: later.Add(2 * time.Hour), ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 5, Usage: 50}}}}); err != nil {
			t.Fatal(err)
		}
		say("%s", activityState(t, s, "acme"))
		answers = append(answers, strings.Join(got, "\n"))
	})
	if len(answers) == 2 && answers[0] != answers[1] {
		t.Errorf("PostgreSQL answers differ from Badger's:\nbadger:\n%s\npostgres:\n%s", answers[0], answers[1])
	}
	if len(answers) > 0 {
		t.Logf("answers:\n%s", answers[0])
	}
}

// Concurrent activity batches over overlapping accounts, in random
// orders (the ingest API's load): none deadlocks or fails, and every
// snapshot is stored.
func TestApplyActivityConcurrentOverlapping(t *testing.T) {
	ctx := context.Background()
	s := openPG(t)
	const accounts, writers, rounds = 40, 4, 8
	var seed []domain.Patch
	for i := range accounts {
		id := fmt.Sprintf("a%02d", i)
		seed = append(seed, domain.Patch{At: now, ID: id, Core: acct(id, "Account "+id, "ana@example.com")})
	}
	if _, err := s.Apply(ctx, seed); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 19))
			for r := range rounds {
				var batch []domain.Patch
				for _, i := range rng.Perm(accounts) {
					id := fmt.Sprintf("a%02d", i)
					d := day.AddDays(-(w*rounds + r)) // a day of its own per writer and round
					batch = append(batch, domain.Patch{At: now, Source: "api", ID: id,
						Usage: []domain.Snapshot{{Date: d, ActiveUsers: w + 1, Usage: int64(r)}}})
				}
				if _, err := s.Apply(ctx, batch); err != nil {
					errs[w] = fmt.Errorf("round %d: %w", r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Fatalf("writer %d: %v", w, err)
		}
	}
	for i := range accounts {
		a, err := s.Account(ctx, fmt.Sprintf("a%02d", i))
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Usage) != writers*rounds {
			t.Errorf("%s: %d snapshots, want %d", a.ID, len(a.Usage), writers*rounds)
		}
	}
}

// An activity-only change is reported to the evaluator's watchers like
// any other; an unchanged one is not.
func TestWatchActivity(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := pgtest.Schema(t)
	watcher, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	w2, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	seed := []domain.Patch{{At: now, ID: "acme", Core: acct("acme", "Acme", "ana@example.com")}, {At: now, ID: "globex", Core: acct("globex", "Globex", "bo@example.com")}}
	if _, err := w2.Apply(ctx, seed); err != nil {
		t.Fatal(err)
	}
	got := make(chan []string, 10)
	go watcher.WatchAccounts(ctx, func(ids []string) { got <- ids }, nil)
	time.Sleep(300 * time.Millisecond) // LISTEN is in place
	p := []domain.Patch{{At: now, ID: "globex", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 2}}}, {At: now, ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 1}}}}
	expectReportedOnce(ctx, t, w2, got, p, "[globex acme]")
}
