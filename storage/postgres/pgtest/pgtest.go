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
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "accountbot_test_" + hex.EncodeToString(b[:])
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
