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
	"sync"
	"testing"
	"time"
)

// TestServeSlackHTTP runs the real program in Slack HTTP mode against a
// fake Slack Web API and sends it a signed slash command.
func TestServeSlackHTTP(t *testing.T) {
	fake := newFakeSlack(t)
	dir := t.TempDir()
	if r := run(t, nil, "", append([]string{"--data", dir, "import"}, examples(t)...)...); r.code != 0 {
		t.Fatal(r)
	}
	srv := startServe(t, dir, fake.env())
	if out := srv.ask(t, fake, "globex health"); !strings.Contains(out, "Globex Corporation — Tier 1 — health") {
		t.Errorf("slash response: %.300s\n%s", out, srv.tail())
	}
	if resp, err := http.Get("http://" + srv.addr + "/healthz"); err != nil || resp.StatusCode != 200 {
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
	resp, err := slashClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, nil
}

// slashClient posts each command on a new connection: a
// kept-alive connection that serve closed while stopping a generation (a
// live restore) could otherwise be reused before the client noticed, and
// a POST is not retried.
var slashClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

// served is a running `accountbot serve`.
type served struct {
	m      *Main
	addr   string
	cancel context.CancelFunc
	done   chan error
	stderr *syncBuffer
}

// syncBuffer is serve's stderr: serve writes it from its goroutines while
// the test reads it for a failure message.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// tail is the end of serve's stderr, for failure messages: what serve
// logged is usually why a request failed.
func (s *served) tail() string {
	out := s.stderr.String()
	if len(out) > 3000 {
		out = "…" + out[len(out)-3000:]
	}
	return "serve's stderr:\n" + out
}

// startWait bounds serve's start and a test's wait for an answer: generous,
// because `go test -race ./...` runs every package at once on a 2-core CI
// machine, and a failure still says what serve was doing.
const startWait = 60 * time.Second

// startServe runs the real program's serve command on dir with env and
// waits for its listener; opts adjust the Main first (e.g. its clock).
func startServe(t *testing.T, dir string, env map[string]string, opts ...func(*Main)) *served {
	t.Helper()
	s := &served{m: NewMain(), done: make(chan error, 1), stderr: &syncBuffer{}}
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
	s.addr = s.waitListening(t)
	return s
}

// waitListening waits for serve's HTTP listener and returns its address.
func (s *served) waitListening(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(startWait)
	for {
		if addr := s.m.HTTPAddr(); addr != "" {
			return addr
		}
		select {
		case err := <-s.done:
			s.cancel()
			t.Fatalf("serve stopped before it listened: %v\n%s", err, s.tail())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.cancel()
			t.Fatalf("serve did not listen within %s\n%s", startWait, s.tail())
		}
	}
}

// stop shuts the server down and returns what it wrote to stderr.
func (s *served) stop(t *testing.T) string {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("serve returned %v\n%s", err, s.tail())
		}
	case <-time.After(startWait):
		t.Fatalf("serve did not stop within %s\n%s", startWait, s.tail())
	}
	s.m.Close()
	return s.stderr.String()
}

// slash posts a signed slash command to serve; a failed request ends the
// test with serve's stderr.
func (s *served) slash(t *testing.T, body string, at time.Time) (int, []byte) {
	t.Helper()
	code, b, err := trySlash(s.addr, body, at)
	if err != nil {
		t.Fatalf("slash command: %v\n%s", err, s.tail())
	}
	return code, b
}

// fakeSlack is Slack's Web API for serve: users.info knows U1
// (ana@example.com), every other method answers ok, and what serve posts
// to the response_url (/response) is kept. A command not answered within
// the bot's acknowledgement wait (2 s) is acknowledged with a placeholder
// and answered there, which a slow CI machine does.
type fakeSlack struct {
	URL  string
	late chan []byte
}

func newFakeSlack(t *testing.T) *fakeSlack {
	f := &fakeSlack{late: make(chan []byte, 16)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.HasSuffix(r.URL.Path, "users.info"):
			fmt.Fprint(w, `{"ok":true,"user":{"id":"U1","team_id":"T1","profile":{"email":"ana@example.com"}}}`)
			return
		case r.URL.Path == "/response":
			b, _ := io.ReadAll(r.Body)
			select {
			case f.late <- b:
			default:
			}
		}
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// env is serve's environment for Slack over HTTP against the fake.
func (f *fakeSlack) env() map[string]string {
	return map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "shh", "SLACK_API_URL": f.URL + "/api",
		"ACCOUNTBOT_ADDR": "127.0.0.1:0"}
}

// ask sends `/account text` as U1 and returns the answer: the
// acknowledgement's, or the late reply's when serve acknowledged with the
// placeholder.
func (s *served) ask(t *testing.T, f *fakeSlack, text string) string {
	t.Helper()
	body := url.Values{"command": {"/account"}, "text": {text}, "user_id": {"U1"}, "channel_id": {"C1"}, "team_id": {"T1"},
		"api_app_id": {"A1"}, "response_url": {f.URL + "/response"}}.Encode()
	code, b := s.slash(t, body, fixedNow)
	if code != http.StatusOK {
		t.Fatalf("/account %s: HTTP %d %.300s\n%s", text, code, b, s.tail())
	}
	if !bytes.Contains(b, []byte("Working on it")) {
		return string(b)
	}
	start := time.Now()
	select {
	case late := <-f.late:
		t.Logf("/account %s: acknowledged with the placeholder; the answer came by response_url %s later", text, time.Since(start).Round(time.Millisecond))
		return string(late)
	case <-time.After(startWait):
		t.Fatalf("/account %s: acknowledged with %.200s, and no late reply within %s\n%s", text, b, startWait, s.tail())
		return ""
	}
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
