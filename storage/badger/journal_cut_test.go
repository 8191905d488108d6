package badger

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
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
// store as it was before the Apply; whether the journal opened early (the
// first accounts' size said the Apply would not fit) or when the first
// transaction overflowed (the first accounts wrote nothing).
func TestCrashAfterAnyCommitRollsBack(t *testing.T) {
	base := filepath.Join(t.TempDir(), "base")
	cutBase(t, base)
	before := dump(t, base)
	noop := domain.Patch{ID: "j-0002", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 2}}} // as stored
	for _, tc := range []struct {
		name     string
		book     []domain.Patch
		early    bool
		accounts int64 // live at the first commit: at most (early) or more than (101 once the first 64 are in)
	}{
		{"journal opened early", cutBook(), true, 110},
		{"journal opened on overflow", append(slices.Repeat([]domain.Patch{noop}, journalProbe), cutBook()...), false, 110},
	} {
		for k := 1; ; k++ {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.CopyFS(dir, os.DirFS(base)); err != nil {
				t.Fatal(err)
			}
			db := openCut(t, dir)
			j := &journal{db: db, afterCommit: func(n int) error {
				if n == 1 && k == 1 {
					if _, acc, _ := db.countLive(); (acc <= tc.accounts) != tc.early {
						t.Errorf("%s: %d accounts at the first commit", tc.name, acc)
					}
				}
				if n == k {
					return errCut
				}
				return nil
			}}
			_, err := db.apply(context.Background(), slices.Clone(tc.book), j)
			db.Close() // no commit point, no rollback: the "crash"
			if err == nil {
				if k < 4 {
					t.Fatalf("%s: the Apply made %d commits; the test needs several", tc.name, k-1)
				}
				break
			}
			if !errors.Is(err, errCut) {
				t.Fatalf("%s: cut after commit %d: apply = %v", tc.name, k, err)
			}
			if got := dump(t, dir); !maps.Equal(got, before) {
				t.Fatalf("%s: cut after commit %d, then reopened: %d keys, want %d as before", tc.name, k, len(got), len(before))
			}
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

// An undo entry in the form older versions wrote (no leading 0, whole
// keys) still rolls back: a journal left by a crash before an upgrade.
func TestRollbackReadsOldUndoEntries(t *testing.T) {
	db, dir, before := reopenedBook(t, 3, Options{})
	// What an older Apply left after writing j-0001 anew and j-9999: the
	// old record to restore and a key to delete.
	oldRec := []byte(before[string(accountKey("j-0001"))])
	newKey := usageKey("j-9999", day)
	var entry []byte
	entry = binary.AppendUvarint(entry, uint64(len(accountKey("j-0001"))))
	entry = append(append(entry, accountKey("j-0001")...), 1)
	entry = binary.AppendUvarint(entry, uint64(len(oldRec)))
	entry = append(entry, oldRec...)
	entry = binary.AppendUvarint(entry, uint64(len(newKey)))
	entry = append(append(entry, newKey...), 0)
	err := db.db.Update(func(txn *badger.Txn) error {
		for _, kv := range [][2][]byte{
			{keyImport, []byte(cutNow.Format(time.RFC3339))},
			{binary.BigEndian.AppendUint64(join(prefixUndo), 1), entry},
			{accountKey("j-0001"), []byte(`{"id":"j-0001","name":"Half written"}`)},
			{newKey, encodeSnapshot(domain.Snapshot{Date: day, ActiveUsers: 3})},
		} {
			if err := txn.Set(kv[0], kv[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close() // the "crash"
	if got := dump(t, dir); !maps.Equal(got, before) {
		t.Errorf("after reopening: %d keys, want %d as before", len(got), len(before))
	}
}

// Damaged undo entries, in either form, are an error, never a panic or a
// key made up from the garbage.
func TestDecodeUndoRefusesDamagedEntries(t *testing.T) {
	whole := []byte{undoCompact, 0, 3, 'a', '/', 'b', 1, 2, 'v', 'w', 2, 1, 'c', 0}
	var keys []string
	if err := decodeUndo(whole, func(k []byte, had bool, prev []byte) error {
		keys = append(keys, fmt.Sprintf("%s %v %s", k, had, prev))
		return nil
	}); err != nil || !slices.Equal(keys, []string{"a/b true vw", "a/c false "}) {
		t.Fatalf("decodeUndo = %q, %v", keys, err)
	}
	for name, v := range map[string][]byte{
		"cut in a key":         whole[:4],
		"cut before had":       whole[:6],
		"cut in a value":       whole[:9],
		"shares more than key": {undoCompact, 0, 1, 'a', 0, 5, 1, 'b', 0},
		"bad had byte":         {undoCompact, 0, 1, 'a', 7},
		"huge length":          {undoCompact, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 'a'},
		"old form cut":         {5, 'a', 'b'},
		"bad varint":           {undoCompact, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	} {
		if err := decodeUndo(v, func([]byte, bool, []byte) error { return nil }); !errors.Is(err, errUndoDamaged) {
			t.Errorf("%s: decodeUndo = %v", name, err)
		}
	}
}

// A Segment event that arrives while a journaled Apply runs is never lost
// to the Apply's rollback: Apply reads stored usage from a snapshot
// (usageReader), so Segment's writes wait for it to finish.
func TestSegmentDuringApplySurvivesItsRollback(t *testing.T) {
	ctx := context.Background()
	base := filepath.Join(t.TempDir(), "base")
	cutBase(t, base)
	db := openCut(t, base)
	defer db.Close()
	// j-0001's usage on day is patched after the first commit (so after
	// Segment's event), then a patch found invalid rolls the Apply back.
	const late = "j-0001"
	ps := append(cutBook(), bigBook("k", 600)...)
	bad := *ps[len(ps)-1].Core
	bad.Currency = "not money"
	ps = append(ps, domain.Patch{ID: late, Usage: []domain.Snapshot{{Date: day, ActiveUsers: 42}}},
		domain.Patch{ID: bad.ID, Core: &bad})
	var seg chan error
	j := &journal{db: db, afterCommit: func(n int) error {
		if n == 1 {
			seg = make(chan error, 1)
			go func() {
				seg <- db.ApplySegment(ctx, []storage.SegmentEffect{{Seq: 1, Track: &storage.SegmentTrack{AccountID: late, Date: day, Usage: 5}}}, cutNow)
			}()
			time.Sleep(100 * time.Millisecond) // time for it to commit, were it not waiting
		}
		return nil
	}}
	db.applyMu.Lock()
	_, err := db.apply(ctx, ps, j)
	if domain.ErrorCode(err) != domain.EINVALID || !j.open {
		t.Fatalf("apply = %v, journal open %v", err, j.open)
	}
	if err := db.rollback(); err != nil {
		t.Fatal(err)
	}
	db.applyMu.Unlock()
	if seg == nil {
		t.Fatal("the Apply made no commit")
	}
	if err := <-seg; err != nil {
		t.Fatal(err)
	}
	a, err := db.Account(ctx, late)
	if err != nil {
		t.Fatal(err)
	}
	// fillBook stored {active users 1, usage 0} on day; Segment adds 5.
	if s, ok := a.SnapshotAt(day); !ok || s.Date != day || s.ActiveUsers != 1 || s.Usage != 5 {
		t.Errorf("%s's usage on %s after the rollback = %+v, %v; want Segment's 5 on what was stored", late, day, s, ok)
	}
}

// Apply reads stored usage from a snapshot of the store before it
// (usageReader), except for an account it has already written: a second
// patch of that account sees the first one's usage. Table: what the
// patches of one Apply write, on a store holding {day: 1 active user}.
func TestApplyReadsStoredUsageOnce(t *testing.T) {
	for _, width := range []int{1, seekFrom} { // Gets, and one seek
		t.Run(fmt.Sprintf("%d dates", width), func(t *testing.T) { testApplyReadsStoredUsageOnce(t, width) })
	}
}

// testApplyReadsStoredUsageOnce runs the cases with patches of width
// dates: the case's day and width-1 older ones, stored as patched.
func testApplyReadsStoredUsageOnce(t *testing.T, width int) {
	ctx := context.Background()
	snap := func(d domain.Date, n int) []domain.Snapshot {
		out := []domain.Snapshot{{Date: d, ActiveUsers: n}}
		for k := 1; k < width; k++ {
			out = append(out, domain.Snapshot{Date: day.AddDays(-100 - 7*k), ActiveUsers: 5})
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		patches []domain.Patch
		want    domain.ApplyStats
		wantDay int // active users stored on day after
	}{
		{"same as stored", []domain.Patch{{ID: "u-1", Usage: snap(day, 1)}}, domain.ApplyStats{Unchanged: 1}, 1},
		{"changed", []domain.Patch{{ID: "u-1", Usage: snap(day, 2)}}, domain.ApplyStats{Updated: 1, Snapshots: 1}, 2},
		{"twice the same", []domain.Patch{{ID: "u-1", Usage: snap(day, 2)}, {ID: "u-1", Usage: snap(day, 2)}},
			domain.ApplyStats{Updated: 1, Unchanged: 1, Snapshots: 1}, 2},
		{"back and forth", []domain.Patch{{ID: "u-1", Usage: snap(day, 2)}, {ID: "u-1", Usage: snap(day, 1)}},
			domain.ApplyStats{Updated: 2, Snapshots: 2}, 1},
		{"with a record", []domain.Patch{{ID: "u-1", Core: acct("u-1", "U", "o@example.com"), Usage: snap(day, 1)}, {ID: "u-1", Usage: snap(day, 3)}},
			domain.ApplyStats{Unchanged: 1, Updated: 1, Snapshots: 1}, 3},
		{"another date", []domain.Patch{{ID: "u-1", Usage: snap(day.AddDays(-7), 1)}}, domain.ApplyStats{Updated: 1, Snapshots: 1}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTemp(t)
			db.SetClock(func() time.Time { return cutNow })
			if _, err := db.Apply(ctx, []domain.Patch{{ID: "u-1", Core: acct("u-1", "U", "o@example.com"), Usage: snap(day, 1), At: cutNow}}); err != nil {
				t.Fatal(err)
			}
			for i := range tc.patches {
				tc.patches[i].At = cutNow
			}
			st, err := db.Apply(ctx, tc.patches)
			if err != nil || st != tc.want {
				t.Errorf("Apply = %+v, %v; want %+v", st, err, tc.want)
			}
			a, err := db.Account(ctx, "u-1")
			if err != nil {
				t.Fatal(err)
			}
			if s, ok := a.SnapshotAt(day); !ok || s.Date != day || s.ActiveUsers != tc.wantDay {
				t.Errorf("on %s: %+v, want %d active users", day, s, tc.wantDay)
			}
		})
	}
}
