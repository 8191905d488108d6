package storagetest

import (
	"context"
	"sync"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// A signed Slack request replayed within the 5-minute window used to log
// a second outcome; with its trigger id recorded it changes nothing.
func testAddOutcomeOnceReplay(t *testing.T, s Store) {
	ctx := context.Background()
	withAccount(t, s, "acme", "ana@example.com")
	lost := domain.Outcome{AccountID: "acme", Date: day, Result: domain.Lost, By: "ana@example.com"}

	id := "slack|trigger|398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	seen, err := s.AddOutcomeOnce(ctx, id, lost)
	if err != nil || seen {
		t.Fatalf("first write: seen %v, err %v", seen, err)
	}
	seen, err = s.AddOutcomeOnce(ctx, id, lost)
	if err != nil || !seen {
		t.Fatalf("replay: seen %v, err %v; want seen", seen, err)
	}
	if n := countOutcomes(t, s); n != 1 {
		t.Fatalf("%d outcomes after a replay; want 1", n)
	}
	// Another id is another write.
	if seen, err := s.AddOutcomeOnce(ctx, "slack|trigger|other", lost); err != nil || seen {
		t.Fatalf("second click on another form: seen %v, err %v", seen, err)
	}
	if n := countOutcomes(t, s); n != 2 {
		t.Fatalf("%d outcomes; want 2", n)
	}
}

// A double click sends the same id twice at once: one wins.
func testAddOutcomeOnceConcurrent(t *testing.T, s Store) {
	ctx := context.Background()
	withAccount(t, s, "acme", "ana@example.com")
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen, err := s.AddOutcomeOnce(ctx, "teams|act|1234", domain.Outcome{AccountID: "acme", Date: day, Result: domain.Won})
			if err != nil {
				t.Error(err)
				return
			}
			if !seen {
				mu.Lock()
				firsts++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if firsts != 1 || countOutcomes(t, s) != 1 {
		t.Fatalf("%d first writes, %d outcomes; want 1 and 1", firsts, countOutcomes(t, s))
	}
}

func testApplyOnce(t *testing.T, s Store) {
	ctx := context.Background()
	withAccount(t, s, "acme", "ana@example.com")
	note := func(text string) []domain.Patch {
		return []domain.Patch{{ID: "acme", Signals: []domain.Signal{{Date: day, Kind: domain.SignalNote, Note: text}}}}
	}
	st, seen, err := s.ApplyOnce(ctx, "console|1", note("called the CFO"))
	if err != nil || seen || st.Signals != 1 {
		t.Fatalf("first: %+v seen %v err %v", st, seen, err)
	}
	// The same id with other content (a tampered replay) changes nothing.
	st, seen, err = s.ApplyOnce(ctx, "console|1", note("champion left"))
	if err != nil || !seen || st != (domain.ApplyStats{}) {
		t.Fatalf("replay: %+v seen %v err %v", st, seen, err)
	}
	a, err := s.Account(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Signals) != 1 || a.Signals[0].Note != "called the CFO" {
		t.Fatalf("signals after replay: %+v", a.Signals)
	}
}

// A write that fails records nothing: the retry must be able to succeed.
func testWriteOnceFailureKeepsIDFree(t *testing.T, s Store) {
	ctx := context.Background()
	_, err := s.AddOutcomeOnce(ctx, "slack|view|V1", domain.Outcome{AccountID: "ghost", Date: day, Result: domain.Won})
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("err %v; want not found", err)
	}
	if seen, err := s.WriteSeen(ctx, "slack|view|V1"); err != nil || seen {
		t.Fatalf("failed write recorded its id (seen %v, err %v)", seen, err)
	}
	withAccount(t, s, "ghost", "ana@example.com")
	if seen, err := s.AddOutcomeOnce(ctx, "slack|view|V1", domain.Outcome{AccountID: "ghost", Date: day, Result: domain.Won}); err != nil || seen {
		t.Fatalf("retry: seen %v err %v", seen, err)
	}
	if seen, _ := s.WriteSeen(ctx, "slack|view|V1"); !seen {
		t.Fatal("id not recorded after the write")
	}
}
