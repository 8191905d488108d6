package badger

import (
	"context"
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

// A stream of usage for one account rewrites its record once a minute at
// most (domain.StampResolution): within the stamp's minute only the usage
// is written; the next minute restamps it.
func TestUsageInTheStampsMinuteLeavesTheRecord(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	t0 := time.Date(2026, 11, 1, 8, 0, 5, 0, time.UTC)
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Core: acct("acme", "Acme", "ana@example.com"), Source: domain.SourceImport, At: t0}}); err != nil {
		t.Fatal(err)
	}
	version := func() uint64 {
		t.Helper()
		var v uint64
		if err := db.db.View(func(txn *badger.Txn) error {
			it, err := txn.Get(accountKey("acme"))
			if err == nil {
				v = it.Version()
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v
	}
	usage := func(at time.Time, users int) {
		t.Helper()
		if _, err := db.Apply(ctx, []domain.Patch{{ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: users}}, Source: domain.SourceAPI, At: at}}); err != nil {
			t.Fatal(err)
		}
	}
	usage(t0.Add(time.Hour), 1)
	v := version()
	usage(t0.Add(time.Hour+40*time.Second), 2) // 09:00:45: the same minute
	if version() != v {
		t.Error("usage in the stamp's minute rewrote the record")
	}
	if a, err := db.Account(ctx, "acme"); err != nil || a.Usage[len(a.Usage)-1].ActiveUsers != 2 {
		t.Fatalf("usage not stored: %+v, %v", a, err)
	}
	usage(t0.Add(time.Hour+time.Minute), 3) // 09:01:05
	a, err := db.Account(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if version() == v || !a.DataChangedAt.Equal(time.Date(2026, 11, 1, 9, 1, 0, 0, time.UTC)) {
		t.Errorf("the next minute's usage did not restamp the record: %v", a.DataChangedAt)
	}
}
