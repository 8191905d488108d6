package badger

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// cutBase writes a book to dir and closes it: the store a journaled Apply
// starts from. The accounts moved to C-1 and the review entry C-2 make the
// journal read values its planner did not record.
func cutBase(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.SetClock(func() time.Time { return cutNow })
	fillBook(t, db, 100, "j")
	a := acct("j-0001", "Name j-0001", "o1@example.com")
	a.ExternalIDs = domain.ExternalIDs{"crm": "C-1"}
	if _, err := db.Apply(ctx, []domain.Patch{{ID: a.ID, Core: a, At: cutNow}}); err != nil {
		t.Fatal(err)
	}
	if err := db.AddUnmatched(ctx, domain.UnmatchedRecord{Source: "crm", ExternalID: "C-2", Kind: "account"}, cutNow); err != nil {
		t.Fatal(err)
	}
	db.Close()
}

var cutNow = time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)

// cutBook is bigBook with a fixed stamp, j-0001 moving to external id C-2
// late in the Apply, and j-0005 patched twice.
func cutBook() []domain.Patch {
	ps := bigBook("j", 600)
	ps[590].ID, ps[590].Core.ID = "j-0001", "j-0001"
	ps[1].ID, ps[1].Core.ID = "j-0590", "j-0590"
	ps[590].Core.ExternalIDs = domain.ExternalIDs{"crm": "C-2"}
	again := *ps[5].Core
	again.Name = "Patched twice"
	ps = append(ps, domain.Patch{ID: again.ID, Core: &again, Usage: []domain.Snapshot{{Date: day, ActiveUsers: 99}}})
	for i := range ps {
		ps[i].At = cutNow
	}
	return ps
}

func openCut(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(context.Background(), dir, Options{memTableSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	db.SetClock(func() time.Time { return cutNow })
	return db
}

var errCut = errors.New("the process stops here")

// A crash after any of a journaled Apply's commits (each may end inside
// an account: the commit takes what fits) leaves, once reopened, the
// store as it was before the Apply.
func TestCrashAfterAnyCommitRollsBack(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	cutBase(t, base)
	before := dump(t, base)
	for k := 1; ; k++ {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
			t.Fatal(err)
		}
		db := openCut(t, dir)
		j := &journal{db: db, afterCommit: func(n int) error {
			if n == k {
				return errCut
			}
			return nil
		}}
		_, err := db.apply(context.Background(), cutBook(), j)
		db.Close() // no commit point, no rollback: the "crash"
		if err == nil {
			t.Logf("%d commits", k-1)
			if k < 4 {
				t.Fatalf("the Apply made %d commits; the test needs several", k-1)
			}
			return
		}
		if !errors.Is(err, errCut) {
			t.Fatalf("cut after commit %d: apply = %v", k, err)
		}
		if got := dump(t, dir); !maps.Equal(got, before) {
			t.Fatalf("cut after commit %d, then reopened: %d keys, want %d as before", k, len(got), len(before))
		}
	}
}

// An Apply too big for one transaction leaves the store exactly as the
// same patches applied in Applies small enough for one transaction each.
func TestJournaledApplyWritesWhatSmallAppliesWrite(t *testing.T) {
	ctx := context.Background()
	base := filepath.Join(t.TempDir(), "base")
	cutBase(t, base)
	run := func(size int) map[string]string {
		dir := filepath.Join(t.TempDir(), "data")
		if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
			t.Fatal(err)
		}
		db := openCut(t, dir)
		ps := cutBook()
		for from := 0; from < len(ps); from += size {
			j := &journal{db: db}
			_, err := db.apply(ctx, ps[from:min(from+size, len(ps))], j)
			if err != nil {
				t.Fatal(err)
			}
			if j.open != (size >= len(ps)) {
				t.Fatalf("a batch of %d: journal open %v", size, j.open)
			}
			if j.open {
				if err := j.commit(); err != nil {
					t.Fatal(err)
				}
			}
		}
		db.Close()
		return dump(t, dir)
	}
	small, whole := run(20), run(1000)
	if len(whole) != len(small) {
		t.Fatalf("one Apply wrote %d keys, small ones %d", len(whole), len(small))
	}
	for k, v := range small {
		if whole[k] != v {
			t.Errorf("key %q: one Apply wrote %q, small ones %q", k, whole[k], v)
		}
	}
}
