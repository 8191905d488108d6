package ingest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/ingest/ingesttest"
	"github.com/accountbot/accountbot/internal/cputime"
)

// BenchmarkUsageOnBook posts NDJSON batches of 500 usage events on random
// accounts of an on-disk demo book (INGEST_BENCH_ACCOUNTS, default 10,000,
// with a year of weekly usage), as `make bench`'s ingest section does
// against serve: the cost per event of everything from the request to the
// synced write, on records of realistic size.
func BenchmarkUsageOnBook(b *testing.B) {
	today := domain.DateOf(testNow)
	db, n := ingesttest.Book(b, today)
	ctx := context.Background()
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
	const batch = 500
	bodies := ingesttest.UsageBodies(n, batch, today)
	cpu0 := cputime.Self()
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
	cpu := cputime.Self() - cpu0
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
	// The process's CPU (user+system, compactions and GC included) per
	// event: what the figure is on a shared machine.
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*batch), "cpu-µs/event")
}
