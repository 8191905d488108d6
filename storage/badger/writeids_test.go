package badger

import (
	"context"
	"github.com/accountbot/accountbot/storage"
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
		if exp.Before(before.Add(storage.WriteIDTTL-time.Minute)) || exp.After(before.Add(storage.WriteIDTTL+time.Minute)) {
			t.Errorf("write id expires at %s; want about %s from now", exp, storage.WriteIDTTL)
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
