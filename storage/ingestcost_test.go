package storage

import (
	"context"
	"fmt"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// A usage-only write (the ingest API's hot path) reads only the account's
// key: its cost must not grow with the account record. Before, the record
// was decoded and encoded twice per patch, so an account with many
// stakeholders made every usage event slower.
func TestUsageOnlyApplyCostIsIndependentOfTheRecord(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	small := acct("small", "Small", "ana@example.com")
	big := acct("big", "Big", "ana@example.com")
	for i := range 300 {
		big.Stakeholders = append(big.Stakeholders, domain.Stakeholder{Name: fmt.Sprintf("Person %d", i), Role: "Head of Operations"})
	}
	if _, err := db.Apply(ctx, []domain.Patch{{ID: "small", Core: small}, {ID: "big", Core: big}}); err != nil {
		t.Fatal(err)
	}
	allocs := func(id string) float64 {
		n := 0
		return testing.AllocsPerRun(20, func() {
			n++
			p := domain.Patch{ID: id, Usage: []domain.Snapshot{{Date: day.AddDays(-n), ActiveUsers: n, Usage: int64(n)}}}
			if st, err := db.Apply(ctx, []domain.Patch{p}); err != nil || st.Snapshots != 1 {
				t.Fatalf("apply %s = %+v, %v", id, st, err)
			}
		})
	}
	s, b := allocs("small"), allocs("big")
	if b > s+50 {
		t.Errorf("a usage write to an account with 300 stakeholders allocates %.0f times, to a small one %.0f: the record is being read", b, s)
	}
	// The record itself is untouched, and an unknown account is still refused.
	got, err := db.Account(ctx, "big")
	if err != nil || len(got.Stakeholders) != 300 || len(got.Usage) < 20 {
		t.Fatalf("big = %d stakeholders, %d snapshots, %v", len(got.Stakeholders), len(got.Usage), err)
	}
	_, err = db.Apply(ctx, []domain.Patch{{ID: "nobody", Usage: []domain.Snapshot{{Date: day, Usage: 1}}}})
	if domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("usage for an unknown account: %v, want ENOTFOUND", err)
	}
}

func TestHasAccount(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	withAccount(t, db, "acme", "ana@example.com")
	for _, tc := range []struct {
		id   string
		want bool
	}{{"acme", true}, {"globex", false}, {"", false}} {
		if got, err := db.HasAccount(ctx, tc.id); err != nil || got != tc.want {
			t.Errorf("HasAccount(%q) = %v, %v; want %v", tc.id, got, err, tc.want)
		}
	}
}
