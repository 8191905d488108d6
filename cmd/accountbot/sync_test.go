package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/hubspot"
	"github.com/accountbot/accountbot/hubspot/hubspottest"
)

func TestSyncBadTokenShowsInStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		w.Write([]byte(`{"status":"error","message":"Authentication credentials not found.","correlationId":"x1","category":"INVALID_AUTHENTICATION"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	env := map[string]string{"HUBSPOT_TOKEN": "wrong", "HUBSPOT_API_URL": srv.URL}
	r := run(t, env, "", "--data", dir, "sync", "hubspot", "--full")
	if r.code != 1 || !strings.Contains(r.stderr, "HubSpot refused the token (401)") {
		t.Fatalf("sync: code %d stderr %q", r.code, r.stderr)
	}
	r = run(t, env, "", "--data", dir, "sync", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "HubSpot refused the token") || !strings.Contains(r.stdout, "hubspot") {
		t.Fatalf("status: code %d stdout %q", r.code, r.stdout)
	}
}

func TestSyncNotConfigured(t *testing.T) {
	r := run(t, map[string]string{}, "", "--data", t.TempDir(), "sync", "hubspot")
	if r.code != 1 || !strings.Contains(r.stderr, "set HUBSPOT_TOKEN") {
		t.Fatalf("code %d stderr %q", r.code, r.stderr)
	}
	r = run(t, map[string]string{}, "", "--data", t.TempDir(), "sync", "salesforce")
	if r.code != 1 || !strings.Contains(r.stderr, "unknown sync source") {
		t.Fatalf("code %d stderr %q", r.code, r.stderr)
	}
}

func TestSyncHubSpotEndToEnd(t *testing.T) {
	f := hubspottest.New(t, hubspottest.LoadPortal(t))
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("sync:\n  every: 5m\n  hubspot:\n    mapping:\n      plan: plan\n    write_back:\n      notes: true\n      scores:\n        health: accountbot_health\n"), 0o600)
	env := map[string]string{"HUBSPOT_TOKEN": f.Token, "HUBSPOT_API_URL": f.URL()}
	args := func(a ...string) []string {
		return append([]string{"--data", filepath.Join(dir, "data"), "--config", cfg}, a...)
	}

	r := run(t, env, "", args("sync", "hubspot", "--dry-run")...)
	if r.code != 0 || !strings.Contains(r.stdout, "Dry run: nothing was written.") || !strings.Contains(r.stdout, `name: "" → "Acme Corp"`) {
		t.Fatalf("dry run: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "", args("sync", "status")...)
	if !strings.Contains(r.stdout, "never") {
		t.Fatalf("a dry run must not record a run: %q", r.stdout)
	}
	r = run(t, env, "", args("sync", "hubspot")...)
	if r.code != 0 || !strings.Contains(r.stdout, "hubspot: read 5, changed 3 (created 3)") {
		t.Fatalf("sync: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "", args("ask", "--as", "ana@example.com", "account hubspot-1001 outcome won upsell 20000 signed 50 seats")...)
	if r.code != 0 {
		t.Fatalf("ask: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "", args("sync", "status", "--json")...)
	var st []connector.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st) != 1 || st[0].WritesPending != 1 || st[0].Read != 5 {
		t.Fatalf("status: %v %q", err, r.stdout)
	}
	// What serve's loop does: deliver the outbox, and queue changed scores.
	m := NewMain()
	m.Getenv, m.Now, m.Stderr = func(k string) string { return env[k] }, func() time.Time { return fixedNow }, io.Discard
	ctx := context.Background()
	if err := m.ParseFlags(ctx, args("sync", "status")); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	db, err := m.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n, err := m.enqueueScores(ctx, db, hubspot.Name, m.Config.Sync.HubSpot.WriteBack.Scores)
	if err != nil || n != 3 {
		t.Fatalf("queued %d score writes, err %v", n, err)
	}
	_, wr, _, err := m.syncSource(hubspot.Name)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := connector.Deliver(ctx, db, wr, hubspot.Name, fixedNow, 100); err != nil || n != 4 {
		t.Fatalf("delivered %d, err %v", n, err)
	}
	if len(f.Notes) != 1 || !strings.Contains(f.Notes[0].Properties["hs_note_body"], "signed 50 seats") || len(f.Updates) != 3 {
		t.Errorf("notes %v, updates %v", f.Notes, f.Updates)
	}
	if n, _ := m.enqueueScores(ctx, db, hubspot.Name, m.Config.Sync.HubSpot.WriteBack.Scores); n != 0 {
		t.Errorf("unchanged scores queued again: %d", n)
	}
}
