package hubspot

import (
	"context"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/hubspot/hubspottest"
	"github.com/accountbot/accountbot/storage"
)

// The targets: a full sync of 100,000 companies (with deals and
// contacts) ≤ 20 s of AccountBot's CPU and ≤ 300 MB; 1,000 changes ≤ 1 s.
// The fake runs in-process, so cpu-s is an upper bound that includes the
// fake's JSON encoding; the profile separates the two (README).
const benchCompanies = 100_000

func benchEnv(b *testing.B, g *hubspottest.Generated) (*storage.DB, *Source, *connector.Runner) {
	f := hubspottest.New(b, hubspottest.LoadPortal(b))
	f.Gen = g
	db, err := storage.Open(context.Background(), b.TempDir(), storage.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	src, err := NewSource(NewClient(f.URL(), f.Token, 0, f.Client(), nil), Config{Mapping: Mapping{Plan: "plan", Seats: "seats"}}, "USD")
	if err != nil {
		b.Fatal(err)
	}
	return db, src, &connector.Runner{Store: db, Now: time.Now}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// peakHeap samples the Go heap in use until stop is called.
func peakHeap() (stop func() uint64) {
	var mu sync.Mutex
	var peak uint64
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			mu.Lock()
			peak = max(peak, ms.HeapInuse)
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); mu.Lock(); defer mu.Unlock(); return peak }
}

func BenchmarkFullSync100k(b *testing.B) {
	g := &hubspottest.Generated{Companies: benchCompanies, Base: time.Now().Add(-30 * 24 * time.Hour)}
	for b.Loop() {
		b.StopTimer()
		_, src, r := benchEnv(b, g)
		runtime.GC()
		stop, cpu0 := peakHeap(), cpuTime()
		b.StartTimer()
		rep, err := r.Run(context.Background(), src, connector.Options{Full: true, Create: true, DefaultCurrency: "USD"})
		b.StopTimer()
		cpu, peak := cpuTime()-cpu0, stop()
		if err != nil || rep.Status.Created != benchCompanies {
			b.Fatalf("created %d, err %v", rep.Status.Created, err)
		}
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		b.StartTimer()
	}
}

func BenchmarkIncremental1000(b *testing.B) {
	base := time.Now().Add(-30 * 24 * time.Hour)
	g := &hubspottest.Generated{Companies: benchCompanies, Base: base}
	db, src, r := benchEnv(b, g)
	ctx := context.Background()
	if _, err := r.Run(ctx, src, connector.Options{Full: true, Create: true, DefaultCurrency: "USD"}); err != nil {
		b.Fatal(err)
	}
	cur, _, _ := db.SyncState(ctx, Name)
	g.Changed, g.ChangedAt = 1000, time.Now().Add(time.Hour)
	var cpu time.Duration
	for b.Loop() {
		g.Rev++
		b.StopTimer()
		if err := db.CommitPage(ctx, Name, connector.Commit{Cursor: cur}); err != nil { // back to the cursor after the full load
			b.Fatal(err)
		}
		cpu0 := cpuTime()
		b.StartTimer()
		rep, err := r.Run(ctx, src, connector.Options{Create: true, DefaultCurrency: "USD"})
		cpu += cpuTime() - cpu0
		if err != nil || rep.Status.Changed != 1000 {
			b.Fatalf("changed %d, err %v", rep.Status.Changed, err)
		}
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
}
