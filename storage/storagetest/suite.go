package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// Run runs the contract suite: every test calls open for a new, empty
// store of the backend under test, which open must close (t.Cleanup) when
// that test ends. Tests run one after another; a backend may share one
// server between them as long as each store starts empty.
func Run(t *testing.T, open func(t *testing.T) Store) {
	for _, c := range contract {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

// contract lists the suite's tests, by area.
var contract = []struct {
	name string
	fn   func(t *testing.T, s Store)
}{
	{"ApplyAndRead", testApplyAndRead},
}

// Fixed times: the suite never reads the clock.
var (
	day = domain.MustDate("2026-11-23")
	now = day.Time().Add(9 * time.Hour)
)

func acct(id, name, owner string) *domain.Account {
	return &domain.Account{ID: id, Name: name, Owner: owner, ARR: 120_000_00, Currency: "USD",
		RenewalDate: day.AddDays(100), FeaturesAvailable: 10, FeaturesAdopted: 5}
}

// apply applies patches and fails the test on an error.
func apply(t *testing.T, s Store, ps ...domain.Patch) domain.ApplyStats {
	t.Helper()
	st, err := s.Apply(context.Background(), ps)
	if err != nil {
		t.Fatalf("applying %d patches: %v", len(ps), err)
	}
	return st
}
