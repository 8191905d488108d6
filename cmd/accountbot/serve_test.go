package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestServeSlackHTTP runs the real program in Slack HTTP mode against a
// fake Slack Web API and sends it a signed slash command.
func TestServeSlackHTTP(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "users.info") {
			fmt.Fprint(w, `{"ok":true,"user":{"id":"U1","team_id":"T1","profile":{"email":"ana@example.com"}}}`)
			return
		}
		fmt.Fprint(w, `{"ok":true}`)
	}))
	defer fake.Close()
	dir := t.TempDir()
	if r := run(t, nil, "", append([]string{"--data", dir, "import"}, examples(t)...)...); r.code != 0 {
		t.Fatal(r)
	}
	env := map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "shh", "SLACK_API_URL": fake.URL + "/api",
		"ACCOUNTBOT_ADDR": "127.0.0.1:0"}
	srv := startServe(t, dir, env)
	addr := srv.addr
	body := url.Values{"command": {"/account"}, "text": {"globex health"}, "user_id": {"U1"}, "channel_id": {"C1"}, "team_id": {"T1"}, "api_app_id": {"A1"},
		"response_url": {fake.URL + "/response"}}.Encode()
	code, b := postSlash(t, addr, body, fixedNow)
	if code != 200 || !strings.Contains(string(b), "Globex Corporation — Tier 1 — health") {
		t.Errorf("slash response %d: %.300s", code, b)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Errorf("healthz: %v", err)
	}
	if out := srv.stop(t); !strings.Contains(out, "serving Slack over HTTP") {
		t.Errorf("stderr = %s", out)
	}
}

// postSlash posts a slash command body to serve at addr, signed with the
// tests' secret at the given time, and returns the status and body.
func postSlash(t *testing.T, addr, body string, at time.Time) (int, []byte) {
	t.Helper()
	code, b, err := trySlash(addr, body, at)
	if err != nil {
		t.Fatal(err)
	}
	return code, b
}

// trySlash is postSlash for a server that may not be listening yet.
func trySlash(addr, body string, at time.Time) (int, []byte, error) {
	ts := fmt.Sprint(at.Unix())
	mac := hmac.New(sha256.New, []byte("shh"))
	mac.Write([]byte("v0:" + ts + ":" + body))
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/slack/commands", strings.NewReader(body))
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, nil
}

// served is a running `accountbot serve`.
type served struct {
	m      *Main
	addr   string
	cancel context.CancelFunc
	done   chan error
	stderr *bytes.Buffer
}

// startServe runs the real program's serve command on dir with env and
// waits for its listener; opts adjust the Main first (e.g. its clock).
func startServe(t *testing.T, dir string, env map[string]string, opts ...func(*Main)) *served {
	t.Helper()
	s := &served{m: NewMain(), done: make(chan error, 1), stderr: &bytes.Buffer{}}
	s.m.Stdout, s.m.Stderr = io.Discard, s.stderr
	s.m.Getenv = func(k string) string { return env[k] }
	s.m.Now = func() time.Time { return fixedNow }
	for _, o := range opts {
		o(s.m)
	}
	var ctx context.Context
	ctx, s.cancel = context.WithCancel(context.Background())
	if err := s.m.ParseFlags(ctx, []string{"--data", dir, "serve"}); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.m.Run(ctx) }()
	for i := 0; i < 1000 && s.addr == ""; i++ { // up to 10 s on a loaded machine
		time.Sleep(10 * time.Millisecond)
		s.addr = s.m.HTTPAddr()
	}
	if s.addr == "" {
		t.Fatalf("server did not start: %s", s.stderr.String())
	}
	return s
}

// stop shuts the server down and returns what it wrote to stderr.
func (s *served) stop(t *testing.T) string {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve returned %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
	s.m.Close()
	return s.stderr.String()
}

func TestServeTeamsEndpoint(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"MICROSOFT_APP_ID": "11111111-2222-3333-4444-555555555555", "MICROSOFT_APP_PASSWORD": "pw",
		"MICROSOFT_OPENID_METADATA_URL": "http://127.0.0.1:1/openid", "MICROSOFT_TOKEN_URL": "http://127.0.0.1:1/token", "ACCOUNTBOT_ADDR": "127.0.0.1:0"}
	srv := startServe(t, dir, env)
	addr := srv.addr
	resp, err := http.Post("http://"+addr+"/api/messages", "application/json", strings.NewReader(`{"type":"message"}`))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unauthenticated activity: %v %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	if out := srv.stop(t); !strings.Contains(out, "Teams at /api/messages") {
		t.Errorf("stderr = %s", out)
	}
}
