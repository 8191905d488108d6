package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	neturl "net/url"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
	"github.com/accountbot/accountbot/storage/demo"
	"github.com/accountbot/accountbot/storage/postgres"
	"github.com/accountbot/accountbot/storage/postgres/pgtest"
)

// postgresSection measures the PostgreSQL store on the largest book, next
// to the Badger rows of the same run: import through Apply against a raw
// COPY of the same rows, the in-process answer p99, usage ingest through
// the HTTP API, and `serve` replicas pinned to cores (replicas.go). It
// needs a server (PGHOST/PG* or ACCOUNTBOT_BENCH_DATABASE_URL: an admin
// connection that may create a database) and says so when there is none.
func postgresSection(ctx context.Context, o options) (sectionResult, error) {
	const head = "## PostgreSQL (`storage/postgres`, same book)\n\n"
	admin := os.Getenv("ACCOUNTBOT_BENCH_DATABASE_URL")
	if admin == "" && os.Getenv("PGHOST") != "" {
		admin = "dbname=" + envOrDefault("PGDATABASE", "postgres")
	}
	if admin == "" {
		return sectionResult{markdown: head + "Not measured: no server. `make bench` runs this section on a throw-away cluster when " +
			"PostgreSQL is installed (`pg_virtualenv`, e.g. `apt-get install postgresql`), or set ACCOUNTBOT_BENCH_DATABASE_URL.\n"}, nil
	}
	n := o.sizes[len(o.sizes)-1]
	url, err := benchDatabase(ctx, admin, "accountbot_bench")
	if err != nil {
		return sectionResult{}, err
	}
	// The server is on this machine (the replicas part checks): loopback
	// without TLS, as a local server is used, unless sslmode is set. The
	// answer is also timed over TLS when the server offers it.
	url, tlsURL := withSSLMode(url, "disable"), withSSLMode(url, "require")
	res, err := measurePostgres(ctx, url, tlsURL, n, o)
	if err != nil {
		return sectionResult{}, err
	}
	var b strings.Builder
	b.WriteString(head)
	fmt.Fprintf(&b, "One process, one local PostgreSQL %s on the same machine (load average %s).\n\n", res.version, res.load)
	b.WriteString("| accounts | import accounts/s | raw COPY accounts/s | import ÷ COPY | `health` p50 | p99 | usage events/s (HTTP API) | Segment events/s |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(&b, "| %d | %.0f | %.0f | %.0f%% %s | %s | %s %s | %.0f %s | %.0f |\n", n, res.importPerSec, res.copyPerSec,
		100*res.importPerSec/res.copyPerSec, verdict(res.importOK()), ms(res.healthP50), ms(res.healthP99),
		verdict(res.answerOK()), res.usage.perSec, verdict(res.ingestOK()), res.segmentPerSec)
	b.WriteString("\nImport is `Apply` in writes of 2,000 accounts with 52 weekly usage rows each (records, name index, external ids, " +
		"field history, usage, signals), book generation excluded; raw COPY writes the same account records and usage rows with " +
		"binary COPY into tables of the same shape (`LIKE … INCLUDING ALL`: the same primary keys and indexes), timing only the COPYs. " +
		fmt.Sprintf("CPU, which other work on the machine disturbs less than time: the import took %s, the COPY %s (%.0f%%; "+
			"the server's counted until it was idle after each). ", res.importCPU, res.copyCPU,
			100*(res.copyCPU.self+res.copyCPU.pg).Seconds()/max(1e-9, (res.importCPU.self+res.importCPU.pg).Seconds())) +
		"`health` is `account X health` through the command engine, in-process, " +
		"on a settled database (after VACUUM (ANALYZE) and a checkpoint, as after any bulk load, with the server idle); " +
		fmt.Sprintf("each answer cost %s of this process's CPU (engine, pgx; profile `pg-answer-%d.cpu.pprof`) and %s of PostgreSQL's, "+
			"in %.2f round trips to the server (queries, batches and prepares sent, counted by a pgx tracer; the account, its usage, "+
			"signals and score history are read in one). ", ms(res.selfCPU), n, ms(res.pgCPU), res.roundTrips) + tlsNote(res) + "Usage events are NDJSON batches of " +
		fmt.Sprint(ingestBatch) + " posted by " + fmt.Sprint(ingestClients) + " clients to an in-process `POST /api/v1/usage` " +
		"(authentication, decoding, validation, one `Apply` per batch, answered after commit) for " + pgIngestDuration.String() +
		"; Segment events are 20,000 accepted into the inbox in requests of 100.\n")
	fmt.Fprintf(&b, "\nWhere a usage batch's time goes: %s. One client alone: %s.\n", res.usage, res.usageOne)
	var rep replicaReport
	if o.skipServe {
		rep.markdown = "\n### Replicas\n\nNot measured (-skip-serve).\n"
	} else if rep, err = measureReplicas(ctx, url, n, o); err != nil {
		fmt.Fprintf(&b, "\n### Replicas\n\nFailed: %v\n", err)
	} else {
		b.WriteString(rep.markdown)
	}
	return sectionResult{markdown: b.String(), targets: append([]targetRow{
		{fmt.Sprintf("PostgreSQL: import ≥ 50%% of a raw COPY of the same rows (%d accounts)", n),
			fmt.Sprintf("%.0f%%", 100*res.importPerSec/res.copyPerSec), res.importOK()},
		{fmt.Sprintf("PostgreSQL: answer p99 ≤ 2 ms in-process at %d accounts", n), ms(res.healthP99), res.answerOK()},
		{"PostgreSQL: ingest ≥ 10,000 usage events/s", fmt.Sprintf("%.0f events/s", res.usage.perSec), res.ingestOK()},
	}, rep.targets...)}, nil
}

// tlsNote says how the answer fared over TLS, or why it was not timed so.
func tlsNote(r pgResult) string {
	switch {
	case r.tlsErr != nil:
		return fmt.Sprintf("Over TLS it was not timed: %v. ", r.tlsErr)
	case r.tlsP99 == 0:
		return "Connections use the sslmode set in the environment. "
	}
	return fmt.Sprintf("Connections run over loopback TCP without TLS (sslmode=disable), as to a server on the same machine; "+
		"with TLS (sslmode=require) the same answer took p50 %s, p99 %s. ", ms(r.tlsP50), ms(r.tlsP99))
}

func envOrDefault(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

type pgResult struct {
	importPerSec, copyPerSec float64
	usage, usageOne          pgIngest // four clients, one alone
	segmentPerSec            float64
	healthP50, healthP99     time.Duration
	selfCPU, pgCPU           time.Duration // per answer: this process (engine, pgx), PostgreSQL
	roundTrips               float64       // per answer: queries, batches and prepares sent
	tlsP50, tlsP99           time.Duration // the answer over TLS (sslmode=require)
	tlsErr                   error         // why it was not timed over TLS
	importCPU, copyCPU       cpuSplit
	version, load            string
}

func (r pgResult) importOK() bool { return r.importPerSec >= r.copyPerSec/2 }
func (r pgResult) answerOK() bool { return r.healthP99 <= 2*time.Millisecond }
func (r pgResult) ingestOK() bool { return r.usage.perSec >= 10000 }

// benchDatabase creates a fresh database and returns its connection
// string; admin is a key=value DSN or a postgres:// URL.
func benchDatabase(ctx context.Context, admin, name string) (string, error) {
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", fmt.Errorf("connecting to the bench server: %w", err)
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("creating the bench database: %w", err)
	}
	if !strings.HasPrefix(admin, "postgres://") && !strings.HasPrefix(admin, "postgresql://") {
		return admin + " dbname=" + name, nil
	}
	u, err := neturl.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("ACCOUNTBOT_BENCH_DATABASE_URL: %w", err)
	}
	u.Path = "/" + name
	return u.String(), nil
}

func measurePostgres(ctx context.Context, url, tlsURL string, n int, o options) (pgResult, error) {
	res := pgResult{load: loadAvg()}
	trips := &pgtest.RoundTrips{}
	db, err := postgres.Open(ctx, url, postgres.Options{Tracer: trips})
	if err != nil {
		return res, err
	}
	defer db.Close()
	db.Pool().QueryRow(ctx, "SHOW server_version").Scan(&res.version)
	opt := demo.Options{Accounts: n, Owners: owners(n), Weeks: o.weeks, Seed: 42, Today: today}
	post := serverOf(ctx, db)
	var genTime time.Duration
	start, pg0 := time.Now(), serverCPU(post)
	for from := 0; from < n; from += 2000 {
		g := time.Now()
		ps := demo.GenerateRange(opt, from, min(from+2000, n))
		genTime += time.Since(g)
		self0 := selfCPU()
		if _, err := db.Apply(ctx, ps); err != nil {
			return res, err
		}
		res.importCPU.self += selfCPU() - self0
	}
	res.importPerSec = float64(n) / (time.Since(start) - genTime).Seconds()
	res.importCPU.pg = settleServer(post) - pg0
	log.Printf("postgres: import %.0f accounts/s", res.importPerSec)
	if res.copyPerSec, err = rawCopy(ctx, db, opt, n, post, &res.copyCPU); err != nil {
		return res, err
	}
	if err := measurePGAnswers(ctx, db, trips, url, n, o, &res); err != nil {
		return res, err
	}
	if tlsURL != url {
		res.tlsP50, res.tlsP99, res.tlsErr = answersOverTLS(ctx, tlsURL, n)
	}
	if res.usage, err = pgIngestRate(ctx, db, n, ingestClients, pgIngestDuration); err != nil {
		return res, err
	}
	if res.usageOne, err = pgIngestRate(ctx, db, n, 1, pgIngestDuration/2); err != nil {
		return res, err
	}
	res.segmentPerSec, err = segmentRate(ctx, db)
	res.load += " → " + loadAvg()
	return res, err
}

// measurePGAnswers times `account X health` on a settled database: the
// COPY's tables dropped, VACUUM (ANALYZE) and a checkpoint run (as after
// any bulk load; otherwise autovacuum may still be working through the ten
// million rows just written, on one of the two cores), and the server
// idle. It profiles this process and counts the CPU each side
// spends per answer.
func measurePGAnswers(ctx context.Context, db *postgres.DB, trips *pgtest.RoundTrips, url string, n int, o options, res *pgResult) error {
	post, err := postmaster(ctx, url)
	if err != nil {
		return err
	}
	if err := tidy(ctx, url); err != nil {
		return err
	}
	settle(serverPIDs(post), time.Minute)
	e := bot.NewEngine(db, domain.DefaultConfig(), nil)
	ids := sampleIDs(n)
	prof, _ := os.Create(filepath.Join(o.profiles, fmt.Sprintf("pg-answer-%d.cpu.pprof", n)))
	pprof.StartCPUProfile(prof)
	pg := serverPIDs(post) // the pool's backends are up: the import used them
	pg0, self0, trips0 := sumCPU(pg), selfCPU(), trips.N()
	lat, err := measureCommand(ctx, e, ids, today.Time().Add(9*time.Hour), "health")
	res.pgCPU, res.selfCPU = (sumCPU(pg)-pg0)/time.Duration(len(ids)), (selfCPU()-self0)/time.Duration(len(ids))
	res.roundTrips = float64(trips.N()-trips0) / float64(len(ids))
	pprof.StopCPUProfile()
	prof.Close()
	if err != nil {
		return err
	}
	res.healthP50, res.healthP99 = percentile(lat, .5), percentile(lat, .99)
	return nil
}

// answersOverTLS times `account X health` as measurePGAnswers does, on a
// pool that connects with TLS.
func answersOverTLS(ctx context.Context, url string, n int) (p50, p99 time.Duration, err error) {
	db, err := postgres.Open(ctx, url, postgres.Options{})
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	lat, err := measureCommand(ctx, bot.NewEngine(db, domain.DefaultConfig(), nil), sampleIDs(n), today.Time().Add(9*time.Hour), "health")
	if err != nil {
		return 0, 0, err
	}
	return percentile(lat, .5), percentile(lat, .99), nil
}

// withSSLMode sets sslmode in a key=value DSN or a postgres:// URL unless
// it (or PGSSLMODE) is set already.
func withSSLMode(dsn, mode string) string {
	if os.Getenv("PGSSLMODE") != "" || strings.Contains(dsn, "sslmode=") {
		return dsn
	}
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " sslmode=" + mode
	}
	u, err := neturl.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set("sslmode", mode)
	u.RawQuery = q.Encode()
	return u.String()
}

// cpuSplit is the CPU a phase took in this process (its Apply or COPY
// calls only) and in the PostgreSQL server (every process, until it
// settled after the phase: autovacuum and the checkpointer included).
type cpuSplit struct{ self, pg time.Duration }

func (c cpuSplit) String() string {
	return fmt.Sprintf("%.1f s (this process %.1f s, PostgreSQL %.1f s)", (c.self + c.pg).Seconds(), c.self.Seconds(), c.pg.Seconds())
}

// serverOf returns the local server's main process, 0 when not found.
func serverOf(ctx context.Context, db *postgres.DB) int {
	var backend int
	if db.Pool().QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&backend) != nil {
		return 0
	}
	return ppid(backend)
}

// serverCPU is the CPU time of the server's processes so far: the main
// process's own and its exited children's (autovacuum workers come and
// go), and its live children's.
func serverCPU(post int) time.Duration {
	if post <= 0 {
		return 0
	}
	t := childrenCPU(post)
	for _, p := range serverPIDs(post) {
		t += procCPU(p)
	}
	return t
}

// settleServer waits (up to two minutes) until the server is idle and
// returns its CPU so far.
func settleServer(post int) time.Duration {
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		c := serverCPU(post)
		time.Sleep(2 * time.Second)
		if serverCPU(post)-c < 100*time.Millisecond {
			break
		}
	}
	return serverCPU(post)
}

// rawCopy writes the same account records and usage rows with COPY into
// tables of the same shape, timing only the COPYs; cpu gets this process's
// CPU in them and the server's until it settles after them.
func rawCopy(ctx context.Context, db *postgres.DB, opt demo.Options, n, post int, cpu *cpuSplit) (float64, error) {
	pool := db.Pool()
	if _, err := pool.Exec(ctx, `CREATE TABLE raw_accounts (LIKE accounts INCLUDING ALL); CREATE TABLE raw_usage (LIKE usage INCLUDING ALL)`); err != nil {
		return 0, err
	}
	var copyTime time.Duration
	pg0 := serverCPU(post)
	defer func() { cpu.pg = settleServer(post) - pg0 }()
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
		t0, self0 := time.Now(), selfCPU()
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{"raw_accounts"}, []string{"id", "record", "owner", "renewal"}, pgx.CopyFromRows(accts)); err != nil {
			return 0, err
		}
		if _, err := pool.CopyFrom(ctx, pgx.Identifier{"raw_usage"}, []string{"id", "day", "active_users", "usage", "tickets"}, pgx.CopyFromRows(usage)); err != nil {
			return 0, err
		}
		copyTime += time.Since(t0)
		cpu.self += selfCPU() - self0
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
