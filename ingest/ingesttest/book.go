// Package ingesttest holds what the ingest benchmarks share: an on-disk
// demo book of realistic size and NDJSON batches of usage events on it
// (ingest's own and the evaluator's, which runs the same load with the
// evaluator following the writes). It imports neither, so ingest's
// internal tests can use it.
package ingesttest

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/badger"
	"github.com/accountbot/accountbot/storage/demo"
)

// Book opens a Badger store in a temporary directory and loads the demo
// book into it: INGEST_BENCH_ACCOUNTS accounts (default 10,000, 250 per
// owner) with a year of weekly usage up to today. It returns the store
// (closed when the benchmark ends) and the number of accounts.
func Book(tb testing.TB, today domain.Date) (*badger.DB, int) {
	tb.Helper()
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("INGEST_BENCH_ACCOUNTS")); err == nil {
		n = v
	}
	ctx := context.Background()
	db, err := badger.Open(ctx, tb.TempDir(), badger.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	o := demo.Options{Accounts: n, Owners: max(n/250, 1), Weeks: 52, Seed: 42, Today: today}
	for from := 0; from < n; from += 2000 {
		if _, err := db.Apply(ctx, demo.GenerateRange(o, from, min(from+2000, n))); err != nil {
			tb.Fatal(err)
		}
	}
	return db, n
}

// UsageBodies are 64 NDJSON bodies of batch usage events each, on random
// accounts of a demo book of n accounts and random days of the week up to
// today (the same bodies on every run).
func UsageBodies(n, batch int, today domain.Date) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	bodies := make([][]byte, 64)
	for i := range bodies {
		var buf bytes.Buffer
		for range batch {
			d := today.Time().AddDate(0, 0, -rng.IntN(7)).Format("2006-01-02")
			fmt.Fprintf(&buf, "{\"account_id\":\"acct-%05d\",\"date\":%q,\"active_users\":%d,\"usage\":%d}\n", rng.IntN(n)+1, d, 1+rng.IntN(400), rng.IntN(50000))
		}
		bodies[i] = buf.Bytes()
	}
	return bodies
}
