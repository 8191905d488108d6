package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/storage"
)

// With serve running, backup and import go through its control socket
// (the store is locked to it); restore is refused with what to do.
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
	res, err := storage.Restore(context.Background(), restored, mustOpen(t, filepath.Join(work, "book.bak")), storage.RestoreOptions{})
	if err != nil || res.Accounts != 6 {
		t.Fatalf("the backup taken while serving: %+v %v", res, err)
	}
	r = run(t, nil, "", "--data", dir, "restore", "--replace", filepath.Join(work, "book.bak"))
	if r.code != 1 || !strings.Contains(r.stderr, "stop serve") {
		t.Errorf("restore while serving: %+v", r)
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
