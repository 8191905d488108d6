package domain_test

import (
	"testing"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/demo"
)

// The trend's quiet score must be exactly the explained score's total, on
// every kind of account the demo book has and on each week of a trend.
func TestCombinedScoreIsScoreHealthsCombined(t *testing.T) {
	today := domain.MustDate("2026-11-23")
	cfg := domain.DefaultConfig().Health
	for _, p := range demo.GenerateRange(demo.Options{Accounts: 300, Owners: 8, Weeks: 52, Seed: 42, Today: today}, 0, 300) {
		a := *p.Core
		a.Stakeholders, a.Usage, a.Signals = p.Stakeholders, p.Usage, p.Signals
		for k := range 12 {
			day := today.AddDays(-7 * k)
			want := domain.ScoreHealth(&a, day, cfg).Combined
			if got := domain.CombinedScore(&a, day, cfg); got != want {
				t.Fatalf("%s on %s: CombinedScore %d, ScoreHealth's Combined %d", a.ID, day, got, want)
			}
		}
	}
}
