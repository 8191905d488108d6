package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	r := run(t, nil, "", "--data", dir, "token", "create", "--scope", "ingest,read", "--name", "etl")
	secret := strings.TrimSpace(r.stdout)
	if r.code != 0 || !strings.HasPrefix(secret, "abt_") || !strings.Contains(r.stderr, "shown only now") {
		t.Fatalf("create: %+v", r)
	}
	id := strings.Split(secret, "_")[1]
	r = run(t, nil, "", "--data", dir, "token", "list")
	if r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "ingest,read") || strings.Contains(r.stdout, secret[len(secret)-20:]) {
		t.Errorf("list: %+v", r)
	}
	r = run(t, nil, "", "--data", dir, "token", "list", "--json")
	var toks []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &toks); err != nil || len(toks) != 1 || toks[0]["name"] != "etl" || strings.Contains(r.stdout, "sha256") {
		t.Errorf("list --json: %v %s", err, r.stdout)
	}
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"token", "create", "--scope", "root"}, 1, `unknown scope "root"`},
		{[]string{"token", "create"}, 1, "give at least one --scope"},
		{[]string{"token", "revoke", "nope"}, 1, `no token with id "nope"`},
		{[]string{"token", "frobnicate"}, 1, "unknown token command"},
		{[]string{"token"}, 2, "Usage"},
		{[]string{"token", "revoke", id}, 0, "revoked"},
	} {
		r := run(t, nil, "", append([]string{"--data", dir}, tt.args...)...)
		if r.code != tt.code || !strings.Contains(r.stdout+r.stderr, tt.want) {
			t.Errorf("%v: %d %q %q", tt.args, r.code, r.stdout, r.stderr)
		}
	}
	if r := run(t, nil, "", "--data", dir, "token", "list"); !strings.Contains(r.stdout, "No API tokens") {
		t.Errorf("after revoke: %q", r.stdout)
	}
}

// TestServeConsoleWithIngestAPI runs serve with no chat platform but an
// explicit ACCOUNTBOT_ADDR: the ingest API and the Segment receiver work,
// and keep serving after the console's (non-terminal) input ends.
func TestServeConsoleWithIngestAPI(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", append([]string{"--data", dir, "import"}, examples(t)...)...); r.code != 0 {
		t.Fatal(r)
	}
	secret := strings.TrimSpace(run(t, nil, "", "--data", dir, "token", "create", "--scope", "ingest").stdout)
	env := map[string]string{"ACCOUNTBOT_ADDR": "127.0.0.1:0", "ACCOUNTBOT_SEGMENT_SECRET": "seg"}
	s := &served{m: NewMain(), done: make(chan error, 1), stderr: &syncBuffer{}}
	s.m.Stdin, s.m.Stdout, s.m.Stderr = strings.NewReader(""), io.Discard, s.stderr
	s.m.Getenv = func(k string) string { return env[k] }
	s.m.Now = func() time.Time { return fixedNow }
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	if err := s.m.ParseFlags(ctx, []string{"--data", dir, "serve"}); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.m.Run(ctx) }()
	s.addr = s.waitListening(t)
	post := func(path, body string, hdr map[string]string) (int, string) {
		req, _ := http.NewRequest("POST", "http://"+s.addr+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	time.Sleep(50 * time.Millisecond) // the console has read its empty input by now
	code, body := post("/api/v1/usage", `[{"account_id":"acme","date":"2026-11-22","active_users":77,"usage":5}]`, map[string]string{"Authorization": "Bearer " + secret})
	if code != 200 || !strings.Contains(body, `"applied":1`) {
		t.Fatalf("usage: %d %s", code, body)
	}
	if code, _ := post("/api/v1/usage", `[]`, nil); code != 401 {
		t.Errorf("no token: %d", code)
	}
	ev := `{"type":"track","event":"Report Exported","userId":"u1","messageId":"m1","timestamp":"2026-11-22T10:00:00Z","context":{"groupId":"acme"}}`
	mac := hmac.New(sha1.New, []byte("seg"))
	mac.Write([]byte(ev))
	if code, body := post("/api/v1/segment", ev, map[string]string{"X-Signature": hex.EncodeToString(mac.Sum(nil))}); code != 200 || !strings.Contains(body, `"accepted":1`) {
		t.Errorf("segment: %d %s", code, body)
	}
	if resp, err := http.Get("http://" + s.addr + "/api/v1/openapi.json"); err != nil || resp.StatusCode != 200 {
		t.Errorf("openapi.json: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		items, _ := s.m.db.SegmentInbox(ctx, 10)
		if len(items) == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	a, err := s.m.db.Account(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range a.Usage {
		if u.Date.String() == "2026-11-22" && (u.ActiveUsers != 78 || u.Usage != 6) {
			t.Errorf("usage on 2026-11-22 = %+v, want the API's 77 users and 5 plus one Segment user and event", u)
		}
	}
	if out := s.stop(t); !strings.Contains(out, "Ingest API on http://") || !strings.Contains(out, "keeps serving") {
		t.Errorf("stderr = %s", out)
	}
}

func TestUnmatchedCommand(t *testing.T) {
	dir := t.TempDir()
	r := run(t, nil, "", "--data", dir, "unmatched")
	if r.code != 0 || !strings.Contains(r.stdout, "Nothing to review") {
		t.Errorf("%+v", r)
	}
	r = run(t, nil, "", "--data", dir, "unmatched", "--json")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("%+v", r)
	}
	db, err := badger.Open(context.Background(), dir, badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.AddUnmatched(context.Background(), domain.UnmatchedRecord{Source: "segment", ExternalID: "grp_42", Kind: "group"}, fixedNow)
	db.CommitPage(context.Background(), "hubspot", connector.Commit{Unmatched: []connector.Unmatched{{Source: "hubspot", ExternalID: "1002"}}})
	db.Close()
	r = run(t, nil, "", "--data", dir, "unmatched")
	if r.code != 0 || !strings.Contains(r.stdout, "grp_42") || !strings.Contains(r.stdout, "hubspot  1002") || !strings.Contains(r.stdout, "external_ids") {
		t.Errorf("%+v", r)
	}
	r = run(t, nil, "", "--data", dir, "unmatched", "--json")
	if !strings.Contains(r.stdout, `"external_id":"grp_42"`) {
		t.Errorf("%+v", r)
	}
}

// TestServeChatModeMountsTheAPI: with a chat platform the API shares its listener.
func TestServeChatModeMountsTheAPI(t *testing.T) {
	env := map[string]string{"MICROSOFT_APP_ID": "11111111-2222-3333-4444-555555555555", "MICROSOFT_APP_PASSWORD": "pw",
		"MICROSOFT_OPENID_METADATA_URL": "http://127.0.0.1:1/openid", "MICROSOFT_TOKEN_URL": "http://127.0.0.1:1/token", "ACCOUNTBOT_ADDR": "127.0.0.1:0"}
	srv := startServe(t, t.TempDir(), env)
	for path, want := range map[string]int{"/api/v1/openapi.json": 200, "/api/v1/unmatched": 401} {
		resp, err := http.Get("http://" + srv.addr + path)
		if err != nil || resp.StatusCode != want {
			t.Errorf("%s: %v %v", path, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	srv.stop(t)
}

func TestIngestConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("segment:\n  shared_secret: s3cret\n  usage_events: [\"Report Exported\"]\ningest:\n  rate_per_second: 5\n"), 0o600)
	r := run(t, nil, "", "--config", good, "config")
	if r.code != 0 || strings.Contains(r.stdout, "s3cret") || !strings.Contains(r.stdout, "<redacted>") || !strings.Contains(r.stdout, "rate_per_second: 5") {
		t.Errorf("config: %+v", r)
	}
	for body, want := range map[string]string{
		"ingest:\n  max_body_bytes: 10\n":     "ingest.max_body_bytes",
		"ingest:\n  burst: 0\n":               "ingest.burst",
		"ingest:\n  evaluator_share: 2\n":     "ingest.evaluator_share",
		"segment:\n  account_paths: [\"\"]\n": "segment.account_paths",
		"segment:\n  sekret: x\n":             "sekret",
	} {
		f := filepath.Join(dir, "bad.yaml")
		os.WriteFile(f, []byte(body), 0o600)
		if r := run(t, nil, "", "--config", f, "config"); r.code != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("%q: %+v", body, r)
		}
	}
}
