package badger

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// bigBook is more than one Badger transaction holds: half updates of the
// accounts fillBook wrote under tag, half new ones.
func bigBook(tag string, n int) []domain.Patch {
	var ps []domain.Patch
	for i := range n {
		id := fmt.Sprintf("%s-%04d", tag, i)
		ps = append(ps, domain.Patch{ID: id, Core: acct(id, "Big "+id, fmt.Sprintf("big%d@example.com", i%5)),
			Usage: []domain.Snapshot{{Date: day, ActiveUsers: i + 7}, {Date: day.AddDays(-14), ActiveUsers: i}, {Date: day.AddDays(-21), ActiveUsers: i}}})
	}
	return ps
}

func journalLeft(t *testing.T, db *DB) int {
	t.Helper()
	n := 0
	db.db.View(func(txn *badger.Txn) error {
		if _, err := txn.Get(keyImport); err == nil {
			n++
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixUndo})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n
}

func TestBigApplyIsWholeAndLeavesNoJournal(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	db, err := Open(ctx, dir, Options{memTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fillBook(t, db, 100, "j")
	ps := bigBook("j", 600)
	j := &journal{db: db}
	st, err := db.apply(ctx, ps, j)
	if err != nil || !j.open {
		t.Fatalf("apply: %v; the book must outgrow one transaction (journal open: %v)", err, j.open)
	}
	if err := j.commit(); err != nil {
		t.Fatal(err)
	}
	if err != nil || st.Created != 500 || st.Updated != 100 {
		t.Fatalf("apply = %+v, %v", st, err)
	}
	if n := journalLeft(t, db); n != 0 {
		t.Errorf("%d journal entries left", n)
	}
	if _, acc, _ := db.countLive(); acc != 600 {
		t.Errorf("%d accounts", acc)
	}
	if ids, _ := db.IDsByOwner(ctx, "o1@example.com"); len(ids) != 0 {
		t.Errorf("old owner index kept: %v", ids)
	}
}

// reopenedBook fills a store with a book of n accounts ("j-0001"…),
// closes it, dumps it, and opens it again with opt: a journal test's
// starting point and the state a rollback must restore.
func reopenedBook(t *testing.T, n int, opt Options) (*DB, string, map[string]string) {
	t.Helper()
	db, dir := openTemp(t)
	fillBook(t, db, n, "j")
	db.Close()
	before := dump(t, dir)
	db, err := Open(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	return db, dir, before
}

// An error after some batches have committed undoes them.
func TestFailedBigApplyRollsBack(t *testing.T) {
	ctx := context.Background()
	db, dir, before := reopenedBook(t, 100, Options{memTableSize: 1 << 20})
	defer db.Close()
	ps := bigBook("j", 600)
	// The same account patched twice: rolled back to before both.
	again := *ps[1].Core
	again.Name = "Patched twice"
	ps = append(ps, domain.Patch{ID: again.ID, Core: &again, Usage: []domain.Snapshot{{Date: day, ActiveUsers: 99}}})
	ps[599].Core.Currency = "not money" // invalid: found after batches committed
	ps[599], ps[600] = ps[600], ps[599]
	if _, err := db.Apply(ctx, ps); domain.ErrorCode(err) != domain.EINVALID {
		t.Fatalf("apply = %v", err)
	}
	ps = bigBook("j", 600)
	ps[500].Core = nil // a patch of an unknown account: refused at the end
	ps[500].ID = "ghost"
	if _, err := db.Apply(ctx, ps); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("apply = %v", err)
	}
	n := journalLeft(t, db)
	db.Close()
	if n != 0 {
		t.Errorf("%d journal entries left", n)
	}
	if got := dump(t, dir); !maps.Equal(got, before) {
		t.Errorf("failed applies changed the store: %d keys, want %d", len(got), len(before))
	}
}

// A process that dies with the marker set leaves batches behind; the next
// Open rolls them back.
func TestOpenRollsBackAnUnfinishedImport(t *testing.T) {
	ctx := context.Background()
	db, dir, before := reopenedBook(t, 100, Options{memTableSize: 1 << 20})
	j := &journal{db: db}
	if _, err := db.apply(ctx, bigBook("j", 600), j); err != nil || !j.open {
		t.Fatalf("apply: %v, journal open %v", err, j.open)
	}
	if _, acc, _ := db.countLive(); acc != 600 {
		t.Fatalf("%d accounts written before the 'crash'", acc)
	}
	db.Close() // the "crash": no commit point
	if got := dump(t, dir); !maps.Equal(got, before) {
		t.Errorf("after reopening: %d keys, want %d", len(got), len(before))
	}
}

// Writes whose old value the planner does not record (external-id index
// entries, review-list entries an import clears) are read by the journal,
// so a rollback brings them back too.
func TestRollbackRestoresExternalIDsAndReviewEntries(t *testing.T) {
	ctx := context.Background()
	db, dir := openTemp(t)
	fillBook(t, db, 100, "j")
	a := acct("j-0001", "Name j-0001", "o1@example.com")
	a.ExternalIDs = domain.ExternalIDs{"crm": "C-1"}
	if _, err := db.Apply(ctx, []domain.Patch{{ID: a.ID, Core: a}}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddUnmatched(ctx, domain.UnmatchedRecord{Source: "crm", ExternalID: "C-2", Kind: "account"}, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before := dump(t, dir)
	db, err := Open(ctx, dir, Options{memTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, early := range []bool{true, false} {
		ps := bigBook("j", 600)
		// j-0001 moves from C-1 to C-2 (clearing C-2's review entry), in the
		// first transaction (journaled after the fact) or a later one.
		i := 1
		if !early {
			i = 590
			ps[i].ID, ps[i].Core.ID = "j-0001", "j-0001"
			ps[1].ID, ps[1].Core.ID = "j-0590", "j-0590"
		}
		ps[i].Core.ExternalIDs = domain.ExternalIDs{"crm": "C-2"}
		ps[599].Core.Currency = "not money"
		if _, err := db.Apply(ctx, ps); domain.ErrorCode(err) != domain.EINVALID {
			t.Fatalf("apply = %v", err)
		}
		if id, err := db.ResolveAccount(ctx, "crm", "C-1"); err != nil || id != "j-0001" {
			t.Errorf("early=%v: C-1 resolves to %q, %v", early, id, err)
		}
		if u, _ := db.Unmatched(ctx); len(u) != 1 || u[0].ExternalID != "C-2" {
			t.Errorf("early=%v: review list %+v", early, u)
		}
	}
	db.Close()
	if got := dump(t, dir); !maps.Equal(got, before) {
		t.Errorf("rolled-back applies changed the store: %d keys, want %d", len(got), len(before))
	}
}
