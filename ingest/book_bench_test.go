package ingest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/badger"
	"github.com/accountbot/accountbot/storage/demo"
)

// BenchmarkUsageOnBook posts NDJSON batches of 500 usage events on random
// accounts of an on-disk demo book (INGEST_BENCH_ACCOUNTS, default 10,000,
// with a year of weekly usage), as `make bench`'s ingest section does
// against serve: the cost per event of everything from the request to the
// synced write, on records of realistic size.
func BenchmarkUsageOnBook(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("INGEST_BENCH_ACCOUNTS")); err == nil {
		n = v
	}
	ctx := context.Background()
	db, err := badger.Open(ctx, b.TempDir(), badger.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	today := domain.DateOf(testNow)
	o := demo.Options{Accounts: n, Owners: max(n/250, 1), Weeks: 52, Seed: 42, Today: today}
	for from := 0; from < n; from += 2000 {
		if _, err := db.Apply(ctx, demo.GenerateRange(o, from, min(from+2000, n))); err != nil {
			b.Fatal(err)
		}
	}
	srv := New(db, Options{Config: DefaultConfig(), Now: func() time.Time { return testNow }})
	srv.cfg.RatePerSecond, srv.cfg.Burst = 1e9, 1e9
	tok, secret, err := NewToken("bench", []string{ScopeIngest}, testNow)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.PutToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Routes(mux)
	rng := rand.New(rand.NewPCG(1, 2))
	const batch = 500
	bodies := make([][]byte, 64)
	for i := range bodies {
		var buf bytes.Buffer
		for range batch {
			d := today.Time().AddDate(0, 0, -rng.IntN(7)).Format("2006-01-02")
			fmt.Fprintf(&buf, "{\"account_id\":\"acct-%05d\",\"date\":%q,\"active_users\":%d,\"usage\":%d}\n", rng.IntN(n)+1, d, 1+rng.IntN(400), rng.IntN(50000))
		}
		bodies[i] = buf.Bytes()
	}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		r := httptest.NewRequest("POST", "/api/v1/usage", bytes.NewReader(bodies[i%len(bodies)]))
		r.Header.Set("Authorization", "Bearer "+secret)
		r.Header.Set("Content-Type", "application/x-ndjson")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Fatal(w.Code, w.Body.String())
		}
		i++
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
	// The process's CPU (user+system, compactions and GC included) per
	// event: what the figure is on a shared machine.
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*batch), "cpu-µs/event")
}
