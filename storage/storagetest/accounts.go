package storagetest

import (
	"context"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

func testApplyAndRead(t *testing.T, s Store) {
	ctx := context.Background()
	a := acct("acme", "Acme Corp", "ana@example.com")
	a.Aliases = []string{"ACME Inc."}
	a.Stakeholders = []domain.Stakeholder{{Name: "Cleo", Executive: true}}
	patch := domain.Patch{ID: "acme", Core: a,
		Usage:   []domain.Snapshot{{Date: day, ActiveUsers: 10, Usage: 1 << 40, Tickets: 2}, {Date: day.AddDays(-7), ActiveUsers: 9}},
		Signals: []domain.Signal{{Date: day, Kind: domain.SignalCompetitor, Note: "Globex"}}}
	st, err := s.Apply(ctx, []domain.Patch{patch})
	if err != nil || st.Created != 1 || st.Snapshots != 2 || st.Signals != 1 {
		t.Fatalf("apply = %+v, %v", st, err)
	}
	// Importing the same data again changes nothing.
	st, err = s.Apply(ctx, []domain.Patch{patch})
	if err != nil || st.Unchanged != 1 || st.Snapshots != 0 || st.Signals != 0 {
		t.Fatalf("re-apply = %+v, %v", st, err)
	}
	got, err := s.Account(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Usage) != 2 || got.Usage[0].Date != day.AddDays(-7) || got.Usage[1].Usage != 1<<40 || len(got.Signals) != 1 || got.Signals[0].Note != "Globex" || len(got.Stakeholders) != 1 {
		t.Errorf("read back %+v", got)
	}
	// Usage merges by date; a core-less patch keeps the record.
	st, err = s.Apply(ctx, []domain.Patch{{ID: "acme", Usage: []domain.Snapshot{{Date: day, ActiveUsers: 11}, {Date: day.AddDays(-14), ActiveUsers: 8}}}})
	if err != nil || st.Updated != 1 || st.Snapshots != 2 {
		t.Fatalf("merge = %+v %v", st, err)
	}
	got, _ = s.Account(ctx, "acme")
	if len(got.Usage) != 3 || got.Usage[2].ActiveUsers != 11 || got.Name != "Acme Corp" {
		t.Errorf("merged %+v", got.Usage)
	}
	if _, err := s.Account(ctx, "nope"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("missing account err = %v", err)
	}
	if _, err := s.Apply(ctx, []domain.Patch{{ID: "ghost", Usage: []domain.Snapshot{{Date: day}}}}); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("patch of unknown account err = %v", err)
	}
}
