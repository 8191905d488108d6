package evaluator_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/pprof"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/evaluator"
	"github.com/accountbot/accountbot/ingest"
	"github.com/accountbot/accountbot/ingest/ingesttest"
	"github.com/accountbot/accountbot/internal/cputime"
)

// BenchmarkIngestWithEvaluator is `make bench`'s ingest section in one
// process, without HTTP's sockets and the answers: 4 clients post NDJSON
// batches of 500 usage events on random accounts of an on-disk demo book
// (INGEST_BENCH_ACCOUNTS, default 10,000, a year of weekly usage) while the
// evaluator re-evaluates what they change, as serve wires them. cpu-µs/event
// is the process's CPU (GC, compactions and the evaluator included) per
// event, measured until the evaluator has caught up.
func BenchmarkIngestWithEvaluator(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db, n := ingesttest.Book(b, today)
	ev := evaluator.New(db, evaluator.Options{Rules: domain.DefaultConfig(), RulesVersion: 1, Alerter: &alerts{},
		Now: func() time.Time { return now }})
	var run sync.WaitGroup
	run.Go(func() { ev.Run(ctx) })
	defer run.Wait()
	defer cancel()
	for !ev.Ready() {
		time.Sleep(10 * time.Millisecond)
	}
	cfg := ingest.DefaultConfig()
	cfg.RatePerSecond, cfg.Burst = 1e9, 1e9
	srv := ingest.New(db, ingest.Options{Config: cfg, Now: func() time.Time { return now }, Changed: ev.Changed})
	tok, secret, err := ingest.NewToken("bench", []string{ingest.ScopeIngest}, now)
	if err != nil {
		b.Fatal(err)
	}
	if err := db.PutToken(ctx, tok); err != nil {
		b.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Routes(mux)
	const batch, clients = 500, 4
	bodies := ingesttest.UsageBodies(n, batch, today)
	post := func(body []byte) {
		r := httptest.NewRequest("POST", "/api/v1/usage", bytes.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+secret)
		r.Header.Set("Content-Type", "application/x-ndjson")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		if w.Code != 200 {
			b.Error(w.Code, w.Body.String())
		}
	}
	if path := os.Getenv("INGEST_BENCH_PROFILE"); path != "" { // the timed part only, without the book's load
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	st0 := ev.Stats()
	c0 := cputime.Self()
	b.ResetTimer()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := c; i < b.N; i += clients {
				post(bodies[i%len(bodies)])
			}
		})
	}
	wg.Wait()
	for ev.Stats().Evaluated == st0.Evaluated || evaluatorBusy(ev) {
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	cpu := cputime.Self() - c0
	st := ev.Stats()
	events := float64(b.N * batch)
	b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
	b.ReportMetric(float64(st.Evaluated-st0.Evaluated)/events, "evals/event")
	b.ReportMetric(float64(st.Written-st0.Written)/events, "writes/event")
}

// evaluatorBusy reports whether the evaluator is still evaluating: its
// count moves within a few coalescing windows.
func evaluatorBusy(ev *evaluator.Evaluator) bool {
	before := ev.Stats().Evaluated
	time.Sleep(50 * time.Millisecond)
	return ev.Stats().Evaluated != before
}
