package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/storage/postgres/pgtest"
)

// askOn runs `ask --json` with env (the database URL) and decodes it.
func askOn(t *testing.T, env map[string]string, dir, cmd string) string {
	t.Helper()
	r := run(t, env, "", "--data", dir, "ask", "--json", "--at", "2026-11-23", cmd)
	if r.code != 0 {
		t.Fatalf("%s: exit %d: %s %s", cmd, r.code, r.stdout, r.stderr)
	}
	var d any
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("%s: not JSON: %v", cmd, err)
	}
	return mustJSON(d)
}

// TestPostgresAnswersLikeBadger: ACCOUNTBOT_DATABASE_URL selects
// PostgreSQL; the same import answers the same commands as on Badger, and
// nothing is written to the data directory.
func TestPostgresAnswersLikeBadger(t *testing.T) {
	pg := map[string]string{"ACCOUNTBOT_DATABASE_URL": pgtest.Database(t)}
	pgDir, badgerDir := t.TempDir(), t.TempDir()
	for _, env := range []map[string]string{pg, nil} {
		dir := badgerDir
		if env != nil {
			dir = pgDir
		}
		r := run(t, env, "", append([]string{"--data", dir, "import"}, examples(t)...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "Imported 6 account(s): 6 new") {
			t.Fatalf("import: %+v", r)
		}
		r = run(t, env, "", append([]string{"--data", dir, "import"}, examples(t)...)...)
		if r.code != 0 || !strings.Contains(r.stdout, "0 new, 0 updated, 6 unchanged; 0 usage snapshot(s) and 0 signal(s)") {
			t.Fatalf("re-import: %+v", r)
		}
	}
	for _, cmd := range []string{"account acme health", "account hooli renewal", "account globex roi", "portfolio top", "account acme"} {
		if got, want := askOn(t, pg, pgDir, cmd), askOn(t, nil, badgerDir, cmd); got != want {
			t.Errorf("%s on PostgreSQL:\n%s\nwant (Badger):\n%s", cmd, got, want)
		}
	}
	if entries, _ := os.ReadDir(pgDir); len(entries) != 0 {
		t.Errorf("PostgreSQL run wrote to the data directory: %v", entries)
	}
	r := run(t, pg, "", "--data", pgDir, "ask", "account nosuch health")
	if r.code != 1 || !strings.Contains(r.stdout, `No account matches "nosuch"`) {
		t.Errorf("unknown account: %+v", r)
	}
}

// TestPostgresBackupRestore: backup and restore through the CLI, between
// two databases; a Badger backup is refused with a clear message.
func TestPostgresBackupRestore(t *testing.T) {
	src := map[string]string{"ACCOUNTBOT_DATABASE_URL": pgtest.Database(t)}
	dst := map[string]string{"ACCOUNTBOT_DATABASE_URL": pgtest.Database(t)}
	dir := t.TempDir()
	if r := run(t, src, "", "--data", dir, "demo", "--accounts", "40", "--owners", "3", "--weeks", "20"); r.code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	file := filepath.Join(t.TempDir(), "book.bak")
	if r := run(t, src, "", "--data", dir, "backup", file); r.code != 0 || !strings.Contains(r.stdout, "Backup of the PostgreSQL database") {
		t.Fatalf("backup: %+v", r)
	}
	if r := run(t, dst, "", "--data", dir, "restore", file); r.code != 0 || !strings.Contains(r.stdout, "40 accounts") {
		t.Fatalf("restore: %+v", r)
	}
	if a, b := askOn(t, src, dir, "portfolio top"), askOn(t, dst, dir, "portfolio top"); a != b {
		t.Errorf("restored database answers differently:\n%s\n%s", a, b)
	}
	if r := run(t, dst, "", "--data", dir, "restore", file); r.code != 1 || !strings.Contains(r.stderr, "--replace") {
		t.Errorf("restore over data: %+v", r)
	}
	badgerDir := t.TempDir()
	run(t, nil, "", "--data", badgerDir, "demo", "--accounts", "5", "--owners", "1", "--weeks", "2")
	bfile := filepath.Join(t.TempDir(), "badger.bak")
	if r := run(t, nil, "", "--data", badgerDir, "backup", bfile); r.code != 0 {
		t.Fatalf("badger backup: %+v", r)
	}
	if r := run(t, dst, "", "--data", dir, "restore", "--replace", bfile); r.code != 1 || !strings.Contains(r.stderr, "embedded (Badger) store") {
		t.Errorf("badger backup into PostgreSQL: %+v", r)
	}
}

// TestDatabaseURLInConfig: database_url in the config file selects
// PostgreSQL too; an unreachable one is a clear error.
func TestDatabaseURLInConfig(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("database_url: postgres://nobody@127.0.0.1:1/none?connect_timeout=2\n"), 0o600)
	r := run(t, nil, "", "--data", t.TempDir(), "--config", cfg, "ask", "portfolio top")
	if r.code != 1 || !strings.Contains(r.stderr, "PostgreSQL") {
		t.Errorf("unreachable database: %+v", r)
	}
}

// `accountbot config` shows database_url without its password.
func TestConfigRedactsDatabasePassword(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("database_url: postgres://bot:s3cret@db:5432/ab\n"), 0o600)
	r := run(t, nil, "", "--config", cfg, "config")
	if r.code != 0 || strings.Contains(r.stdout, "s3cret") || !strings.Contains(r.stdout, "database_url: postgres://bot:REDACTED@db:5432/ab") {
		t.Errorf("config: %+v", r)
	}
}
