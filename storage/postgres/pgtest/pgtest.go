// Package pgtest gives tests a fresh PostgreSQL database of their own, on
// the server the PG* environment variables (or ACCOUNTBOT_TEST_DATABASE_URL)
// name: `pg_virtualenv -t go test ./...` provides one. Without a server the
// test is skipped with a clear "skipping PostgreSQL tests" message, unless
// ACCOUNTBOT_REQUIRE_PG=1 (CI), which makes it fail instead.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// ServerURL returns the admin connection string, or "" when no server is
// configured.
func ServerURL() string {
	if u := os.Getenv("ACCOUNTBOT_TEST_DATABASE_URL"); u != "" {
		return u
	}
	if os.Getenv("PGHOST") != "" || os.Getenv("PGPORT") != "" {
		return "dbname=" + envOr("PGDATABASE", "postgres")
	}
	return ""
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// Schema gives the test an empty schema of its own in one database shared
// by the package's tests (created once per test binary), and returns a
// connection string whose search_path is that schema: much cheaper than a
// database per test. Tests that take database-wide advisory locks (leader
// election) need Database instead.
func Schema(t testing.TB) string {
	t.Helper()
	shared.once.Do(func() { shared.url = Database(sharedOwner{t}) })
	if shared.url == "" {
		t.Skip("skipping PostgreSQL tests: no server (set PGHOST/PG* or ACCOUNTBOT_TEST_DATABASE_URL, or run under `pg_virtualenv -t`)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, shared.url)
	if err != nil {
		t.Fatalf("connecting to the test database: %v", err)
	}
	defer conn.Close(ctx)
	name := "t_" + randomName()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("creating test schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, shared.url); err == nil {
			c.Exec(ctx, "DROP SCHEMA IF EXISTS "+name+" CASCADE")
			c.Close(ctx)
		}
	})
	return withParam(shared.url, "search_path", name)
}

// shared is the package's database for Schema; it is dropped when the
// test binary exits only if the server goes away with it (pg_virtualenv).
var shared struct {
	once sync.Once
	url  string
}

// sharedOwner lets the shared database outlive the first test that asked
// for it: its cleanup never runs, and a skip or failure is the test's.
type sharedOwner struct{ testing.TB }

func (sharedOwner) Cleanup(func()) {}

func randomName() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// withParam adds a run-time parameter to a URL or key=value string.
func withParam(conn, key, val string) string {
	if strings.HasPrefix(conn, "postgres://") || strings.HasPrefix(conn, "postgresql://") {
		if u, err := url.Parse(conn); err == nil {
			q := u.Query()
			q.Set(key, val)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return conn + " " + key + "=" + val
}

// Database creates an empty database for this test, drops it when the
// test ends, and returns its connection string. Each test has its own, so
// packages and tests can run in parallel on one server.
func Database(t testing.TB) string {
	t.Helper()
	admin := ServerURL()
	if admin == "" {
		if os.Getenv("ACCOUNTBOT_REQUIRE_PG") == "1" {
			t.Fatal("PostgreSQL tests are required (ACCOUNTBOT_REQUIRE_PG=1) but no server is configured: set PGHOST or run under `pg_virtualenv -t`")
		}
		t.Skip("skipping PostgreSQL tests: no server (set PGHOST/PG* or ACCOUNTBOT_TEST_DATABASE_URL, or run under `pg_virtualenv -t`)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("connecting to the test PostgreSQL server: %v", err)
	}
	defer conn.Close(ctx)
	name := "accountbot_test_" + randomName()
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("creating test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Logf("dropping test database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Logf("dropping test database %s: %v", name, err)
		}
	})
	return withDB(admin, name)
}

// withDB points a URL or a key=value string at database name.
func withDB(admin, name string) string {
	if strings.HasPrefix(admin, "postgres://") || strings.HasPrefix(admin, "postgresql://") {
		if u, err := url.Parse(admin); err == nil {
			u.Path = "/" + name
			return u.String()
		}
	}
	return admin + " dbname=" + name // the last value of a key wins
}
