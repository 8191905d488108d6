package replay

import (
	"context"
	"testing"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/demo"
)

// BenchmarkReplay replays 26 weeks of a 1,000-account demo book.
func BenchmarkReplay(b *testing.B) {
	o := demo.Defaults(today)
	o.Accounts = 1000
	f := &fakeStore{hist: map[string][]domain.FieldState{}}
	h := demo.HistoryRange(o, 0, o.Accounts)
	for _, p := range demo.Generate(o) {
		a := p.Core
		a.Usage, a.Signals = p.Usage, p.Signals
		a.Normalize()
		f.accounts = append(f.accounts, a)
		f.hist[a.ID] = append(h.States[a.ID], domain.StateOf(a, today))
	}
	f.outcomes = h.Outcomes
	cand := domain.DefaultConfig()
	cand.Health.UsageDeclineMinPct = 10
	b.ResetTimer()
	for b.Loop() {
		if _, err := Run(context.Background(), f, domain.DefaultConfig(), cand, Options{Today: today, Weeks: 26, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
