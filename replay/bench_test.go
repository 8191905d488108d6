package replay

import (
	"context"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// BenchmarkReplay replays 26 weeks of a 1,000-account demo book.
func BenchmarkReplay(b *testing.B) {
	f := demoBook(1000)
	cand := domain.DefaultConfig()
	cand.Health.UsageDeclineMinPct = 10
	b.ResetTimer()
	for b.Loop() {
		if _, err := Run(context.Background(), f, domain.DefaultConfig(), cand, Options{Today: today, Weeks: 26, Workers: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
