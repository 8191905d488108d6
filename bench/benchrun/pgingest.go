package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/ingest"
	"github.com/accountbot/accountbot/storage/postgres"
)

const pgIngestDuration = 10 * time.Second

// pgIngest is one usage-ingest run: events/s, and per batch the store's
// existence checks (one round trip per account the batch names) and Apply.
type pgIngest struct {
	clients         int
	perSec          float64
	batches, checks int64
	checkTime       time.Duration // summed over the batches
	applyTime       time.Duration
}

func (r pgIngest) String() string {
	b := max(r.batches, 1)
	return fmt.Sprintf("%.0f events/s with %d client(s); per batch of %d, %d existence checks (one round trip each) took %s, `Apply` %s",
		r.perSec, r.clients, ingestBatch, r.checks/b, (r.checkTime / time.Duration(b)).Round(time.Millisecond),
		(r.applyTime / time.Duration(b)).Round(time.Millisecond))
}

// timedStore times the calls of the ingest API that reach the database
// per record (HasAccount) and per batch (Apply).
type timedStore struct {
	*postgres.DB
	checks, batches     atomic.Int64
	checkTime, applyDur atomic.Int64
}

func (t *timedStore) HasAccount(ctx context.Context, id string) (bool, error) {
	start := time.Now()
	defer func() { t.checkTime.Add(int64(time.Since(start))); t.checks.Add(1) }()
	return t.DB.HasAccount(ctx, id)
}

func (t *timedStore) Apply(ctx context.Context, ps []domain.Patch) (domain.ApplyStats, error) {
	start := time.Now()
	defer func() { t.applyDur.Add(int64(time.Since(start))); t.batches.Add(1) }()
	return t.DB.Apply(ctx, ps)
}

// pgIngestRate posts usage batches to an in-process ingest API over db
// from clients clients for d.
func pgIngestRate(ctx context.Context, db *postgres.DB, n, clients int, d time.Duration) (pgIngest, error) {
	res := pgIngest{clients: clients}
	cfg := ingest.DefaultConfig()
	cfg.RatePerSecond, cfg.Burst = 1e6, 1e6 // the limiter is not what is measured
	ts := &timedStore{DB: db}
	mux := http.NewServeMux()
	ingest.New(ts, ingest.Options{Config: cfg}).Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tok, secret, err := ingest.NewToken("bench", []string{ingest.ScopeIngest}, time.Now())
	if err != nil {
		return res, err
	}
	if err := db.PutToken(ctx, tok); err != nil {
		return res, err
	}
	var events atomic.Int64
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 19))
			for time.Since(start) < d {
				if err := postUsage(ctx, srv.URL, secret, usageBatch(rng, n)); err != nil {
					errs <- err
					return
				}
				events.Add(ingestBatch)
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	close(errs)
	if err := <-errs; err != nil {
		return res, fmt.Errorf("posting usage: %w", err)
	}
	res.perSec = float64(events.Load()) / el.Seconds()
	res.batches, res.checks = ts.batches.Load(), ts.checks.Load()
	res.checkTime, res.applyTime = time.Duration(ts.checkTime.Load()), time.Duration(ts.applyDur.Load())
	return res, nil
}
