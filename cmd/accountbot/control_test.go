package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/control"
	"github.com/accountbot/accountbot/storage"
)

// With serve running, backup and import go through its control socket
// (the store is locked to it); restore is checked before it pauses
// anything (liverestore_test.go restores for real).
func TestBackupAndImportWhileServing(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true}`))
	}))
	defer fake.Close()
	var files []string
	for _, f := range examples(t) {
		abs, _ := filepath.Abs(f)
		files = append(files, abs)
	}
	dir, err := os.MkdirTemp("", "serve")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "shh", "SLACK_API_URL": fake.URL + "/api",
		"ACCOUNTBOT_ADDR": "127.0.0.1:0"}
	srv := startServe(t, dir, env)
	defer srv.stop(t)

	r := run(t, nil, "", append([]string{"--data", dir, "import"}, files...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "Imported 6 account(s): 6 new") {
		t.Fatalf("import while serving: %+v", r)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %04o, want 0700", fi.Mode().Perm())
	}
	// A relative path is the caller's, not the server's.
	work := t.TempDir()
	t.Chdir(work)
	r = run(t, nil, "", "--data", dir, "backup", "book.bak")
	if r.code != 0 || !strings.Contains(r.stdout, "Backup of") {
		t.Fatalf("backup while serving: %+v", r)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	res, err := badger.Restore(context.Background(), restored, mustOpen(t, filepath.Join(work, "book.bak")), storage.RestoreOptions{})
	if err != nil || res.Accounts != 6 {
		t.Fatalf("the backup taken while serving: %+v %v", res, err)
	}
	// Restore while serving keeps --replace: a store with accounts is not
	// overwritten without it, and nothing pauses.
	r = run(t, nil, "", "--data", dir, "restore", "book.bak")
	if r.code != 1 || !strings.Contains(r.stderr, "already holds accounts") || !strings.Contains(r.stderr, "was not changed") ||
		strings.Contains(r.stdout, "Pausing") {
		t.Errorf("restore without --replace while serving: %+v", r)
	}
	whole, _ := os.ReadFile(filepath.Join(work, "book.bak"))
	os.WriteFile(filepath.Join(work, "cut.bak"), whole[:len(whole)-10], 0o600)
	r = run(t, nil, "", "--data", dir, "restore", "--replace", "cut.bak")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot restore cut.bak") || !strings.Contains(r.stderr, "was not changed") ||
		strings.Contains(r.stdout, "Pausing") {
		t.Errorf("restore of a cut backup while serving: %+v", r)
	}
	if r = run(t, nil, "", "--data", dir, "restore", "--replace", "missing.bak"); r.code != 1 || !strings.Contains(r.stderr, "cannot read missing.bak") {
		t.Errorf("restore of a missing file while serving: %+v", r)
	}
	// rules diff replays on the server's store, the candidate named relative to the caller.
	os.WriteFile(filepath.Join(work, "c.yaml"), []byte("health:\n  budget_points: 15\n"), 0o600)
	if r = run(t, nil, "", "--data", dir, "rules", "diff", "--weeks", "4", "c.yaml"); r.code != 0 || !strings.Contains(r.stdout, "6 accounts replayed") {
		t.Errorf("rules diff while serving: %+v", r)
	}
	// A mapping file named relative to the caller is found.
	os.WriteFile(filepath.Join(work, "crm.csv"), []byte("Account ID,Account Name,ARR\nzed,Zed Ltd,5000\n"), 0o600)
	os.WriteFile(filepath.Join(work, "crm.map"), []byte("Account ID=id\nAccount Name=name\nARR=arr\n"), 0o600)
	if r = run(t, nil, "", "--data", dir, "import", "--map-file", "crm.map", "crm.csv"); r.code != 0 || !strings.Contains(r.stdout, "1 new") {
		t.Errorf("import --map-file while serving: %+v", r)
	}
	// A bad import through the socket is reported like a local one.
	bad := filepath.Join(work, "bad.csv")
	os.WriteFile(bad, []byte("id,name\nx,\n"), 0o600)
	if r = run(t, nil, "", "--data", dir, "import", "bad.csv"); r.code != 1 || !strings.Contains(r.stderr, "Nothing was imported") {
		t.Errorf("bad import while serving: %+v", r)
	}
}

func mustOpen(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// With serve running, token create, list and revoke go through its control
// socket; a token revoked that way stops working in the API at once.
func TestTokensWhileServing(t *testing.T) {
	dir, err := os.MkdirTemp("", "serve")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	env := map[string]string{"ACCOUNTBOT_ADDR": "127.0.0.1:0", "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "shh",
		"SLACK_API_URL": "http://127.0.0.1:1/api"}
	srv := startServe(t, dir, env)
	stopped := false
	defer func() {
		if !stopped {
			srv.stop(t)
		}
	}()
	create := func(name string) string {
		t.Helper()
		r := run(t, nil, "", "--data", dir, "token", "create", "--scope", "ingest", "--name", name)
		secret := strings.TrimSpace(r.stdout)
		if r.code != 0 || !strings.HasPrefix(secret, "abt_") || !strings.Contains(r.stderr, "created") {
			t.Fatalf("token create while serving: %+v", r)
		}
		return secret
	}
	keep, drop := create("etl"), create("old")
	r := run(t, nil, "", "--data", dir, "token", "list", "--json")
	var toks []struct{ ID, Name string }
	if err := json.Unmarshal([]byte(r.stdout), &toks); r.code != 0 || err != nil || len(toks) != 2 {
		t.Fatalf("token list while serving: %+v %v", r, err)
	}
	dropID := toks[0].ID
	if toks[1].Name == "old" {
		dropID = toks[1].ID
	}
	post := func(secret string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+srv.addr+"/api/v1/usage", strings.NewReader("[]"))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(drop); code == http.StatusUnauthorized {
		t.Fatalf("a token created through the socket is refused: %d", code)
	}
	if r = run(t, nil, "", "--data", dir, "token", "revoke", dropID); r.code != 0 || !strings.Contains(r.stdout, "revoked") {
		t.Fatalf("token revoke while serving: %+v", r)
	}
	if code := post(drop); code != http.StatusUnauthorized {
		t.Errorf("a token revoked through the socket still works: %d", code)
	}
	if code := post(keep); code == http.StatusUnauthorized {
		t.Errorf("revoking one token refused another: %d", code)
	}
	if r = run(t, nil, "", "--data", dir, "token", "revoke", "nope"); r.code == 0 || !strings.Contains(r.stderr, "no token with id") {
		t.Errorf("revoking an unknown token while serving: %+v", r)
	}
	srv.stop(t)
	stopped = true
	// The server's store kept them: read it directly now that serve is gone.
	r = run(t, nil, "", "--data", dir, "token", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "etl") || strings.Contains(r.stdout, "old") {
		t.Errorf("token list after serve stopped: %+v", r)
	}
}

// While a live restore swaps the data directory, the control socket is
// gone with the old directory for a moment: a command then waits for the
// running serve to listen again instead of opening the store itself.
func TestCommandsWaitForTheSocketDuringASwap(t *testing.T) {
	parent, err := os.MkdirTemp("", "swap") // a short path: Unix socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(parent)
	dir, old := filepath.Join(parent, "data"), filepath.Join(parent, ".data.restore-old")
	for _, d := range []string{dir, old} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if !badger.Swapping(dir) {
		t.Fatal("a set-aside old store is not seen as a swap in progress")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	errb := &syncBuffer{}
	m := NewMain()
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader(""), &out, errb
	m.Now = func() time.Time { return fixedNow }
	m.Getenv = func(string) string { return "" }
	served := make(chan error, 1)
	go func() {
		// The swap ends only once the command is waiting for it.
		for !strings.Contains(errb.String(), "a restore is swapping") {
			select {
			case <-ctx.Done(): // the command did not wait
				served <- nil
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
		srv, err := control.Listen(dir)
		if err != nil {
			served <- err
			return
		}
		os.RemoveAll(old)
		served <- srv.Serve(ctx, func(_ context.Context, req control.Request, stdout, _ io.Writer) int {
			fmt.Fprintf(stdout, "served %s by the running serve\n", req.Command)
			return 0
		})
	}()
	err = m.ParseFlags(ctx, []string{"--data", dir, "backup", filepath.Join(parent, "b.bak")})
	if err == nil {
		err = m.Run(ctx)
	}
	m.Close()
	if err != nil || !strings.Contains(out.String(), "served backup by the running serve") {
		t.Errorf("backup during a swap: %v %q %q", err, out.String(), errb.String())
	}
	cancel()
	if err := <-served; err != nil {
		t.Error(err)
	}
}
