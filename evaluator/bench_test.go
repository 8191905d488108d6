package evaluator_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/evaluator"
	"github.com/accountbot/accountbot/internal/cputime"
	"github.com/accountbot/accountbot/storage/badger"
	"github.com/accountbot/accountbot/storage/demo"
)

// BenchmarkProcessChanges is what one usage event costs the evaluator:
// the account (a demo account with 52 weeks of usage) is read, evaluated
// and, as its usage moved, its record, rank entries and score snapshot are
// rewritten. batch=1 is a lone change; batch=100, a burst of changes to
// 100 accounts picked up at once (under ingest load). The events' own
// writes are outside the timer; cpu-ns/change is the process's CPU
// (getrusage: Badger's goroutines included) per changed account.
func BenchmarkProcessChanges(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) { benchProcess(b, batch) })
	}
}

func benchProcess(b *testing.B, batch int) {
	ctx := context.Background()
	db, err := badger.Open(ctx, "", badger.Options{InMemory: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const n = 1000
	book := demo.Generate(demo.Options{Accounts: n, Owners: 8, Weeks: 52, Seed: 42, Today: today})
	if _, err := db.Apply(ctx, book); err != nil {
		b.Fatal(err)
	}
	ev := evaluator.New(db, evaluator.Options{Rules: domain.DefaultConfig(), RulesVersion: 1, Alerter: &alerts{},
		Now: func() time.Time { return now }})
	if _, err := ev.Check(ctx, now); err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		ids := make([]string, batch)
		patches := make([]domain.Patch, batch)
		for j := range batch {
			k := i*batch + j
			ids[j] = book[k%n].ID
			usage := domain.Snapshot{Date: today, ActiveUsers: 10 + k%50, Usage: int64(100 + k%5000)}
			patches[j] = domain.Patch{ID: ids[j], Usage: []domain.Snapshot{usage}, Source: "api"}
		}
		if _, err := db.Apply(ctx, patches); err != nil {
			b.Fatal(err)
		}
		c0 := cputime.Self()
		b.StartTimer()
		if _, err := ev.Process(ctx, now, ids); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += cputime.Self() - c0
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*batch), "cpu-ns/change")
}
