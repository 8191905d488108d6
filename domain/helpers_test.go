package domain

import "testing"

// today is the fixed "now" of every domain test.
var today = MustDate("2026-11-23")

// weekly builds n weekly snapshots ending on end, with active users and
// usage interpolated linearly from (u0, g0) to (u1, g1) and t tickets each.
func weekly(end Date, n int, u0, u1 int, g0, g1 int64, t int) []Snapshot {
	out := make([]Snapshot, n)
	for i := range n {
		f := float64(i) / float64(max(n-1, 1))
		out[i] = Snapshot{
			Date:        end.AddDays(-7 * (n - 1 - i)),
			ActiveUsers: u0 + int(f*float64(u1-u0)),
			Usage:       g0 + int64(f*float64(g1-g0)),
			Tickets:     t,
		}
	}
	return out
}

func baseAccount() *Account {
	return &Account{ID: "acme", Name: "Acme", Owner: "ana@example.com", ARR: 50_000_00, Currency: "USD",
		FeaturesAvailable: 10, FeaturesAdopted: 6, RenewalDate: today.AddDays(300)}
}

func reasonOf(t *testing.T, h Health, rule string) Reason {
	t.Helper()
	for _, r := range h.Reasons {
		if r.Rule == rule {
			return r
		}
	}
	t.Fatalf("no reason %q in %+v", rule, h.Reasons)
	return Reason{}
}
