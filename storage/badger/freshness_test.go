package badger

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

func TestWritesStampWhenAndFromWhere(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	stamp := func(id string) (time.Time, string) {
		t.Helper()
		a, err := db.Account(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return a.DataChangedAt, a.DataSource
	}
	apply := func(p domain.Patch) {
		t.Helper()
		if _, err := db.Apply(ctx, []domain.Patch{p}); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name    string
		do      func()
		wantAt  time.Time
		wantSrc string
	}{
		{"an import creates the account", func() {
			apply(domain.Patch{ID: "acme", Core: acct("acme", "Acme", "ana@example.com"), Source: domain.SourceImport, At: t0})
		}, t0, domain.SourceImport},
		{"the same data again changes nothing, not even the stamp", func() {
			apply(domain.Patch{ID: "acme", Core: acct("acme", "Acme", "ana@example.com"), Source: domain.SourceAPI, At: t0.Add(time.Hour)})
		}, t0, domain.SourceImport},
		{"a usage-only write restamps the record", func() {
			apply(domain.Patch{ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 5}}, Source: domain.SourceAPI, At: t0.Add(2 * time.Hour)})
		}, t0.Add(2 * time.Hour), domain.SourceAPI},
		{"a chat note restamps it", func() {
			apply(domain.Patch{ID: "acme", Signals: []domain.Signal{{Date: day, Kind: domain.SignalNote, Note: "call"}}, Source: domain.SourceChat, At: t0.Add(3 * time.Hour)})
		}, t0.Add(3 * time.Hour), domain.SourceChat},
		{"a core record carrying another stamp is compared on its data", func() {
			a := acct("acme", "Acme", "ana@example.com")
			a.DataChangedAt, a.DataSource = t0.Add(99*time.Hour), "forged"
			apply(domain.Patch{ID: "acme", Core: a, Source: domain.SourceImport, At: t0.Add(4 * time.Hour)})
		}, t0.Add(3 * time.Hour), domain.SourceChat},
		{"a CRM sync page stamps its connector", func() {
			a := acct("acme", "Acme Corp", "ana@example.com")
			if err := db.CommitPage(ctx, "hubspot", connector.Commit{Accounts: []connector.Linked{{Account: a, ExternalID: "42"}}, Cursor: "c1"}); err != nil {
				t.Fatal(err)
			}
		}, time.Time{}, "hubspot"},
		{"a Segment track event stamps segment", func() {
			err := db.ApplySegment(ctx, []storage.SegmentEffect{{Seq: 1, Track: &storage.SegmentTrack{AccountID: "acme", Date: day, UserID: "u1", Usage: 1}}}, t0.Add(6*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
		}, t0.Add(6 * time.Hour), domain.SourceSegment},
	}
	for _, s := range steps {
		s.do()
		at, src := stamp("acme")
		if src != s.wantSrc || (!s.wantAt.IsZero() && !at.Equal(s.wantAt)) || at.IsZero() {
			t.Fatalf("%s: stamp %v %q, want %v %q", s.name, at, src, s.wantAt, s.wantSrc)
		}
	}
}

func TestSegmentForAnUnknownAccountStampsNothing(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	err := db.ApplySegment(ctx, []storage.SegmentEffect{{Seq: 1, Track: &storage.SegmentTrack{AccountID: "ghost", Date: day, UserID: "u1", Usage: 1}}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Account(ctx, "ghost"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("stamping created an account: %v", err)
	}
}

// Usage and signals stamp their account without rewriting its record (a
// ds/ key, freshness.go): every read sees the stamp, and a write that
// changes the record folds it back in.
func TestActivityStampsWithoutRewritingTheRecord(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	t0 := time.Date(2026, 11, 1, 8, 0, 5, 0, time.UTC)
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Core: acct("acme", "Acme", "ana@example.com"), Source: domain.SourceImport, At: t0}}); err != nil {
		t.Fatal(err)
	}
	version := func(key []byte) uint64 {
		t.Helper()
		var v uint64
		if err := db.db.View(func(txn *badger.Txn) error {
			it, err := txn.Get(key)
			if err == nil {
				v = it.Version()
			} else if errors.Is(err, badger.ErrKeyNotFound) {
				err = nil
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	// Every way a record is read sees the same stamp.
	reads := func(wantAt time.Time, wantSrc string) {
		t.Helper()
		a, err := db.Account(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		got := []string{fmt.Sprint(a.DataChangedAt, a.DataSource)}
		db.ForEach(ctx, func(a *domain.Account) error {
			got = append(got, fmt.Sprint(a.DataChangedAt, a.DataSource))
			return nil
		})
		db.ForEachConcurrent(ctx, 2, func(_ int, a *domain.Account) error {
			got = append(got, fmt.Sprint(a.DataChangedAt, a.DataSource))
			return nil
		})
		want := fmt.Sprint(wantAt, wantSrc)
		if len(got) != 3 || got[0] != want || got[1] != want || got[2] != want {
			t.Errorf("stamps read: %q, want %q", got, want)
		}
	}
	rec := version(accountKey("acme"))
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 2}}, Source: domain.SourceAPI, At: t0.Add(time.Hour + 40*time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if version(accountKey("acme")) != rec || version(stampKey("acme")) == 0 {
		t.Error("usage rewrote the record, or wrote no stamp key")
	}
	reads(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC), domain.SourceAPI) // whole minutes
	// A record change stamps the record and drops the ds/ key.
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Core: acct("acme", "Acme Corp", "ana@example.com"), Source: domain.SourceChat, At: t0.Add(2 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if version(stampKey("acme")) != 0 {
		t.Error("the record was rewritten but its ds/ stamp key is still there")
	}
	reads(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), domain.SourceChat)
	// The same record again changes nothing, the stamp included.
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 3}}, Source: domain.SourceSegment, At: t0.Add(3 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Core: acct("acme", "Acme Corp", "ana@example.com"), Source: domain.SourceImport, At: t0.Add(4 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	reads(time.Date(2026, 11, 1, 11, 0, 0, 0, time.UTC), domain.SourceSegment)
}
