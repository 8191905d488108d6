package storage

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

func openMem(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), "", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func withAccount(t *testing.T, db *DB, id, owner string) {
	t.Helper()
	if _, err := db.Apply(context.Background(), []domain.Patch{{ID: id, Core: acct(id, id, owner)}}); err != nil {
		t.Fatal(err)
	}
}

func countOutcomes(t *testing.T, db *DB) int {
	t.Helper()
	os, err := db.Outcomes(context.Background(), day.AddDays(-1), day.AddDays(1))
	if err != nil {
		t.Fatal(err)
	}
	return len(os)
}

// A signed Slack request replayed within the 5-minute window used to log
// a second outcome; with its trigger id recorded it changes nothing.
func TestAddOutcomeOnceReplay(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	withAccount(t, db, "acme", "ana@example.com")
	lost := domain.Outcome{AccountID: "acme", Date: day, Result: domain.Lost, By: "ana@example.com"}

	id := "slack|trigger|398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	seen, err := db.AddOutcomeOnce(ctx, id, lost)
	if err != nil || seen {
		t.Fatalf("first write: seen %v, err %v", seen, err)
	}
	seen, err = db.AddOutcomeOnce(ctx, id, lost)
	if err != nil || !seen {
		t.Fatalf("replay: seen %v, err %v; want seen", seen, err)
	}
	if n := countOutcomes(t, db); n != 1 {
		t.Fatalf("%d outcomes after a replay; want 1", n)
	}
	// Another id is another write.
	if seen, err := db.AddOutcomeOnce(ctx, "slack|trigger|other", lost); err != nil || seen {
		t.Fatalf("second click on another form: seen %v, err %v", seen, err)
	}
	if n := countOutcomes(t, db); n != 2 {
		t.Fatalf("%d outcomes; want 2", n)
	}
}

// A double click sends the same id twice at once: one wins.
func TestAddOutcomeOnceConcurrent(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	withAccount(t, db, "acme", "ana@example.com")
	var wg sync.WaitGroup
	var mu sync.Mutex
	firsts := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen, err := db.AddOutcomeOnce(ctx, "teams|act|1234", domain.Outcome{AccountID: "acme", Date: day, Result: domain.Won})
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
	if firsts != 1 || countOutcomes(t, db) != 1 {
		t.Fatalf("%d first writes, %d outcomes; want 1 and 1", firsts, countOutcomes(t, db))
	}
}

func TestApplyOnce(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	withAccount(t, db, "acme", "ana@example.com")
	note := func(text string) []domain.Patch {
		return []domain.Patch{{ID: "acme", Signals: []domain.Signal{{Date: day, Kind: domain.SignalNote, Note: text}}}}
	}
	st, seen, err := db.ApplyOnce(ctx, "console|1", note("called the CFO"))
	if err != nil || seen || st.Signals != 1 {
		t.Fatalf("first: %+v seen %v err %v", st, seen, err)
	}
	// The same id with other content (a tampered replay) changes nothing.
	st, seen, err = db.ApplyOnce(ctx, "console|1", note("champion left"))
	if err != nil || !seen || st != (domain.ApplyStats{}) {
		t.Fatalf("replay: %+v seen %v err %v", st, seen, err)
	}
	a, err := db.Account(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Signals) != 1 || a.Signals[0].Note != "called the CFO" {
		t.Fatalf("signals after replay: %+v", a.Signals)
	}
}

// A write that fails records nothing: the retry must be able to succeed.
func TestWriteOnceFailureKeepsIDFree(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	_, err := db.AddOutcomeOnce(ctx, "slack|view|V1", domain.Outcome{AccountID: "ghost", Date: day, Result: domain.Won})
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("err %v; want not found", err)
	}
	if seen, err := db.WriteSeen(ctx, "slack|view|V1"); err != nil || seen {
		t.Fatalf("failed write recorded its id (seen %v, err %v)", seen, err)
	}
	withAccount(t, db, "ghost", "ana@example.com")
	if seen, err := db.AddOutcomeOnce(ctx, "slack|view|V1", domain.Outcome{AccountID: "ghost", Date: day, Result: domain.Won}); err != nil || seen {
		t.Fatalf("retry: seen %v err %v", seen, err)
	}
	if seen, _ := db.WriteSeen(ctx, "slack|view|V1"); !seen {
		t.Fatal("id not recorded after the write")
	}
}

func TestWriteIDExpires(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	withAccount(t, db, "acme", "ana@example.com")
	before := time.Now()
	if _, err := db.AddOutcomeOnce(ctx, "x", domain.Outcome{AccountID: "acme", Date: day, Result: domain.Won}); err != nil {
		t.Fatal(err)
	}
	err := db.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(writeIDKey("x"))
		if err != nil {
			return err
		}
		exp := time.Unix(int64(item.ExpiresAt()), 0)
		if exp.Before(before.Add(WriteIDTTL-time.Minute)) || exp.After(before.Add(WriteIDTTL+time.Minute)) {
			t.Errorf("write id expires at %s; want about %s from now", exp, WriteIDTTL)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// No id: the write is not guarded (callers without an id keep today's behaviour).
	for range 2 {
		if seen, err := db.AddOutcomeOnce(ctx, "", domain.Outcome{AccountID: "acme", Date: day, Result: domain.Won}); err != nil || seen {
			t.Fatalf("unguarded write: seen %v err %v", seen, err)
		}
	}
	if n := countOutcomes(t, db); n != 3 {
		t.Fatalf("%d outcomes; want 3", n)
	}
}
