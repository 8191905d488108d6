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
	if r.code != 1 || !strings.Contains(r.stderr, "set SALESFORCE_CLIENT_ID") {
		t.Fatalf("code %d stderr %q", r.code, r.stderr)
	}
	r = run(t, map[string]string{}, "", "--data", t.TempDir(), "sync", "pipedrive")
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
	if r.code != 0 || !strings.Contains(r.stdout, "hubspot: read 5, changed 3 (created 3)") || !strings.Contains(r.stdout, "write-back: 3 delivered") {
		t.Fatalf("sync: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "", args("ask", "--as", "ana@example.com", "account hubspot-1001 outcome won upsell 20000 signed 50 seats")...)
	if r.code != 0 {
		t.Fatalf("ask: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = run(t, env, "", args("sync", "status", "--json")...)
	var st []connector.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || len(st) < 1 || st[0].Source != "hubspot" || st[0].WritesPending != 1 || st[0].Read != 5 {
		t.Fatalf("status: %v %q", err, r.stdout)
	}
	if len(f.Notes) != 0 {
		t.Fatal("the chat command reached HubSpot; it must only queue")
	}
	// The next sync delivers the note; unchanged scores are not sent again.
	r = run(t, env, "", args("sync", "hubspot")...)
	if r.code != 0 || !strings.Contains(r.stdout, "write-back: 1 delivered, 0 waiting to retry, 0 given up") {
		t.Fatalf("second sync: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if len(f.Notes) != 1 || !strings.Contains(f.Notes[0].Properties["hs_note_body"], "signed 50 seats") || len(f.Updates) != 3 {
		t.Errorf("notes %v, updates %v", f.Notes, f.Updates)
	}
	// A failing write is kept, retried later and shown in status.
	f.Lock()
	f.Token = "rotated"
	f.Unlock()
	run(t, env, "", args("ask", "account hubspot-1002 note QBR booked")...) // the operator: ana does not own it
	run(t, env, "", args("sync", "hubspot")...)
	r = run(t, env, "", args("sync", "status")...)
	if !strings.Contains(r.stdout, "HubSpot refused the token (401)") || !strings.Contains(r.stdout, "1/0") {
		t.Errorf("status after a failed write: %q", r.stdout)
	}

}

func TestSyncStatusListsReviewAndMarks(t *testing.T) {
	p := hubspottest.LoadPortal(t)
	f := hubspottest.New(t, p)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("sync:\n  hubspot:\n    create_accounts: false\n"), 0o600)
	env := map[string]string{"HUBSPOT_TOKEN": f.Token, "HUBSPOT_API_URL": f.URL()}
	args := func(a ...string) []string {
		return append([]string{"--data", filepath.Join(dir, "data"), "--config", cfg}, a...)
	}
	if r := run(t, env, "", args("sync", "hubspot")...); r.code != 0 || !strings.Contains(r.stdout, "unmatched 3") {
		t.Fatalf("sync: %q %q", r.stdout, r.stderr)
	}
	r := run(t, env, "", args("sync", "status")...)
	if !strings.Contains(r.stdout, "review list: 3 records match no account") || !strings.Contains(r.stdout, "hubspot 1001") {
		t.Errorf("status: %q", r.stdout)
	}
}

func TestSyncOnceFollowsSchedule(t *testing.T) {
	f := hubspottest.New(t, hubspottest.LoadPortal(t))
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("sync:\n  every: 10m\n  hubspot:\n    mapping:\n      required: [name, plan]\n"), 0o600)
	env := map[string]string{"HUBSPOT_TOKEN": f.Token, "HUBSPOT_API_URL": f.URL()}
	args := func(a ...string) []string {
		return append([]string{"--data", filepath.Join(dir, "data"), "--config", cfg}, a...)
	}
	// A required field the mapping does not fill: the error is in status.
	if r := run(t, env, "", args("sync", "hubspot")...); r.code != 1 || !strings.Contains(r.stderr, "sync.hubspot.mapping.plan") {
		t.Fatalf("sync: %d %q", r.code, r.stderr)
	}
	if r := run(t, env, "", args("sync", "status")...); !strings.Contains(r.stdout, "lists plan, but the mapping gives it no HubSpot property") {
		t.Fatalf("status: %q", r.stdout)
	}
	os.WriteFile(cfg, []byte("sync:\n  every: 10m\n"), 0o600)
	now := fixedNow
	m := NewMain()
	m.Getenv, m.Now, m.Stdout, m.Stderr = func(k string) string { return env[k] }, func() time.Time { return now }, io.Discard, io.Discard
	ctx := context.Background()
	if err := m.ParseFlags(ctx, args("sync", "status")); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	db, err := m.open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next := map[string]time.Time{}
	m.syncOnce(ctx, db, next)
	_, st, _ := db.SyncState(ctx, "hubspot")
	if st.Created != 3 || st.LastError != "" || !st.NextRun.Equal(fixedNow.Add(10*time.Minute)) {
		t.Fatalf("after the first pass: %+v", st)
	}
	before := len(f.Requests)
	now = fixedNow.Add(5 * time.Minute)
	m.syncOnce(ctx, db, next)
	if len(f.Requests) != before {
		t.Errorf("synced before it was due (%d requests)", len(f.Requests)-before)
	}
	now = fixedNow.Add(10 * time.Minute)
	m.syncOnce(ctx, db, next)
	if len(f.Requests) == before {
		t.Error("did not sync when due")
	}
}
