package badger

import (
	"context"
	"reflect"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// ScoresOn reads one day's recorded snapshots of many accounts, leaving
// out those without one that day (another day's does not stand in).
func TestScoresOn(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	day := domain.MustDate("2026-11-23")
	snap := func(d domain.Date, tier int) domain.ScoreSnapshot {
		return domain.ScoreSnapshot{Date: d, Tier: tier, Combined: 50 + tier, Triggers: []string{"expansion"}}
	}
	if err := db.PutScores(ctx, []domain.Scored{{ID: "a", Snapshot: snap(day, 1)}, {ID: "b", Snapshot: snap(day.AddDays(-1), 2)},
		{ID: "c", Snapshot: snap(day, 3)}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.ScoresOn(ctx, []string{"a", "b", "c", "missing"}, day)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]domain.ScoreSnapshot{"a": snap(day, 1), "c": snap(day, 3)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ScoresOn = %+v, want %+v", got, want)
	}
}

// RenewingTiers lists what IDsRenewingBetween lists, in its order, with
// each renewal date and the stored evaluation's owner and tier (0 when
// none is stored).
func TestRenewingTiers(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	d0 := domain.MustDate("2026-11-23")
	var ps []domain.Patch
	for i, id := range []string{"x", "y", "z", "w"} {
		ps = append(ps, domain.Patch{ID: id, Core: &domain.Account{ID: id, Name: "Acct " + id, Owner: "ana@example.com", ARR: 100, Currency: "USD", RenewalDate: d0.AddDays(10 - i)}})
	}
	if _, err := db.Apply(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if err := db.PutEvaluations(ctx, []domain.EvalRecord{{ID: "x", Owner: "ana@example.com", Tier: 1, Date: d0}, {ID: "z", Owner: "ana@example.com", Tier: 3, Date: d0}}); err != nil {
		t.Fatal(err)
	}
	got, err := db.RenewingTiers(ctx, d0.AddDays(8), d0.AddDays(10))
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.RenewingTier{
		{ID: "z", RenewalDate: d0.AddDays(8), Owner: "ana@example.com", Tier: 3},
		{ID: "y", RenewalDate: d0.AddDays(9)},
		{ID: "x", RenewalDate: d0.AddDays(10), Owner: "ana@example.com", Tier: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RenewingTiers = %+v, want %+v", got, want)
	}
	ids, err := db.IDsRenewingBetween(ctx, d0.AddDays(8), d0.AddDays(10))
	if err != nil || !reflect.DeepEqual(ids, []string{"z", "y", "x"}) {
		t.Errorf("IDsRenewingBetween = %v, %v", ids, err)
	}
}
