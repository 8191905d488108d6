package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
	"github.com/accountbot/accountbot/storage/demo"
	"github.com/accountbot/accountbot/storage/postgres"
)

// postgresSection measures the PostgreSQL store on the largest book, next
// to the Badger rows of the same run: import through Apply against a raw
// COPY of the same rows, the in-process answer p99, and Segment ingest.
// It needs a server (PGHOST/PG* or ACCOUNTBOT_BENCH_DATABASE_URL: an admin
// connection that may create a database) and says so when there is none.
func postgresSection(ctx context.Context, o options) (sectionResult, error) {
	md := postgresMarkdown(ctx, o.sizes[len(o.sizes)-1], o)
	return sectionResult{markdown: md}, nil
}

func postgresMarkdown(ctx context.Context, n int, o options) string {
	const head = "## PostgreSQL (`storage/postgres`, same book)\n\n"
	admin := os.Getenv("ACCOUNTBOT_BENCH_DATABASE_URL")
	if admin == "" && os.Getenv("PGHOST") != "" {
		admin = "dbname=" + envOrDefault("PGDATABASE", "postgres")
	}
	if admin == "" {
		return head + "Not measured: no PostgreSQL server (run `pg_virtualenv -t make bench`, or set ACCOUNTBOT_BENCH_DATABASE_URL).\n"
	}
	res, err := measurePostgres(ctx, admin, n, o)
	if err != nil {
		return head + "Failed: " + err.Error() + "\n"
	}
	var b strings.Builder
	b.WriteString(head)
	b.WriteString("| accounts | import accounts/s | raw COPY accounts/s | import ÷ COPY (target ≥ 50%) | `health` p50 | p99 (target ≤ 2 ms) | Segment events/s (target ≥ 10,000) |\n|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %.0f | %.0f | %.0f%% %s | %s | %s %s | %.0f %s |\n", n, res.importPerSec, res.copyPerSec,
		100*res.importPerSec/res.copyPerSec, verdict(res.importPerSec >= res.copyPerSec/2), ms(res.healthP50), ms(res.healthP99),
		verdict(res.healthP99 <= 2*time.Millisecond), res.eventsPerSec, verdict(res.eventsPerSec >= 10000))
	b.WriteString("\nOne process, one local server on the same machine. Not measured yet: one replica pinned to one core against two pinned to one core each (`taskset`).\n")
	return b.String()
}

func envOrDefault(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

type pgResult struct {
	importPerSec, copyPerSec, eventsPerSec float64
	healthP50, healthP99                   time.Duration
}

// benchDatabase creates a fresh database and returns its connection string.
func benchDatabase(ctx context.Context, admin, name string) (string, error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	if strings.HasPrefix(admin, "postgres") {
		return "", fmt.Errorf("ACCOUNTBOT_BENCH_DATABASE_URL: give it as key=value settings (host=… user=…), not a URL")
	}
	return admin + " dbname=" + name, nil
}

func measurePostgres(ctx context.Context, admin string, n int, o options) (pgResult, error) {
	var res pgResult
	url, err := benchDatabase(ctx, admin, "accountbot_bench")
	if err != nil {
		return res, err
	}
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		return res, err
	}
	defer db.Close()
	opt := demo.Options{Accounts: n, Owners: owners(n), Weeks: o.weeks, Seed: 42, Today: today}
	var genTime time.Duration
	start := time.Now()
	for from := 0; from < n; from += 2000 {
		g := time.Now()
		ps := demo.GenerateRange(opt, from, min(from+2000, n))
		genTime += time.Since(g)
		if _, err := db.Apply(ctx, ps); err != nil {
			return res, err
		}
	}
	res.importPerSec = float64(n) / (time.Since(start) - genTime).Seconds()
	if res.copyPerSec, err = rawCopy(ctx, db, opt, n); err != nil {
		return res, err
	}
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	lat, err := measureCommand(ctx, e, sampleIDs(n), today.Time().Add(9*time.Hour), "health")
	if err != nil {
		return res, err
	}
	res.healthP50, res.healthP99 = percentile(lat, .5), percentile(lat, .99)
	res.eventsPerSec, err = segmentRate(ctx, db)
	return res, err
}

// rawCopy writes the same account records and usage rows with COPY into
// tables of the same shape, timing only the COPYs.
func rawCopy(ctx context.Context, db *postgres.DB, opt demo.Options, n int) (float64, error) {
	pool := db.Pool()
	if _, err := pool.Exec(ctx, `CREATE TABLE raw_accounts (LIKE accounts); CREATE TABLE raw_usage (LIKE usage)`); err != nil {
		return 0, err
	}
	var copyTime time.Duration
	for from := 0; from < n; from += 2000 {
		ps := demo.GenerateRange(opt, from, min(from+2000, n))
		var accts, usage [][]any
		for _, p := range ps {
			a := *p.Core
			a.Usage, a.Signals = nil, nil
			accts = append(accts, []any{p.ID, recordJSON(a), a.Owner, int32(a.RenewalDate)})
			for _, u := range p.Usage {
				usage = append(usage, []any{p.ID, int32(u.Date), int32(u.ActiveUsers), u.Usage, int32(u.Tickets)})
			}
		}
		t0 := time.Now()
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{"raw_accounts"}, []string{"id", "record", "owner", "renewal"}, pgx.CopyFromRows(accts)); err != nil {
			return 0, err
		}
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{"raw_usage"}, []string{"id", "day", "active_users", "usage", "tickets"}, pgx.CopyFromRows(usage)); err != nil {
			return 0, err
		}
		copyTime += time.Since(t0)
	}
	return float64(n) / copyTime.Seconds(), nil
}

// segmentRate accepts 20,000 Segment events in requests of 100 (what the
// receiver stores before acknowledging) and returns events per second.
func segmentRate(ctx context.Context, db *postgres.DB) (float64, error) {
	const total, per = 20000, 100
	start := time.Now()
	for i := 0; i < total; i += per {
		evs := make([]storage.SegmentIn, per)
		for j := range evs {
			evs[j] = storage.SegmentIn{MessageID: fmt.Sprintf("bench-%d", i+j), Raw: []byte(`{"type":"track","event":"x"}`)}
		}
		if _, _, err := db.AcceptSegment(ctx, evs); err != nil {
			return 0, err
		}
	}
	return total / time.Since(start).Seconds(), nil
}

func recordJSON(a domain.Account) []byte {
	b, err := json.Marshal(a)
	if err != nil {
		panic(err) // a plain struct
	}
	return b
}
