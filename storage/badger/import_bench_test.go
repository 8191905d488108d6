package badger

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/demo"
)

// importBenchAccounts and importBenchBatch are make bench's Import row at
// 10K accounts (bench/benchrun/inprocess.go): demo.GenerateRange batches
// of 2,000 accounts with 52 weekly usage rows each.
const (
	importBenchAccounts = 10000
	importBenchBatch    = 2000
)

func importBenchOptions() demo.Options {
	return demo.Options{Accounts: importBenchAccounts, Owners: max(8, importBenchAccounts/250), Weeks: 52,
		Seed: 42, Today: domain.MustDate("2026-11-23")}
}

// processCPU is the CPU time (user + system) the process has used so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// importClock sums the wall and CPU time of the timed parts of an import.
type importClock struct{ wall, cpu time.Duration }

func (c *importClock) time(b *testing.B, fn func() error) {
	t0, c0 := time.Now(), processCPU(b)
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	c.wall += time.Since(t0)
	c.cpu += processCPU(b) - c0
}

// BenchmarkImport10K imports the 10K demo book through Apply into a fresh
// on-disk store, and the same records with a raw Badger WriteBatch (as
// make bench does), and reports both rates, their ratio and the CPU time
// per account of each. Batches are generated outside the timed parts.
func BenchmarkImport10K(b *testing.B) {
	ctx := context.Background()
	opt := importBenchOptions()
	var batches [][]domain.Patch
	for from := 0; from < importBenchAccounts; from += importBenchBatch {
		batches = append(batches, demo.GenerateRange(opt, from, min(from+importBenchBatch, importBenchAccounts)))
	}
	var app, raw importClock
	for range b.N {
		b.StopTimer()
		db, err := Open(ctx, filepath.Join(b.TempDir(), "data"), Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, ps := range batches {
			app.time(b, func() error { _, err := db.Apply(ctx, ps); return err })
		}
		b.StopTimer()
		db.Close()

		rdb, err := badger.Open(badger.DefaultOptions(filepath.Join(b.TempDir(), "raw")).WithLogger(nil).
			WithMemTableSize(16 << 20).WithBlockCacheSize(32 << 20))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, ps := range batches {
			raw.time(b, func() error {
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
		}
		raw.time(b, rdb.Sync)
		b.StopTimer()
		rdb.Close()
	}
	n := float64(b.N * importBenchAccounts)
	b.ReportMetric(n/app.wall.Seconds(), "apply-acct/s")
	b.ReportMetric(n/raw.wall.Seconds(), "raw-acct/s")
	b.ReportMetric(raw.wall.Seconds()/app.wall.Seconds()*100, "%-of-raw")
	b.ReportMetric(float64(app.cpu.Microseconds())/n, "apply-cpu-µs/acct")
	b.ReportMetric(float64(raw.cpu.Microseconds())/n, "raw-cpu-µs/acct")
}
