package badger

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/cputime"
	"github.com/accountbot/accountbot/storage/demo"
)

// importBenchBatch is make bench's Import batch (bench/benchrun/
// inprocess.go): demo.GenerateRange batches of 2,000 accounts with 52
// weekly usage rows each.
const importBenchBatch = 2000

func importBenchOptions(n int) demo.Options {
	return demo.Options{Accounts: n, Owners: max(8, n/250), Weeks: 52, Seed: 42, Today: domain.MustDate("2026-11-23")}
}

// importClock sums the wall and CPU time of the timed parts of an import
// (CPU: the whole process's, background compactions included, as in make
// bench's process).
type importClock struct{ wall, cpu time.Duration }

func (c *importClock) time(fn func() error) error {
	t0, c0 := time.Now(), cputime.Self()
	err := fn()
	c.wall += time.Since(t0)
	c.cpu += cputime.Self() - c0
	return err
}

// BenchmarkImport10K imports the 10K demo book through Apply into a fresh
// on-disk store, and the same records with a raw Badger WriteBatch (as
// make bench does), and reports both rates, their ratio and the CPU time
// per account of each. Batches are generated outside the timed parts.
func BenchmarkImport10K(b *testing.B) { benchImport(b, 10_000) }

// BenchmarkImport100K is BenchmarkImport10K at 100K accounts (about a
// minute a run).
func BenchmarkImport100K(b *testing.B) { benchImport(b, 100_000) }

func benchImport(b *testing.B, n int) {
	ctx := context.Background()
	opt := importBenchOptions(n)
	batches := func(fn func(ps []domain.Patch) error) func() error {
		return func() error {
			for from := 0; from < n; from += importBenchBatch {
				b.StopTimer()
				ps := demo.GenerateRange(opt, from, min(from+importBenchBatch, n))
				b.StartTimer()
				if err := fn(ps); err != nil {
					return err
				}
			}
			return nil
		}
	}
	var app, raw importClock
	for range b.N {
		b.StopTimer()
		db, err := Open(ctx, filepath.Join(b.TempDir(), "data"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := batches(func(ps []domain.Patch) error {
			return app.time(func() error { _, err := db.Apply(ctx, ps); return err })
		})(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		db.Close()

		rdb, err := badger.Open(badger.DefaultOptions(filepath.Join(b.TempDir(), "raw")).WithLogger(nil).
			WithMemTableSize(16 << 20).WithBlockCacheSize(32 << 20))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		err = batches(func(ps []domain.Patch) error {
			return raw.time(func() error {
				wb := rdb.NewWriteBatch()
				for _, p := range ps {
					for _, kv := range Records(p) {
						if err := wb.Set(kv.Key, kv.Value); err != nil {
							return err
						}
					}
				}
				return wb.Flush()
			})
		})()
		if err == nil {
			err = raw.time(rdb.Sync)
		}
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		rdb.Close()
	}
	total := float64(b.N * n)
	b.ReportMetric(total/app.wall.Seconds(), "apply-acct/s")
	b.ReportMetric(total/raw.wall.Seconds(), "raw-acct/s")
	b.ReportMetric(raw.wall.Seconds()/app.wall.Seconds()*100, "%-of-raw")
	b.ReportMetric(float64(app.cpu.Microseconds())/total, "apply-cpu-µs/acct")
	b.ReportMetric(float64(raw.cpu.Microseconds())/total, "raw-cpu-µs/acct")
}
