// Package postgres is AccountBot's PostgreSQL backend: the same methods and
// semantics as the Badger store (package storage), on a database that
// several `serve` replicas share. The schema is in migrations/ and is
// applied at Open.
package postgres

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/accountbot/accountbot/internal/apijson"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the PostgreSQL-backed store. It is safe for concurrent use, by
// several goroutines and by several processes on one database.
type DB struct {
	pool  *pgxpool.Pool
	url   string
	log   *slog.Logger
	clock atomic.Pointer[func() time.Time] // dates field history (fieldhistory.go); nil: the wall clock
}

// Options configures Open.
type Options struct {
	Logger *slog.Logger
	// Tracer sees every query, batch and prepare on the pool's
	// connections (pgx's QueryTracer, and BatchTracer and PrepareTracer
	// when it implements them): the bench counts round trips with it.
	Tracer pgx.QueryTracer
}

// Open connects to the database at url (a postgres:// URL or a key=value
// DSN; empty fields come from the PG* environment variables) and applies
// the embedded migrations. Replicas that start together serialise on
// goose's advisory lock, so each migration runs once.
func Open(ctx context.Context, url string, opt Options) (*DB, error) {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("reading the database URL: %w (expected postgres://user:password@host:5432/dbname)", err)
	}
	if opt.Tracer != nil {
		cfg.ConnConfig.Tracer = opt.Tracer
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connecting to PostgreSQL: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to PostgreSQL at %s: %w", cfg.ConnConfig.Host, err)
	}
	s := &DB{pool: pool, url: url, log: log}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

func (s *DB) migrate(ctx context.Context) error {
	sqlDB := stdlib.OpenDBFromPool(s.pool)
	defer sqlDB.Close()
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("preparing the migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, mustSub(migrations, "migrations"),
		goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("loading migrations: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrating the database schema: %w", err)
	}
	for _, r := range res {
		s.log.Info("database migration applied", "version", r.Source.Version, "took", r.Duration)
	}
	return nil
}

// Close closes the pool.
func (s *DB) Close() error {
	s.pool.Close()
	return nil
}

// Sync is a no-op: PostgreSQL makes every commit durable before it returns.
func (s *DB) Sync() error { return nil }

// URL returns the database URL the store was opened with (for the leader
// elector's dedicated connection).
func (s *DB) URL() string { return s.url }

// Pool returns the connection pool (tests, bench).
func (s *DB) Pool() *pgxpool.Pool { return s.pool }

// Empty reports whether the store holds no accounts.
func (s *DB) Empty(ctx context.Context) (bool, error) {
	var any bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts)`).Scan(&any); err != nil {
		return false, fmt.Errorf("counting accounts: %w", err)
	}
	return !any, nil
}

// RunGC deletes expired rows (event ids, write ids, idempotency records,
// Segment markers, old ledger entries) every interval until ctx ends: the
// Badger store's TTLs.
func (s *DB) RunGC(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.expire(ctx, time.Now()); err != nil && ctx.Err() == nil {
				s.log.Warn("deleting expired rows", "err", err)
			}
		}
	}
}

func (s *DB) expire(ctx context.Context, now time.Time) error {
	for _, q := range []string{
		`DELETE FROM events WHERE expires_at <= $1`,
		`DELETE FROM write_ids WHERE expires_at <= $1`,
		`DELETE FROM idempotency WHERE expires_at <= $1`,
		`DELETE FROM segment_msgs WHERE expires_at <= $1`,
		`DELETE FROM segment_active WHERE expires_at <= $1`,
	} {
		if _, err := s.pool.Exec(ctx, q, now); err != nil {
			return err
		}
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM ledger WHERE updated_at <= $1`, now.Add(-ledgerTTL))
	return err
}

// tx runs fn in one transaction, retrying serialisation failures,
// deadlocks (two replicas writing the same rows) and errRetry a few times.
func (s *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	var err error
	for attempt := range 5 {
		err = pgx.BeginFunc(ctx, s.pool, fn)
		var pe *pgconn.PgError
		if !errors.Is(err, errRetry) && (!errors.As(err, &pe) || (pe.Code != "40001" && pe.Code != "40P01")) {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
	}
	return err
}

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encoding %T: %v", v, err)) // only plain structs are encoded
	}
	return b
}

// getJSON decodes one JSON column of one row into v; false when no row.
func getJSON(ctx context.Context, q querier, v any, sql string, args ...any) (bool, error) {
	var b []byte
	err := q.QueryRow(ctx, sql, args...).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, apijson.Unmarshal(b, v)
}

// collectJSON decodes the single JSON column of every row.
func collectJSON[T any](ctx context.Context, q querier, sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) {
		var b []byte
		var v T
		if err := r.Scan(&b); err != nil {
			return v, err
		}
		return v, apijson.Unmarshal(b, &v)
	})
}

func mustSub(f embed.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
