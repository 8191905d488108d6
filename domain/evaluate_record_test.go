package domain_test

import (
	"slices"
	"testing"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/demo"
)

// An evaluation made for a stored record (EvaluateOptions.Record: no
// health or tier text) stores exactly what a fully explained one does:
// record, alerts and score snapshot, across a varied book and dates.
func TestRecordEvaluationStoresWhatTheExplainedOneDoes(t *testing.T) {
	today := domain.MustDate("2026-11-23")
	book := demo.Generate(demo.Options{Accounts: 400, Owners: 6, Weeks: 52, Seed: 11, Today: today})
	cfg := domain.DefaultConfig()
	for _, p := range book {
		a := p.Core
		a.Usage, a.Signals = p.Usage, p.Signals
		a.Normalize()
		for _, d := range []domain.Date{today, today.AddDays(-45), today.AddDays(90), today.AddDays(300)} {
			full := domain.Evaluate(a, d, cfg)
			rec := domain.EvaluateWith(a, d, cfg, domain.EvaluateOptions{Record: true})
			fa, ra := domain.Alerts(a, full.Health, d, 7, cfg), domain.Alerts(a, rec.Health, d, 7, cfg)
			want, got := domain.RecordOf(&full, fa, "v2"), domain.RecordOf(&rec, ra, "v2")
			if !got.Equal(want) {
				t.Errorf("%s on %s: record\n%+v\nwant\n%+v", a.ID, d, got, want)
			}
			if gs, ws := rec.Snapshot(), full.Snapshot(); gs.Combined != ws.Combined || gs.Tier != ws.Tier || gs.Priority != ws.Priority ||
				gs.Engagement != ws.Engagement || gs.RevenuePotential != ws.RevenuePotential || gs.RetentionRisk != ws.RetentionRisk ||
				gs.EngagementBand != ws.EngagementBand || gs.PotentialBand != ws.PotentialBand || gs.RiskBand != ws.RiskBand ||
				!slices.Equal(gs.Triggers, ws.Triggers) {
				t.Errorf("%s on %s: snapshot %+v, want %+v", a.ID, d, gs, ws)
			}
		}
	}
}
